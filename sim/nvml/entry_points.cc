// The NVML C entry points the simulator exports (see exports.map). Each one behaves as the real
// driver does for the simulated machine, including its error codes for bad arguments, short
// buffers, missing initialisation and lost GPUs.
#include <cstdio>
#include <cstring>
#include <string>

#include "../common/sim_state.h"
#include "common/strings.h"
#include "machine.h"
#include "nvml/error.h"
#include "nvml/nvml_abi.h"

using nvdp::sim::Machine;
using nvdp::sim::MigProfileSpec;
using nvdp::sim::SimComputeInstance;
using nvdp::sim::SimEventSet;
using nvdp::sim::SimGpu;
using nvdp::sim::SimGpuInstance;

namespace {

Machine& M() { return Machine::Instance(); }

nvmlReturn_t CopyString(const std::string& value, char* buffer, unsigned length) {
  if (buffer == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (value.size() + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  std::memcpy(buffer, value.c_str(), value.size() + 1);
  return NVML_SUCCESS;
}

nvmlDevice_t Handle(SimGpu* gpu) { return reinterpret_cast<nvmlDevice_t>(gpu); }

void FillPciInfo(const std::string& bus_id, unsigned device_id, unsigned subsystem_id,
                 nvmlPciInfo_t* pci) {
  std::memset(pci, 0, sizeof(*pci));
  unsigned domain = 0, bus = 0, device = 0, function = 0;
  std::sscanf(bus_id.c_str(), "%x:%x:%x.%x", &domain, &bus, &device, &function);
  pci->domain = domain;
  pci->bus = bus;
  pci->device = device;
  pci->pciDeviceId = device_id;
  pci->pciSubSystemId = subsystem_id;
  std::snprintf(pci->busId, sizeof(pci->busId), "%08X:%02X:%02X.0", domain, bus, device);
  std::snprintf(pci->busIdLegacy, sizeof(pci->busIdLegacy), "%04X:%02X:%02X.0", domain, bus,
                device);
}

nvmlReturn_t GetPciInfo(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  Machine::Call call(M(), "nvmlDeviceGetPciInfo", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (pci == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto& spec = call.gpu()->spec;
  FillPciInfo(spec.bus_id, spec.pci_device_id, spec.pci_subsystem_id, pci);
  return NVML_SUCCESS;
}

nvmlReturn_t GetCount(unsigned* count) {
  Machine::Call call(M(), "nvmlDeviceGetCount", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *count = static_cast<unsigned>(M().gpus().size());
  return NVML_SUCCESS;
}

nvmlReturn_t GetHandleByIndex(unsigned index, nvmlDevice_t* device) {
  Machine::Call call(M(), "nvmlDeviceGetHandleByIndex", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (device == nullptr || index >= M().gpus().size()) return NVML_ERROR_INVALID_ARGUMENT;
  SimGpu& gpu = M().gpus()[index];
  if (gpu.lost) return NVML_ERROR_GPU_IS_LOST;
  *device = Handle(&gpu);
  return NVML_SUCCESS;
}

nvmlReturn_t GetCudaDriverVersion(int* version) {
  Machine::Call call(M(), "nvmlSystemGetCudaDriverVersion", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (version == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *version = M().profile().cuda_driver_version;
  return NVML_SUCCESS;
}

nvmlReturn_t GetRemotePciInfo(nvmlDevice_t device, unsigned link, nvmlPciInfo_t* pci) {
  Machine::Call call(M(), "nvmlDeviceGetNvLinkRemotePciInfo", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  const auto& remotes = call.gpu()->nvlink_remote_bus_ids;
  if (remotes.empty()) return NVML_ERROR_NOT_SUPPORTED;
  if (pci == nullptr || link >= remotes.size()) return NVML_ERROR_INVALID_ARGUMENT;
  // The far end's device id: a GPU of this machine, or an NVSwitch (0x1AF1 on A100 systems).
  unsigned device_id = 0x1AF110DE;
  for (SimGpu& other : M().gpus()) {
    if (other.spec.bus_id == remotes[link]) device_id = other.spec.pci_device_id;
  }
  FillPciInfo(remotes[link], device_id, 0, pci);
  return NVML_SUCCESS;
}

nvmlReturn_t WaitEvent(nvmlEventSet_t set, nvmlEventData_t* data, unsigned timeout_ms) {
  if (data == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  return M().WaitEvent(reinterpret_cast<SimEventSet*>(set), data, timeout_ms);
}

}  // namespace

extern "C" {

nvmlReturn_t nvmlInit_v2(void) { return M().Init(); }
nvmlReturn_t nvmlInit(void) { return M().Init(); }
nvmlReturn_t nvmlInitWithFlags(unsigned int) { return M().Init(); }
nvmlReturn_t nvmlShutdown(void) { return M().Shutdown(); }

const char* nvmlErrorString(nvmlReturn_t result) { return nvdp::nvml::DefaultErrorString(result); }

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  Machine::Call call(M(), "nvmlSystemGetDriverVersion", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  return CopyString(M().profile().driver_version, version, length);
}

nvmlReturn_t nvmlSystemGetNVMLVersion(char* version, unsigned int length) {
  Machine::Call call(M(), "nvmlSystemGetNVMLVersion", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  return CopyString(M().profile().nvml_version, version, length);
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* version) { return GetCudaDriverVersion(version); }
nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* version) {
  return GetCudaDriverVersion(version);
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* count) { return GetCount(count); }
nvmlReturn_t nvmlDeviceGetCount(unsigned int* count) { return GetCount(count); }

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t* device) {
  return GetHandleByIndex(index, device);
}
nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t* device) {
  return GetHandleByIndex(index, device);
}

nvmlReturn_t nvmlDeviceGetHandleByUUID(const char* uuid, nvmlDevice_t* device) {
  Machine::Call call(M(), "nvmlDeviceGetHandleByUUID", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (uuid == nullptr || device == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (SimComputeInstance* mig = M().FindMigByUuid(uuid)) {
    if (mig->gpu_instance->gpu->lost) return NVML_ERROR_GPU_IS_LOST;
    *device = reinterpret_cast<nvmlDevice_t>(mig);
    return NVML_SUCCESS;
  }
  SimGpu* gpu = M().FindByUuid(uuid);
  if (gpu == nullptr) return NVML_ERROR_NOT_FOUND;
  if (gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  *device = Handle(gpu);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t device, unsigned int* index) {
  Machine::Call call(M(), "nvmlDeviceGetIndex", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (index == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *index = static_cast<unsigned>(call.gpu()->position);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name, unsigned int length) {
  Machine::Call call(M(), "nvmlDeviceGetName", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (call.mig()) {
    return CopyString(call.gpu()->spec.name + " MIG " + call.mig()->gpu_instance->profile->label,
                      name, length);
  }
  return CopyString(call.gpu()->spec.name, name, length);
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid, unsigned int length) {
  Machine::Call call(M(), "nvmlDeviceGetUUID", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  return CopyString(call.mig() ? call.mig()->uuid : call.gpu()->spec.uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device, unsigned int* minor) {
  Machine::Call call(M(), "nvmlDeviceGetMinorNumber", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (minor == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *minor = call.gpu()->spec.minor;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return GetPciInfo(device, pci);
}
nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return GetPciInfo(device, pci);
}
nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return GetPciInfo(device, pci);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t* memory) {
  Machine::Call call(M(), "nvmlDeviceGetMemoryInfo", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (memory == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  memory->total =
      (call.mig() ? call.mig()->gpu_instance->profile->memory_mib : call.gpu()->spec.memory_mib)
      << 20;
  memory->used = 0;
  memory->free = memory->total;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuFabricInfo(nvmlDevice_t device, nvmlGpuFabricInfo_t* info) {
  Machine::Call call(M(), "nvmlDeviceGetGpuFabricInfo", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto& fabric = call.gpu()->spec.fabric;
  if (!fabric) return NVML_ERROR_NOT_SUPPORTED;
  *info = {};
  nvdp::ParseUuidBytes(fabric->cluster_uuid, info->clusterUuid);
  info->status = static_cast<nvmlReturn_t>(fabric->status);
  info->cliqueId = fabric->clique_id;
  info->state = static_cast<unsigned char>(fabric->state);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuFabricInfoV(nvmlDevice_t device, nvmlGpuFabricInfo_v2_t* info) {
  Machine::Call call(M(), "nvmlDeviceGetGpuFabricInfoV", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  if (info->version != nvmlGpuFabricInfo_v2) return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
  const auto& fabric = call.gpu()->spec.fabric;
  if (!fabric) return NVML_ERROR_NOT_SUPPORTED;
  nvdp::ParseUuidBytes(fabric->cluster_uuid, info->clusterUuid);
  info->status = static_cast<nvmlReturn_t>(fabric->status);
  info->cliqueId = fabric->clique_id;
  info->state = static_cast<unsigned char>(fabric->state);
  info->healthMask = 0;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int* major, int* minor) {
  Machine::Call call(M(), "nvmlDeviceGetCudaComputeCapability", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (major == nullptr || minor == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *major = call.gpu()->spec.cc_major;
  *minor = call.gpu()->spec.cc_minor;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetBrand(nvmlDevice_t device, int* brand) {
  Machine::Call call(M(), "nvmlDeviceGetBrand", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (brand == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *brand = call.gpu()->spec.brand;
  return NVML_SUCCESS;
}

// Kept per GPU (or MIG device) and recorded in NVML_SIM_STATE for `nvml-sim show`.
nvmlReturn_t nvmlDeviceSetComputeMode(nvmlDevice_t device, int mode) {
  Machine::Call call(M(), "nvmlDeviceSetComputeMode", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  static const char* const kModes[] = {"DEFAULT", nullptr, "PROHIBITED", "EXCLUSIVE_PROCESS"};
  if (mode < 0 || mode > 3 || kModes[mode] == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const std::string uuid = call.mig() ? call.mig()->uuid : call.gpu()->spec.uuid;
  call.gpu()->compute_modes[uuid] = mode;
  nvdp::sim::RecordSetting(uuid, "compute-mode", kModes[mode]);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeMode(nvmlDevice_t device, int* mode) {
  Machine::Call call(M(), "nvmlDeviceGetComputeMode", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (mode == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const std::string uuid = call.mig() ? call.mig()->uuid : call.gpu()->spec.uuid;
  auto it = call.gpu()->compute_modes.find(uuid);
  *mode = it == call.gpu()->compute_modes.end() ? 0 : it->second;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device, unsigned int* current,
                                  unsigned int* pending) {
  Machine::Call call(M(), "nvmlDeviceGetMigMode", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!call.gpu()->spec.mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  if (current == nullptr || pending == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *current = call.gpu()->spec.mig_enabled ? NVML_DEVICE_MIG_ENABLE : NVML_DEVICE_MIG_DISABLE;
  *pending = *current;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device, unsigned int* count) {
  Machine::Call call(M(), "nvmlDeviceGetMaxMigDeviceCount", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!call.gpu()->spec.mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  if (count == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *count = call.gpu()->spec.max_mig_devices;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device, unsigned int index,
                                                 nvmlDevice_t* mig) {
  Machine::Call call(M(), "nvmlDeviceGetMigDeviceHandleByIndex", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  const SimGpu& gpu = *call.gpu();
  if (!gpu.spec.mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  if (mig == nullptr || index >= gpu.spec.max_mig_devices) return NVML_ERROR_INVALID_ARGUMENT;
  if (index >= gpu.mig_devices.size()) return NVML_ERROR_NOT_FOUND;
  *mig = reinterpret_cast<nvmlDevice_t>(gpu.mig_devices[index]);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t device, unsigned int* is_mig) {
  Machine::Call call(M(), "nvmlDeviceIsMigDeviceHandle", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (is_mig == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *is_mig = call.mig() != nullptr;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t mig, nvmlDevice_t* parent) {
  Machine::Call call(M(), "nvmlDeviceGetDeviceHandleFromMigDeviceHandle", mig,
                     Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (call.mig() == nullptr || parent == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *parent = Handle(call.gpu());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int* id) {
  Machine::Call call(M(), "nvmlDeviceGetGpuInstanceId", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (call.mig() == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  if (id == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *id = call.mig()->gpu_instance->id;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device, unsigned int* id) {
  Machine::Call call(M(), "nvmlDeviceGetComputeInstanceId", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (call.mig() == nullptr) return NVML_ERROR_NOT_SUPPORTED;
  if (id == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *id = call.mig()->id;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t device, nvmlDeviceAttributes_t* attributes) {
  Machine::Call call(M(), "nvmlDeviceGetAttributes", device, Machine::Handle::kGpuOrMig);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (call.mig() == nullptr) return NVML_ERROR_NOT_SUPPORTED;  // not simulated for whole GPUs
  if (attributes == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const SimComputeInstance& ci = *call.mig();
  const MigProfileSpec& gi = *ci.gpu_instance->profile;
  *attributes = {};
  attributes->multiprocessorCount = gi.multiprocessors * ci.slices / gi.slices;
  attributes->sharedCopyEngineCount = gi.copy_engines;
  attributes->sharedDecoderCount = gi.decoders;
  attributes->sharedEncoderCount = gi.encoders;
  attributes->sharedJpegCount = gi.jpegs;
  attributes->sharedOfaCount = gi.ofas;
  attributes->gpuInstanceSliceCount = gi.slices;
  attributes->computeInstanceSliceCount = ci.slices;
  attributes->memorySizeMB = gi.memory_mib;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(nvmlDevice_t device, unsigned int profile,
                                                 nvmlGpuInstanceProfileInfo_t* info) {
  Machine::Call call(M(), "nvmlDeviceGetGpuInstanceProfileInfo", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!call.gpu()->spec.mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  if (info == nullptr || profile >= NVML_GPU_INSTANCE_PROFILE_COUNT) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  for (const MigProfileSpec& spec : call.gpu()->spec.mig_profiles) {
    if (spec.index != profile) continue;
    *info = {};
    info->id = spec.id;
    info->isP2pSupported = 0;
    info->sliceCount = spec.slices;
    info->instanceCount = spec.instances;
    info->multiprocessorCount = spec.multiprocessors;
    info->copyEngineCount = spec.copy_engines;
    info->decoderCount = spec.decoders;
    info->encoderCount = spec.encoders;
    info->jpegCount = spec.jpegs;
    info->ofaCount = spec.ofas;
    info->memorySizeMB = spec.memory_mib;
    return NVML_SUCCESS;
  }
  return NVML_ERROR_NOT_SUPPORTED;
}

nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                          nvmlGpuInstance_t* instance) {
  Machine::Call call(M(), "nvmlDeviceGetGpuInstanceById", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!call.gpu()->spec.mig_capable) return NVML_ERROR_NOT_SUPPORTED;
  if (instance == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  for (SimGpuInstance& gi : call.gpu()->gpu_instances) {
    if (gi.id != id) continue;
    *instance = reinterpret_cast<nvmlGpuInstance_t>(&gi);
    return NVML_SUCCESS;
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t instance, nvmlGpuInstanceInfo_t* info) {
  Machine::Call call(M(), "nvmlGpuInstanceGetInfo", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!M().IsGpuInstance(instance) || info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto& gi = *reinterpret_cast<SimGpuInstance*>(instance);
  if (gi.gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  info->device = Handle(gi.gpu);
  info->id = gi.id;
  info->profileId = gi.profile->id;
  info->placement = {gi.placement_start, gi.profile->slices};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(nvmlGpuInstance_t instance, unsigned int id,
                                                   nvmlComputeInstance_t* compute) {
  Machine::Call call(M(), "nvmlGpuInstanceGetComputeInstanceById", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!M().IsGpuInstance(instance) || compute == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  auto& gi = *reinterpret_cast<SimGpuInstance*>(instance);
  for (SimComputeInstance& ci : gi.compute_instances) {
    if (ci.id != id) continue;
    *compute = reinterpret_cast<nvmlComputeInstance_t>(&ci);
    return NVML_SUCCESS;
  }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(nvmlGpuInstance_t instance,
                                                          unsigned int profile, unsigned int engine,
                                                          nvmlComputeInstanceProfileInfo_t* info) {
  Machine::Call call(M(), "nvmlGpuInstanceGetComputeInstanceProfileInfo", nullptr,
                     Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!M().IsGpuInstance(instance) || info == nullptr ||
      profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT) {
    return NVML_ERROR_INVALID_ARGUMENT;
  }
  const auto& gi = *reinterpret_cast<SimGpuInstance*>(instance);
  // Compute instance slices by profile index (1_SLICE .. 6_SLICE, 1_SLICE_REV1).
  static constexpr unsigned kSlices[] = {1, 2, 3, 4, 7, 8, 6, 1};
  const unsigned slices = kSlices[profile];
  if (engine != NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED || slices > gi.profile->slices ||
      profile == 0x7) {
    return NVML_ERROR_NOT_SUPPORTED;
  }
  const MigProfileSpec& spec = *gi.profile;
  *info = {};
  info->id = profile;
  info->sliceCount = slices;
  info->instanceCount = spec.slices / slices;
  info->multiprocessorCount = spec.multiprocessors * slices / spec.slices;
  info->sharedCopyEngineCount = spec.copy_engines;
  info->sharedDecoderCount = spec.decoders;
  info->sharedEncoderCount = spec.encoders;
  info->sharedJpegCount = spec.jpegs;
  info->sharedOfaCount = spec.ofas;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlComputeInstanceGetInfo_v2(nvmlComputeInstance_t compute,
                                           nvmlComputeInstanceInfo_t* info) {
  Machine::Call call(M(), "nvmlComputeInstanceGetInfo", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (!M().IsMigDevice(compute) || info == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  const auto& ci = *reinterpret_cast<SimComputeInstance*>(compute);
  if (ci.gpu_instance->gpu->lost) return NVML_ERROR_GPU_IS_LOST;
  info->device = Handle(ci.gpu_instance->gpu);
  info->gpuInstance = reinterpret_cast<nvmlGpuInstance_t>(ci.gpu_instance);
  info->id = ci.id;
  info->profileId = ci.profile_index;
  unsigned start = 0;
  for (const SimComputeInstance& other : ci.gpu_instance->compute_instances) {
    if (&other == &ci) break;
    start += other.slices;
  }
  info->placement = {start, ci.slices};
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetTopologyCommonAncestor(nvmlDevice_t first, nvmlDevice_t second,
                                                 nvmlGpuTopologyLevel_t* level) {
  SimGpu* other = nullptr;
  {
    Machine::Call call(M(), "nvmlDeviceGetTopologyCommonAncestor", second, Machine::Handle::kGpu);
    if (call.status() != NVML_SUCCESS) return call.status();
    other = call.gpu();
  }
  Machine::Call call(M(), "nvmlDeviceGetTopologyCommonAncestor", first, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (level == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *level = static_cast<nvmlGpuTopologyLevel_t>(
      nvdp::sim::CommonAncestorLevel(call.gpu()->spec, other->spec));
  if (call.gpu() == other) *level = NVML_TOPOLOGY_INTERNAL;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetNvLinkState(nvmlDevice_t device, unsigned int link,
                                      nvmlEnableState_t* active) {
  Machine::Call call(M(), "nvmlDeviceGetNvLinkState", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  const auto& remotes = call.gpu()->nvlink_remote_bus_ids;
  if (remotes.empty()) return NVML_ERROR_NOT_SUPPORTED;
  if (active == nullptr || link >= remotes.size()) return NVML_ERROR_INVALID_ARGUMENT;
  *active = NVML_FEATURE_ENABLED;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo_v2(nvmlDevice_t device, unsigned int link,
                                                 nvmlPciInfo_t* pci) {
  return GetRemotePciInfo(device, link, pci);
}
nvmlReturn_t nvmlDeviceGetNvLinkRemotePciInfo(nvmlDevice_t device, unsigned int link,
                                              nvmlPciInfo_t* pci) {
  return GetRemotePciInfo(device, link, pci);
}

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  Machine::Call call(M(), "nvmlEventSetCreate", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (set == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *set = reinterpret_cast<nvmlEventSet_t>(M().CreateEventSet());
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  Machine::Call call(M(), "nvmlEventSetFree", nullptr, Machine::Handle::kNone);
  if (call.status() != NVML_SUCCESS) return call.status();
  return M().FreeEventSet(reinterpret_cast<SimEventSet*>(set)) ? NVML_SUCCESS
                                                               : NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device,
                                              unsigned long long* event_types) {
  Machine::Call call(M(), "nvmlDeviceGetSupportedEventTypes", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  if (event_types == nullptr) return NVML_ERROR_INVALID_ARGUMENT;
  *event_types = call.gpu()->spec.supported_events;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long event_types,
                                      nvmlEventSet_t set) {
  Machine::Call call(M(), "nvmlDeviceRegisterEvents", device, Machine::Handle::kGpu);
  if (call.status() != NVML_SUCCESS) return call.status();
  auto* events = reinterpret_cast<SimEventSet*>(set);
  if (!M().IsEventSet(events)) return NVML_ERROR_INVALID_ARGUMENT;
  if ((event_types & ~call.gpu()->spec.supported_events) != 0) return NVML_ERROR_NOT_SUPPORTED;
  events->masks[call.gpu()] |= event_types;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                 unsigned int timeout_ms) {
  return WaitEvent(set, data, timeout_ms);
}
nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeout_ms) {
  return WaitEvent(set, data, timeout_ms);
}

}  // extern "C"
