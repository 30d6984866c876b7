// Loads libnvidia-ml.so.1 with dlopen, the way upstream does (spec §4.3 step 2, §12.1): first under
// the container driver root, then by plain soname; newest versioned symbols first.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nvml/nvml_abi.h"

namespace nvdp::nvml {

// Resolved entry points. Required ones are never null; optional ones are null when the driver
// lacks them (callers then report NVML_ERROR_FUNCTION_NOT_FOUND).
struct Api {
  nvmlInit_fn Init = nullptr;
  nvmlShutdown_fn Shutdown = nullptr;
  nvmlErrorString_fn ErrorString = nullptr;
  nvmlSystemGetDriverVersion_fn SystemGetDriverVersion = nullptr;
  nvmlSystemGetCudaDriverVersion_fn SystemGetCudaDriverVersion = nullptr;
  nvmlDeviceGetCount_fn DeviceGetCount = nullptr;
  nvmlDeviceGetHandleByIndex_fn DeviceGetHandleByIndex = nullptr;
  nvmlDeviceGetHandleByUUID_fn DeviceGetHandleByUUID = nullptr;
  nvmlDeviceGetString_fn DeviceGetName = nullptr;
  nvmlDeviceGetString_fn DeviceGetUUID = nullptr;
  nvmlDeviceGetUint_fn DeviceGetMinorNumber = nullptr;
  nvmlDeviceGetPciInfo_fn DeviceGetPciInfo = nullptr;
  nvmlDeviceGetMemoryInfo_fn DeviceGetMemoryInfo = nullptr;
  nvmlDeviceGetCudaComputeCapability_fn DeviceGetCudaComputeCapability = nullptr;
  nvmlDeviceGetBrand_fn DeviceGetBrand = nullptr;              // optional
  nvmlDeviceSetComputeMode_fn DeviceSetComputeMode = nullptr;  // optional (gpu-kubelet-plugin)
  nvmlDeviceGetMigMode_fn DeviceGetMigMode = nullptr;
  nvmlDeviceGetTopologyCommonAncestor_fn DeviceGetTopologyCommonAncestor = nullptr;
  nvmlDeviceGetNvLinkState_fn DeviceGetNvLinkState = nullptr;
  nvmlDeviceGetNvLinkRemotePciInfo_fn DeviceGetNvLinkRemotePciInfo = nullptr;
  nvmlEventSetCreate_fn EventSetCreate = nullptr;
  nvmlEventSetFree_fn EventSetFree = nullptr;
  nvmlDeviceGetSupportedEventTypes_fn DeviceGetSupportedEventTypes = nullptr;
  nvmlDeviceRegisterEvents_fn DeviceRegisterEvents = nullptr;
  nvmlEventSetWait_fn EventSetWait = nullptr;
  // MIG
  nvmlDeviceGetUint_fn DeviceGetMaxMigDeviceCount = nullptr;
  nvmlDeviceGetMigDeviceHandleByIndex_fn DeviceGetMigDeviceHandleByIndex = nullptr;
  nvmlDeviceGetUint_fn DeviceIsMigDeviceHandle = nullptr;
  nvmlDeviceGetDeviceHandleFromMigDeviceHandle_fn DeviceGetDeviceHandleFromMigDeviceHandle =
      nullptr;
  nvmlDeviceGetUint_fn DeviceGetGpuInstanceId = nullptr;
  nvmlDeviceGetUint_fn DeviceGetComputeInstanceId = nullptr;
  nvmlDeviceGetAttributes_fn DeviceGetAttributes = nullptr;
  nvmlDeviceGetGpuInstanceProfileInfo_fn DeviceGetGpuInstanceProfileInfo = nullptr;
  nvmlDeviceGetGpuInstanceById_fn DeviceGetGpuInstanceById = nullptr;
  nvmlGpuInstanceGetInfo_fn GpuInstanceGetInfo = nullptr;
  nvmlGpuInstanceGetComputeInstanceById_fn GpuInstanceGetComputeInstanceById = nullptr;
  nvmlGpuInstanceGetComputeInstanceProfileInfo_fn GpuInstanceGetComputeInstanceProfileInfo =
      nullptr;
  nvmlComputeInstanceGetInfo_fn ComputeInstanceGetInfo = nullptr;
  // Fabric (GFD's clique label)
  nvmlDeviceGetGpuFabricInfo_fn DeviceGetGpuFabricInfo = nullptr;
  nvmlDeviceGetGpuFabricInfoV_fn DeviceGetGpuFabricInfoV = nullptr;
};

// Paths tried under a container driver root, in order (empty when the root is "/"): NVML's, or
// another driver library's (libcuda.so.1 on Tegra).
std::vector<std::string> CandidateLibraryPaths(const std::string& driver_root,
                                               const std::string& soname = "libnvidia-ml.so.1");

// Resolves symlinks of `path` as if `root` were "/" (absolute link targets are taken relative to
// the root, as they point into the host's file system). Returns "" when the file does not exist.
std::string ResolveUnderRoot(const std::string& root, const std::string& path);

// A driver library loaded with dlopen: under the driver root's library directories first (links
// resolved within the root), then by soname from the loader's search path.
struct DriverLibrary {
  void* handle = nullptr;  // nullptr: none loaded
  std::string path;        // what was loaded
  std::string tried;       // otherwise: every path tried, and dlerror's last word
};
DriverLibrary OpenDriverLibrary(const std::string& driver_root, const std::string& soname,
                                int dlopen_flags);

class Library {
 public:
  // Throws NvmlError(NVML_ERROR_LIBRARY_NOT_FOUND) naming every place tried and dlerror().
  static std::shared_ptr<Library> Open(const std::string& driver_root);
  ~Library();
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  const Api& api() const { return api_; }
  // The file that was loaded, or the soname when the dynamic loader searched for it.
  const std::string& path() const { return path_; }

 private:
  Library(void* handle, std::string path);
  void Resolve();

  void* handle_;
  std::string path_;
  Api api_;
};

}  // namespace nvdp::nvml
