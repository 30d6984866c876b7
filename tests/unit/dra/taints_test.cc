// --device-taints: health marks to taints, stable timeAdded, the slice entries and their limit.
#include "dra/device_taints.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nvdp::dra {
namespace {

using std::chrono::system_clock;

Device Gpu(const std::string& name, const std::string& uuid) {
  Device device;
  device.name = name;
  device.uuid = device.gpu_uuid = uuid;
  return device;
}

HealthMarks Marks(
    std::initializer_list<std::tuple<std::string, health::HealthCause, std::string>> causes) {
  HealthMarks marks;
  for (const auto& [key, cause, reason] : causes) marks[key].causes[cause] = {reason, {}};
  return marks;
}

TEST(DeviceTaints, EachCauseHasItsKey) {
  Device mig = Gpu("gpu-0-mig-1g5gb-19-0", "MIG-0");
  mig.mig = true;
  mig.gpu_uuid = "GPU-0";
  const HealthMarks marks =
      Marks({{"GPU-0", health::HealthCause::kXid, "XID 48"},
             {"MIG-0", health::HealthCause::kHung, "nvmlDeviceGetMemoryInfo hung"},
             {"GPU-1", health::HealthCause::kLost, "XID 79 (GPU fell off the bus)"}});
  EXPECT_EQ(TaintsOf(mig, marks),
            (std::vector<DeviceTaint>{{kTaintXid, "48", ""}, {kTaintUnhealthy, "hung", ""}}));
  EXPECT_EQ(TaintsOf(Gpu("gpu-1", "GPU-1"), marks),
            (std::vector<DeviceTaint>{{kTaintGpuLost, "XID-79--GPU-fell-off-the-bus", ""}}));
  EXPECT_TRUE(TaintsOf(Gpu("gpu-2", "GPU-2"), marks).empty());
}

TEST(DeviceTaints, TimeAddedStaysWhileTheTaintStays) {
  DeviceTaintTracker tracker({Gpu("gpu-0", "GPU-0"), Gpu("gpu-1", "GPU-1")});
  const system_clock::time_point t0 = system_clock::from_time_t(1796000000);
  EXPECT_FALSE(tracker.Update({}, t0));
  EXPECT_TRUE(tracker.Update(Marks({{"GPU-0", health::HealthCause::kXid, "XID 48"}}), t0));
  const std::string added = tracker.taints().at("gpu-0")[0].time_added;
  EXPECT_EQ(added, "2026-11-30T00:53:20Z");
  EXPECT_FALSE(tracker.Update(Marks({{"GPU-0", health::HealthCause::kXid, "XID 48"}}),
                              t0 + std::chrono::minutes(5)));
  EXPECT_EQ(tracker.taints().at("gpu-0")[0].time_added, added);
  EXPECT_TRUE(tracker.Update({}, t0 + std::chrono::minutes(6)));  // recovered
  EXPECT_TRUE(tracker.taints().empty());
}

TEST(DeviceTaints, SliceEntriesCarryThemWithNoSchedule) {
  std::vector<Device> devices;
  for (int i = 0; i < 65; ++i)
    devices.push_back(Gpu("gpu-" + std::to_string(i), "GPU-" + std::to_string(i)));
  const TaintsByDevice taints = {{"gpu-64", {{kTaintXid, "94", "2026-12-02T10:00:00Z"}}}};
  const auto chunks = DeviceChunks(devices, kMaxDevicesPerSliceWithTaints, taints);
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0].size(), 64u);
  EXPECT_FALSE(chunks[0][0].contains("taints"));
  EXPECT_EQ(
      chunks[1][0]["taints"],
      nlohmann::json::parse(R"([{"key":"gpu.nvidia.com/xid","value":"94","effect":"NoSchedule",
                                       "timeAdded":"2026-12-02T10:00:00Z"}])"));
}

}  // namespace
}  // namespace nvdp::dra
