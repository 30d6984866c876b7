#include "discovery/mig_discovery.h"

#include <algorithm>

#include "common/log.h"
#include "device/mig_profile.h"

namespace nvdp::discovery {
namespace {

template <typename Fn>
Fn Need(Fn fn, const char* name) {
  if (fn == nullptr) {
    throw nvml::NvmlError(NVML_ERROR_FUNCTION_NOT_FOUND, name,
                          nvml::DefaultErrorString(NVML_ERROR_FUNCTION_NOT_FOUND));
  }
  return fn;
}

// Calls an NVML function the loader may not have found; its failure becomes NvmlError.
template <typename Fn, typename... Args>
void Call(const nvml::Nvml& nvml, Fn fn, const char* name, Args&&... args) {
  nvml.Check(Need(fn, name)(std::forward<Args>(args)...), name);
}

// The GPU instance profile index whose reported id is `profile_id`.
unsigned FindGpuInstanceProfile(const nvml::Nvml& nvml, nvmlDevice_t parent, unsigned profile_id,
                                unsigned long long* memory_mib) {
  auto get =
      Need(nvml.api().DeviceGetGpuInstanceProfileInfo, "nvmlDeviceGetGpuInstanceProfileInfo");
  for (unsigned index = 0; index < NVML_GPU_INSTANCE_PROFILE_COUNT; ++index) {
    nvmlGpuInstanceProfileInfo_t info{};
    if (get(parent, index, &info) == NVML_SUCCESS && info.id == profile_id) {
      *memory_mib = info.memorySizeMB;
      return index;
    }
  }
  throw nvml::NvmlError(NVML_ERROR_NOT_FOUND, "nvmlDeviceGetGpuInstanceProfileInfo",
                        "no GPU instance profile with id " + std::to_string(profile_id));
}

unsigned FindComputeInstanceProfile(const nvml::Nvml& nvml, nvmlGpuInstance_t gi,
                                    unsigned profile_id) {
  auto get = Need(nvml.api().GpuInstanceGetComputeInstanceProfileInfo,
                  "nvmlGpuInstanceGetComputeInstanceProfileInfo");
  for (unsigned index = 0; index < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; ++index) {
    nvmlComputeInstanceProfileInfo_t info{};
    if (get(gi, index, NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &info) == NVML_SUCCESS &&
        info.id == profile_id) {
      return index;
    }
  }
  throw nvml::NvmlError(NVML_ERROR_NOT_FOUND, "nvmlGpuInstanceGetComputeInstanceProfileInfo",
                        "no compute instance profile with id " + std::to_string(profile_id));
}

MigDeviceInfo ReadMigDevice(const nvml::Nvml& nvml, nvmlDevice_t parent,
                            unsigned long long parent_bytes, nvmlDevice_t mig, unsigned index) {
  const nvml::Api& api = nvml.api();
  MigDeviceInfo device;
  device.index = index;
  device.uuid = nvml.Uuid(mig);
  Call(nvml, api.DeviceGetGpuInstanceId, "nvmlDeviceGetGpuInstanceId", mig, &device.gpu_instance);
  Call(nvml, api.DeviceGetComputeInstanceId, "nvmlDeviceGetComputeInstanceId", mig,
       &device.compute_instance);
  nvmlDeviceAttributes_t attributes{};
  Call(nvml, api.DeviceGetAttributes, "nvmlDeviceGetAttributes_v2", mig, &attributes);
  device.attributes = {attributes.multiprocessorCount,   attributes.sharedCopyEngineCount,
                       attributes.sharedDecoderCount,    attributes.sharedEncoderCount,
                       attributes.sharedJpegCount,       attributes.sharedOfaCount,
                       attributes.gpuInstanceSliceCount, attributes.computeInstanceSliceCount,
                       attributes.memorySizeMB};
  device.memory_bytes = nvml.MemoryInfo(mig).total;

  nvmlGpuInstance_t gi = nullptr;
  Call(nvml, api.DeviceGetGpuInstanceById, "nvmlDeviceGetGpuInstanceById", parent,
       device.gpu_instance, &gi);
  nvmlGpuInstanceInfo_t gi_info{};
  Call(nvml, api.GpuInstanceGetInfo, "nvmlGpuInstanceGetInfo", gi, &gi_info);
  device.gpu_instance_profile_id = gi_info.profileId;
  device.placement_start = gi_info.placement.start;
  device.placement_size = gi_info.placement.size;
  unsigned long long gi_memory_mib = 0;
  const unsigned gi_profile =
      FindGpuInstanceProfile(nvml, parent, gi_info.profileId, &gi_memory_mib);
  nvmlComputeInstance_t ci = nullptr;
  Call(nvml, api.GpuInstanceGetComputeInstanceById, "nvmlGpuInstanceGetComputeInstanceById", gi,
       device.compute_instance, &ci);
  nvmlComputeInstanceInfo_t ci_info{};
  Call(nvml, api.ComputeInstanceGetInfo, "nvmlComputeInstanceGetInfo_v2", ci, &ci_info);
  const unsigned ci_profile = FindComputeInstanceProfile(nvml, gi, ci_info.profileId);
  device.profile =
      device::MigProfileName(gi_profile, ci_profile, attributes.memorySizeMB, parent_bytes);
  device.graphics = device::IsGraphicsProfile(gi_profile);
  return device;
}

// Profiles with C == G this GPU supports, in NVML profile order (go-nvlib VisitMigProfiles).
std::vector<std::string> SupportedProfiles(const nvml::Nvml& nvml, nvmlDevice_t handle,
                                           unsigned long long parent_bytes) {
  std::vector<std::string> names;
  auto get = nvml.api().DeviceGetGpuInstanceProfileInfo;
  if (get == nullptr) return names;
  for (unsigned gi = 0; gi < NVML_GPU_INSTANCE_PROFILE_COUNT; ++gi) {
    nvmlGpuInstanceProfileInfo_t info{};
    if (get(handle, gi, &info) != NVML_SUCCESS) continue;
    for (unsigned ci = 0; ci < NVML_COMPUTE_INSTANCE_PROFILE_COUNT; ++ci) {
      const int g = device::GpuInstanceSlices(gi);
      const int c = device::ComputeInstanceSlices(ci);
      if (g == 0 || c != g || !device::IsMigProfileCandidate(g, c)) continue;
      std::string name = device::MigProfileName(gi, ci, info.memorySizeMB, parent_bytes);
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

}  // namespace

void DiscoverMig(const nvml::Nvml& nvml, nvmlDevice_t handle, GpuInfo& gpu,
                 std::vector<std::string>& unreadable) {
  const nvml::Api& api = nvml.api();
  if (api.DeviceGetMigMode == nullptr) return;
  unsigned current = 0, pending = 0;
  nvmlReturn_t ret = api.DeviceGetMigMode(handle, &current, &pending);
  if (ret == NVML_ERROR_NOT_SUPPORTED) return;
  if (ret != NVML_SUCCESS) {
    LOG_WARNING("GPU {} ({}): MIG mode unknown: {}", gpu.index, gpu.uuid, nvml.ErrorString(ret));
    return;
  }
  gpu.mig_capable = true;
  gpu.mig_enabled = current == NVML_DEVICE_MIG_ENABLE;
  gpu.mig_profiles = SupportedProfiles(nvml, handle, gpu.memory_bytes);
  if (!gpu.mig_enabled) return;

  unsigned max_devices = 0;
  try {
    Call(nvml, api.DeviceGetMaxMigDeviceCount, "nvmlDeviceGetMaxMigDeviceCount", handle,
         &max_devices);
  } catch (const nvml::NvmlError& error) {
    LOG_ERROR("GPU {} ({}): MIG devices cannot be listed: {}", gpu.index, gpu.uuid, error.what());
    unreadable.push_back("MIG devices of GPU " + std::to_string(gpu.index) + ": " + error.what());
    return;
  }
  for (unsigned index = 0; index < max_devices; ++index) {
    nvmlDevice_t mig = nullptr;
    ret = Need(api.DeviceGetMigDeviceHandleByIndex, "nvmlDeviceGetMigDeviceHandleByIndex")(
        handle, index, &mig);
    if (ret == NVML_ERROR_NOT_FOUND || ret == NVML_ERROR_INVALID_ARGUMENT) continue;
    try {
      nvml.Check(ret, "nvmlDeviceGetMigDeviceHandleByIndex");
      gpu.mig_devices.push_back(ReadMigDevice(nvml, handle, gpu.memory_bytes, mig, index));
    } catch (const nvml::NvmlError& error) {
      LOG_ERROR("MIG device {}:{} cannot be read and is left out: {}", gpu.index, index,
                error.what());
      unreadable.push_back("MIG device " + std::to_string(gpu.index) + ":" + std::to_string(index) +
                           ": " + error.what());
    }
  }
}

}  // namespace nvdp::discovery
