// The NVML wrapper against the simulator through the real dlopen path.
#include "nvml/nvml.h"

#include <gtest/gtest.h>

#include "sim_node.h"

namespace nvdp::nvml {
namespace {

using testing::SimulatedNode;

TEST(NvmlTest, ReadsSystemAndDeviceFacts) {
  SimulatedNode node("pcie-4xt4");
  Session session(node.nvml());
  EXPECT_EQ(node.nvml().DriverVersion(), "535.183.01");
  EXPECT_EQ(node.nvml().CudaDriverVersion(), 12020);
  ASSERT_EQ(node.nvml().DeviceCount(), 4u);
  nvmlDevice_t device = node.nvml().DeviceByIndex(2);
  EXPECT_EQ(node.nvml().Name(device), "Tesla T4");
  EXPECT_EQ(node.nvml().MinorNumber(device), 2u);
  EXPECT_EQ(node.nvml().MemoryInfo(device).total, 15360ULL << 20);
  nvmlPciInfo_t pci = node.nvml().PciInfo(device);
  EXPECT_STREQ(pci.busId, "00000000:AF:00.0");
  EXPECT_STREQ(pci.busIdLegacy, "0000:AF:00.0");
  EXPECT_EQ(pci.bus, 0xAFu);
  EXPECT_EQ(pci.pciDeviceId, 0x1EB810DEu);
  EXPECT_EQ(node.nvml().ComputeCapability(device), std::make_pair(7, 5));
  EXPECT_EQ(node.nvml().DeviceByUuid(node.nvml().Uuid(device)), device);
}

TEST(NvmlTest, ErrorsNameTheFunctionAndNvmlsMessage) {
  SimulatedNode node("driver-not-loaded");
  try {
    node.nvml().Init();
    FAIL() << "expected NvmlError";
  } catch (const NvmlError& error) {
    EXPECT_EQ(error.code(), NVML_ERROR_DRIVER_NOT_LOADED);
    EXPECT_STREQ(error.what(), "nvmlInit_v2: Driver Not Loaded");
  }
}

TEST(NvmlTest, LostGpuAnswersGpuIsLost) {
  SimulatedNode node("dgx-a100");
  Session session(node.nvml());
  nvmlDevice_t device = node.nvml().DeviceByIndex(5);
  node.Inject("lost 5");
  try {
    node.nvml().Uuid(device);
    FAIL() << "expected NvmlError";
  } catch (const NvmlError& error) {
    EXPECT_EQ(error.code(), NVML_ERROR_GPU_IS_LOST);
    EXPECT_STREQ(error.what(), "nvmlDeviceGetUUID: GPU is lost");
  }
  EXPECT_NO_THROW(node.nvml().Uuid(node.nvml().DeviceByIndex(4)));  // the others answer
  node.Inject("reset 5");
  EXPECT_NO_THROW(node.nvml().Uuid(device));
}

TEST(NvmlTest, CallsBeforeInitAreRejected) {
  SimulatedNode node("dgx-a100");
  unsigned count = 0;
  EXPECT_EQ(node.nvml().api().DeviceGetCount(&count), NVML_ERROR_UNINITIALIZED);
}

TEST(NvmlTest, InjectedFailuresAndXidEvents) {
  SimulatedNode node("dgx-a100");
  Session session(node.nvml());
  const Api& api = node.nvml().api();
  nvmlDevice_t gpu3 = node.nvml().DeviceByIndex(3);
  node.Inject("fail nvmlDeviceGetMemoryInfo NO_PERMISSION 3");
  EXPECT_THROW(node.nvml().MemoryInfo(gpu3), NvmlError);
  EXPECT_NO_THROW(node.nvml().MemoryInfo(node.nvml().DeviceByIndex(2)));
  node.Inject("fail nvmlDeviceGetMemoryInfo SUCCESS");
  EXPECT_NO_THROW(node.nvml().MemoryInfo(gpu3));

  nvmlEventSet_t events = nullptr;
  ASSERT_EQ(api.EventSetCreate(&events), NVML_SUCCESS);
  unsigned long long supported = 0;
  ASSERT_EQ(api.DeviceGetSupportedEventTypes(gpu3, &supported), NVML_SUCCESS);
  ASSERT_EQ(api.DeviceRegisterEvents(gpu3, supported, events), NVML_SUCCESS);
  nvmlEventData_t event{};
  EXPECT_EQ(api.EventSetWait(events, &event, 10), NVML_ERROR_TIMEOUT);
  node.Inject("xid 3 48");
  node.Inject("xid 4 79");  // not registered on this set
  ASSERT_EQ(api.EventSetWait(events, &event, 1000), NVML_SUCCESS);
  EXPECT_EQ(event.device, gpu3);
  EXPECT_EQ(event.eventType, nvmlEventTypeXidCriticalError);
  EXPECT_EQ(event.eventData, 48u);
  EXPECT_EQ(event.gpuInstanceId, NVML_INSTANCE_NOT_ATTRIBUTABLE);
  EXPECT_EQ(api.EventSetWait(events, &event, 50), NVML_ERROR_TIMEOUT);
  node.Inject("fail nvmlEventSetWait UNKNOWN");
  EXPECT_EQ(api.EventSetWait(events, &event, 50), NVML_ERROR_UNKNOWN);
  node.Inject("fail nvmlEventSetWait SUCCESS");
  EXPECT_EQ(api.EventSetFree(events), NVML_SUCCESS);
}

TEST(NvmlTest, BufferAndArgumentChecks) {
  SimulatedNode node("dgx-a100");
  Session session(node.nvml());
  const Api& api = node.nvml().api();
  nvmlDevice_t device = node.nvml().DeviceByIndex(0);
  char small[8];
  EXPECT_EQ(api.DeviceGetUUID(device, small, sizeof(small)), NVML_ERROR_INSUFFICIENT_SIZE);
  nvmlDevice_t bogus = reinterpret_cast<nvmlDevice_t>(&small);
  char buffer[96];
  EXPECT_EQ(api.DeviceGetUUID(bogus, buffer, sizeof(buffer)), NVML_ERROR_INVALID_ARGUMENT);
  nvmlDevice_t out = nullptr;
  EXPECT_EQ(api.DeviceGetHandleByIndex(8, &out), NVML_ERROR_INVALID_ARGUMENT);
}

}  // namespace
}  // namespace nvdp::nvml
