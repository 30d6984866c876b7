#include "nvml/library.h"

#include <dlfcn.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <initializer_list>

#include "common/paths.h"
#include "common/strings.h"
#include "nvml/error.h"

namespace nvdp::nvml {
namespace {

constexpr const char* kSoname = "libnvidia-ml.so.1";

// Library directories searched under a driver root, in upstream's order.
constexpr const char* kLibraryDirs[] = {
    "/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
    "/lib64",     "/lib/x86_64-linux-gnu",     "/lib/aarch64-linux-gnu",
};

// Returns the first symbol found, newest version first.
template <typename Fn>
Fn Lookup(void* handle, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (void* symbol = dlsym(handle, name)) return reinterpret_cast<Fn>(symbol);
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> CandidateLibraryPaths(const std::string& driver_root,
                                               const std::string& soname) {
  std::vector<std::string> paths;
  if (driver_root.empty() || driver_root == "/") return paths;
  for (const char* dir : kLibraryDirs) {
    paths.push_back(JoinRoot(driver_root, std::string(dir) + "/" + soname));
  }
  return paths;
}

std::string ResolveUnderRoot(const std::string& root, const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {
    struct stat info {};
    if (lstat(current.c_str(), &info) != 0) return "";
    if (!S_ISLNK(info.st_mode)) return current;
    char target[PATH_MAX];
    ssize_t length = readlink(current.c_str(), target, sizeof(target) - 1);
    if (length <= 0) return "";
    std::string link(target, static_cast<size_t>(length));
    if (link.front() == '/') {
      current = JoinRoot(root, link);
    } else {
      current = current.substr(0, current.rfind('/') + 1) + link;
    }
  }
  return "";  // a symlink loop
}

DriverLibrary OpenDriverLibrary(const std::string& driver_root, const std::string& soname,
                                int dlopen_flags) {
  std::vector<std::string> tried;
  for (const std::string& candidate : CandidateLibraryPaths(driver_root, soname)) {
    const std::string resolved = ResolveUnderRoot(driver_root, candidate);
    if (resolved.empty()) {
      tried.push_back(candidate);
      continue;
    }
    if (void* handle = dlopen(resolved.c_str(), dlopen_flags)) return {handle, resolved, ""};
    tried.push_back(resolved);
  }
  if (void* handle = dlopen(soname.c_str(), dlopen_flags)) return {handle, soname, ""};
  const char* error = dlerror();
  tried.push_back(soname + " (dynamic loader search path)");
  return {nullptr, "", Join(tried, ", ") + (error ? std::string(": ") + error : "")};
}

std::shared_ptr<Library> Library::Open(const std::string& driver_root) {
  DriverLibrary library = OpenDriverLibrary(driver_root, kSoname, RTLD_LAZY | RTLD_GLOBAL);
  if (library.handle == nullptr) {
    throw NvmlError(NVML_ERROR_LIBRARY_NOT_FOUND, "dlopen",
                    "could not load NVML library; tried " + library.tried);
  }
  return std::shared_ptr<Library>(new Library(library.handle, library.path));
}

Library::Library(void* handle, std::string path) : handle_(handle), path_(std::move(path)) {
  Resolve();
}

Library::~Library() { dlclose(handle_); }

void Library::Resolve() {
  Api& a = api_;
  a.Init = Lookup<nvmlInit_fn>(handle_, {"nvmlInit_v2", "nvmlInit"});
  a.Shutdown = Lookup<nvmlShutdown_fn>(handle_, {"nvmlShutdown"});
  a.ErrorString = Lookup<nvmlErrorString_fn>(handle_, {"nvmlErrorString"});
  a.SystemGetDriverVersion =
      Lookup<nvmlSystemGetDriverVersion_fn>(handle_, {"nvmlSystemGetDriverVersion"});
  a.SystemGetCudaDriverVersion = Lookup<nvmlSystemGetCudaDriverVersion_fn>(
      handle_, {"nvmlSystemGetCudaDriverVersion_v2", "nvmlSystemGetCudaDriverVersion"});
  a.DeviceGetCount =
      Lookup<nvmlDeviceGetCount_fn>(handle_, {"nvmlDeviceGetCount_v2", "nvmlDeviceGetCount"});
  a.DeviceGetHandleByIndex = Lookup<nvmlDeviceGetHandleByIndex_fn>(
      handle_, {"nvmlDeviceGetHandleByIndex_v2", "nvmlDeviceGetHandleByIndex"});
  a.DeviceGetHandleByUUID =
      Lookup<nvmlDeviceGetHandleByUUID_fn>(handle_, {"nvmlDeviceGetHandleByUUID"});
  a.DeviceGetName = Lookup<nvmlDeviceGetString_fn>(handle_, {"nvmlDeviceGetName"});
  a.DeviceGetUUID = Lookup<nvmlDeviceGetString_fn>(handle_, {"nvmlDeviceGetUUID"});
  a.DeviceGetMinorNumber = Lookup<nvmlDeviceGetUint_fn>(handle_, {"nvmlDeviceGetMinorNumber"});
  a.DeviceGetPciInfo = Lookup<nvmlDeviceGetPciInfo_fn>(
      handle_, {"nvmlDeviceGetPciInfo_v3", "nvmlDeviceGetPciInfo_v2", "nvmlDeviceGetPciInfo"});
  a.DeviceGetMemoryInfo = Lookup<nvmlDeviceGetMemoryInfo_fn>(handle_, {"nvmlDeviceGetMemoryInfo"});
  a.DeviceGetCudaComputeCapability = Lookup<nvmlDeviceGetCudaComputeCapability_fn>(
      handle_, {"nvmlDeviceGetCudaComputeCapability"});
  a.DeviceGetBrand = Lookup<nvmlDeviceGetBrand_fn>(handle_, {"nvmlDeviceGetBrand"});
  a.DeviceSetComputeMode =
      Lookup<nvmlDeviceSetComputeMode_fn>(handle_, {"nvmlDeviceSetComputeMode"});
  a.DeviceGetMigMode = Lookup<nvmlDeviceGetMigMode_fn>(handle_, {"nvmlDeviceGetMigMode"});
  a.DeviceGetTopologyCommonAncestor = Lookup<nvmlDeviceGetTopologyCommonAncestor_fn>(
      handle_, {"nvmlDeviceGetTopologyCommonAncestor"});
  a.DeviceGetNvLinkState =
      Lookup<nvmlDeviceGetNvLinkState_fn>(handle_, {"nvmlDeviceGetNvLinkState"});
  a.DeviceGetNvLinkRemotePciInfo = Lookup<nvmlDeviceGetNvLinkRemotePciInfo_fn>(
      handle_, {"nvmlDeviceGetNvLinkRemotePciInfo_v2", "nvmlDeviceGetNvLinkRemotePciInfo"});
  a.EventSetCreate = Lookup<nvmlEventSetCreate_fn>(handle_, {"nvmlEventSetCreate"});
  a.EventSetFree = Lookup<nvmlEventSetFree_fn>(handle_, {"nvmlEventSetFree"});
  a.DeviceGetSupportedEventTypes =
      Lookup<nvmlDeviceGetSupportedEventTypes_fn>(handle_, {"nvmlDeviceGetSupportedEventTypes"});
  a.DeviceRegisterEvents =
      Lookup<nvmlDeviceRegisterEvents_fn>(handle_, {"nvmlDeviceRegisterEvents"});
  a.EventSetWait =
      Lookup<nvmlEventSetWait_fn>(handle_, {"nvmlEventSetWait_v2", "nvmlEventSetWait"});
  a.DeviceGetMaxMigDeviceCount =
      Lookup<nvmlDeviceGetUint_fn>(handle_, {"nvmlDeviceGetMaxMigDeviceCount"});
  a.DeviceGetMigDeviceHandleByIndex = Lookup<nvmlDeviceGetMigDeviceHandleByIndex_fn>(
      handle_, {"nvmlDeviceGetMigDeviceHandleByIndex"});
  a.DeviceIsMigDeviceHandle =
      Lookup<nvmlDeviceGetUint_fn>(handle_, {"nvmlDeviceIsMigDeviceHandle"});
  a.DeviceGetDeviceHandleFromMigDeviceHandle =
      Lookup<nvmlDeviceGetDeviceHandleFromMigDeviceHandle_fn>(
          handle_, {"nvmlDeviceGetDeviceHandleFromMigDeviceHandle"});
  a.DeviceGetGpuInstanceId = Lookup<nvmlDeviceGetUint_fn>(handle_, {"nvmlDeviceGetGpuInstanceId"});
  a.DeviceGetComputeInstanceId =
      Lookup<nvmlDeviceGetUint_fn>(handle_, {"nvmlDeviceGetComputeInstanceId"});
  a.DeviceGetAttributes =
      Lookup<nvmlDeviceGetAttributes_fn>(handle_, {"nvmlDeviceGetAttributes_v2"});
  a.DeviceGetGpuFabricInfo =
      Lookup<nvmlDeviceGetGpuFabricInfo_fn>(handle_, {"nvmlDeviceGetGpuFabricInfo"});
  a.DeviceGetGpuFabricInfoV =
      Lookup<nvmlDeviceGetGpuFabricInfoV_fn>(handle_, {"nvmlDeviceGetGpuFabricInfoV"});
  a.DeviceGetGpuInstanceProfileInfo = Lookup<nvmlDeviceGetGpuInstanceProfileInfo_fn>(
      handle_, {"nvmlDeviceGetGpuInstanceProfileInfo"});
  a.DeviceGetGpuInstanceById =
      Lookup<nvmlDeviceGetGpuInstanceById_fn>(handle_, {"nvmlDeviceGetGpuInstanceById"});
  a.GpuInstanceGetInfo = Lookup<nvmlGpuInstanceGetInfo_fn>(handle_, {"nvmlGpuInstanceGetInfo"});
  a.GpuInstanceGetComputeInstanceById = Lookup<nvmlGpuInstanceGetComputeInstanceById_fn>(
      handle_, {"nvmlGpuInstanceGetComputeInstanceById"});
  a.GpuInstanceGetComputeInstanceProfileInfo =
      Lookup<nvmlGpuInstanceGetComputeInstanceProfileInfo_fn>(
          handle_, {"nvmlGpuInstanceGetComputeInstanceProfileInfo"});
  a.ComputeInstanceGetInfo = Lookup<nvmlComputeInstanceGetInfo_fn>(
      handle_, {"nvmlComputeInstanceGetInfo_v2", "nvmlComputeInstanceGetInfo"});

  struct Required {
    const void* fn;
    const char* name;
  };
  const Required required[] = {
      {reinterpret_cast<const void*>(a.Init), "nvmlInit_v2"},
      {reinterpret_cast<const void*>(a.Shutdown), "nvmlShutdown"},
      {reinterpret_cast<const void*>(a.DeviceGetCount), "nvmlDeviceGetCount_v2"},
      {reinterpret_cast<const void*>(a.DeviceGetHandleByIndex), "nvmlDeviceGetHandleByIndex_v2"},
      {reinterpret_cast<const void*>(a.DeviceGetUUID), "nvmlDeviceGetUUID"},
  };
  for (const Required& r : required) {
    if (r.fn == nullptr) {
      dlclose(handle_);
      throw NvmlError(NVML_ERROR_FUNCTION_NOT_FOUND, r.name,
                      "symbol missing from " + path_ + "; is this an NVIDIA driver library?");
    }
  }
}

}  // namespace nvdp::nvml
