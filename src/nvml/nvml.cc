#include "nvml/nvml.h"

#include <algorithm>

namespace nvdp::nvml {
namespace {

template <typename Fn>
Fn Require(Fn fn, const char* name) {
  if (fn == nullptr) {
    throw NvmlError(NVML_ERROR_FUNCTION_NOT_FOUND, name,
                    DefaultErrorString(NVML_ERROR_FUNCTION_NOT_FOUND));
  }
  return fn;
}

}  // namespace

Nvml::Nvml(std::shared_ptr<Library> library) : library_(std::move(library)) {}

std::string Nvml::ErrorString(nvmlReturn_t code) const {
  if (api().ErrorString != nullptr) {
    if (const char* text = api().ErrorString(code)) return text;
  }
  return DefaultErrorString(code);
}

void Nvml::Check(nvmlReturn_t code, const char* function) const {
  if (code != NVML_SUCCESS) throw NvmlError(code, function, ErrorString(code));
}

void Nvml::Init() {
  std::lock_guard lock(mutex_);
  Check(api().Init(), "nvmlInit_v2");
  ++init_count_;
}

void Nvml::Shutdown() {
  std::lock_guard lock(mutex_);
  if (init_count_ == 0) return;
  --init_count_;
  api().Shutdown();
}

std::string Nvml::DriverVersion() const {
  char buffer[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE] = {};
  auto fn = Require(api().SystemGetDriverVersion, "nvmlSystemGetDriverVersion");
  Check(fn(buffer, sizeof(buffer)), "nvmlSystemGetDriverVersion");
  return buffer;
}

int Nvml::CudaDriverVersion() const {
  int version = 0;
  auto fn = Require(api().SystemGetCudaDriverVersion, "nvmlSystemGetCudaDriverVersion");
  Check(fn(&version), "nvmlSystemGetCudaDriverVersion");
  return version;
}

unsigned Nvml::DeviceCount() const {
  unsigned count = 0;
  Check(api().DeviceGetCount(&count), "nvmlDeviceGetCount_v2");
  return count;
}

nvmlDevice_t Nvml::DeviceByIndex(unsigned index) const {
  nvmlDevice_t device = nullptr;
  Check(api().DeviceGetHandleByIndex(index, &device), "nvmlDeviceGetHandleByIndex_v2");
  return device;
}

nvmlDevice_t Nvml::DeviceByUuid(const std::string& uuid) const {
  nvmlDevice_t device = nullptr;
  auto fn = Require(api().DeviceGetHandleByUUID, "nvmlDeviceGetHandleByUUID");
  Check(fn(uuid.c_str(), &device), "nvmlDeviceGetHandleByUUID");
  return device;
}

std::string Nvml::Name(nvmlDevice_t device) const {
  char buffer[NVML_DEVICE_NAME_V2_BUFFER_SIZE] = {};
  auto fn = Require(api().DeviceGetName, "nvmlDeviceGetName");
  Check(fn(device, buffer, sizeof(buffer)), "nvmlDeviceGetName");
  return buffer;
}

std::string Nvml::Uuid(nvmlDevice_t device) const {
  char buffer[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
  Check(api().DeviceGetUUID(device, buffer, sizeof(buffer)), "nvmlDeviceGetUUID");
  return buffer;
}

unsigned Nvml::MinorNumber(nvmlDevice_t device) const {
  unsigned minor = 0;
  auto fn = Require(api().DeviceGetMinorNumber, "nvmlDeviceGetMinorNumber");
  Check(fn(device, &minor), "nvmlDeviceGetMinorNumber");
  return minor;
}

nvmlPciInfo_t Nvml::PciInfo(nvmlDevice_t device) const {
  nvmlPciInfo_t info{};
  auto fn = Require(api().DeviceGetPciInfo, "nvmlDeviceGetPciInfo_v3");
  Check(fn(device, &info), "nvmlDeviceGetPciInfo_v3");
  return info;
}

nvmlMemory_t Nvml::MemoryInfo(nvmlDevice_t device) const {
  nvmlMemory_t memory{};
  auto fn = Require(api().DeviceGetMemoryInfo, "nvmlDeviceGetMemoryInfo");
  Check(fn(device, &memory), "nvmlDeviceGetMemoryInfo");
  return memory;
}

std::pair<int, int> Nvml::ComputeCapability(nvmlDevice_t device) const {
  int major = 0;
  int minor = 0;
  auto fn = Require(api().DeviceGetCudaComputeCapability, "nvmlDeviceGetCudaComputeCapability");
  Check(fn(device, &major, &minor), "nvmlDeviceGetCudaComputeCapability");
  return {major, minor};
}

int Nvml::Brand(nvmlDevice_t device) const {
  int brand = 0;
  auto fn = Require(api().DeviceGetBrand, "nvmlDeviceGetBrand");
  Check(fn(device, &brand), "nvmlDeviceGetBrand");
  return brand;
}

void Nvml::SetComputeMode(nvmlDevice_t device, int mode) const {
  auto fn = Require(api().DeviceSetComputeMode, "nvmlDeviceSetComputeMode");
  Check(fn(device, mode), "nvmlDeviceSetComputeMode");
}

bool Nvml::HasEvents() const {
  return api().EventSetCreate && api().EventSetWait && api().EventSetFree &&
         api().DeviceRegisterEvents && api().DeviceGetSupportedEventTypes;
}

unsigned long long Nvml::SupportedEventTypes(nvmlDevice_t device) const {
  unsigned long long types = 0;
  auto fn = Require(api().DeviceGetSupportedEventTypes, "nvmlDeviceGetSupportedEventTypes");
  Check(fn(device, &types), "nvmlDeviceGetSupportedEventTypes");
  return types;
}

void Nvml::RegisterEvents(nvmlDevice_t device, unsigned long long types,
                          const EventSet& set) const {
  auto fn = Require(api().DeviceRegisterEvents, "nvmlDeviceRegisterEvents");
  Check(fn(device, types, set.get()), "nvmlDeviceRegisterEvents");
}

std::optional<FabricInfo> Nvml::GpuFabricInfo(nvmlDevice_t device) const {
  // The v1 call when the driver has it, else the versioned one with the v2 struct.
  FabricInfo fabric;
  nvmlReturn_t ret;
  const char* function;
  auto take = [&](const auto& info) {
    std::copy(info.clusterUuid, info.clusterUuid + NVML_GPU_FABRIC_UUID_LEN, fabric.cluster_uuid);
    fabric.status = info.status;
    fabric.clique_id = info.cliqueId;
    fabric.state = info.state;
  };
  if (api().DeviceGetGpuFabricInfo) {
    function = "nvmlDeviceGetGpuFabricInfo";
    nvmlGpuFabricInfo_t info{};
    ret = api().DeviceGetGpuFabricInfo(device, &info);
    take(info);
  } else if (api().DeviceGetGpuFabricInfoV) {
    function = "nvmlDeviceGetGpuFabricInfoV";
    nvmlGpuFabricInfo_v2_t info{};
    info.version = nvmlGpuFabricInfo_v2;
    ret = api().DeviceGetGpuFabricInfoV(device, &info);
    take(info);
  } else {
    return std::nullopt;
  }
  if (ret == NVML_ERROR_NOT_SUPPORTED) return std::nullopt;
  Check(ret, function);
  return fabric;
}

EventSet::EventSet(const Nvml& nvml) : nvml_(nvml) {
  auto create = Require(nvml.api().EventSetCreate, "nvmlEventSetCreate");
  Require(nvml.api().EventSetFree, "nvmlEventSetFree");
  nvml.Check(create(&set_), "nvmlEventSetCreate");
}

nvmlReturn_t EventSet::Wait(nvmlEventData_t* data, unsigned timeout_ms) const {
  auto wait = Require(nvml_.api().EventSetWait, "nvmlEventSetWait");
  return wait(set_, data, timeout_ms);
}

EventSet::~EventSet() {
  if (set_ != nullptr) nvml_.api().EventSetFree(set_);
}

}  // namespace nvdp::nvml
