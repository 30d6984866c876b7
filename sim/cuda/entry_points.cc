// A libcuda.so.1 answering the CUDA driver API calls gpu-feature-discovery makes on Tegra nodes
// (spec §7.2), from the same profile as the NVML simulator: NVML_SIM_PROFILE, a built-in name
// or a YAML file (default jetson-orin). A Tegra driver root carries this library and no
// libnvidia-ml.so.1.
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "profile.h"

namespace {

// cudaError_enum values the programs can meet.
constexpr int kSuccess = 0, kInvalidValue = 1, kNotInitialized = 3, kNoDevice = 100,
              kInvalidDevice = 101;
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;

const nvdp::sim::Profile* Loaded() {
  static const std::unique_ptr<nvdp::sim::Profile> profile = []() {
    const char* name = std::getenv("NVML_SIM_PROFILE");
    try {
      return std::make_unique<nvdp::sim::Profile>(
          nvdp::sim::LoadProfile(name && *name ? name : "jetson-orin"));
    } catch (const std::exception&) {
      return std::unique_ptr<nvdp::sim::Profile>();
    }
  }();
  return profile.get();
}

bool initialised = false;

const nvdp::sim::GpuProfile* Device(int device) {
  const nvdp::sim::Profile* profile = Loaded();
  if (!profile || device < 0 || static_cast<size_t>(device) >= profile->gpus.size()) return nullptr;
  return &profile->gpus[static_cast<size_t>(device)];
}

}  // namespace

extern "C" {

int cuInit(unsigned flags) {
  if (flags != 0) return kInvalidValue;
  if (!Loaded() || Loaded()->gpus.empty()) return kNoDevice;
  initialised = true;
  return kSuccess;
}

int cuDriverGetVersion(int* version) {
  if (!version) return kInvalidValue;
  *version = Loaded() ? Loaded()->cuda_driver_version : 0;
  return kSuccess;
}

int cuDeviceGetCount(int* count) {
  if (!initialised) return kNotInitialized;
  if (!count) return kInvalidValue;
  *count = static_cast<int>(Loaded()->gpus.size());
  return kSuccess;
}

int cuDeviceGet(int* device, int ordinal) {
  if (!initialised) return kNotInitialized;
  if (!device) return kInvalidValue;
  if (!Device(ordinal)) return kInvalidDevice;
  *device = ordinal;
  return kSuccess;
}

int cuDeviceGetName(char* name, int length, int device) {
  if (!initialised) return kNotInitialized;
  const nvdp::sim::GpuProfile* gpu = Device(device);
  if (!gpu) return kInvalidDevice;
  if (!name || length <= 0) return kInvalidValue;
  std::strncpy(name, gpu->name.c_str(), static_cast<size_t>(length) - 1);
  name[length - 1] = '\0';
  return kSuccess;
}

int cuDeviceTotalMem_v2(size_t* bytes, int device) {
  if (!initialised) return kNotInitialized;
  const nvdp::sim::GpuProfile* gpu = Device(device);
  if (!gpu) return kInvalidDevice;
  if (!bytes) return kInvalidValue;
  *bytes = static_cast<size_t>(gpu->memory_mib) << 20;
  return kSuccess;
}

int cuDeviceGetAttribute(int* value, int attribute, int device) {
  if (!initialised) return kNotInitialized;
  const nvdp::sim::GpuProfile* gpu = Device(device);
  if (!gpu) return kInvalidDevice;
  if (!value) return kInvalidValue;
  if (attribute == kComputeCapabilityMajor) {
    *value = gpu->cc_major;
  } else if (attribute == kComputeCapabilityMinor) {
    *value = gpu->cc_minor;
  } else {
    return kInvalidValue;
  }
  return kSuccess;
}

}  // extern "C"
