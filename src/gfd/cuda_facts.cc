#include "gfd/cuda_facts.h"

#include <dlfcn.h>

#include <cstddef>
#include <vector>

#include "common/fs.h"
#include "common/strings.h"
#include "nvml/library.h"

namespace nvdp::gfd {
namespace {

constexpr const char* kSoname = "libcuda.so.1";
constexpr int kComputeCapabilityMajor = 75, kComputeCapabilityMinor = 76;

using InitFn = int (*)(unsigned);
using IntOutFn = int (*)(int*);
using DeviceGetFn = int (*)(int*, int);
using NameFn = int (*)(char*, int, int);
using TotalMemFn = int (*)(size_t*, int);
using AttributeFn = int (*)(int*, int, int);

class Handle {
 public:
  explicit Handle(const std::string& driver_root) {
    nvml::DriverLibrary library =
        nvml::OpenDriverLibrary(driver_root, kSoname, RTLD_LAZY | RTLD_LOCAL);
    if (library.handle == nullptr) {
      throw CudaError("could not load the CUDA driver library; tried " + library.tried);
    }
    handle_ = library.handle;
  }
  ~Handle() {
    if (handle_) dlclose(handle_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  template <typename Fn>
  Fn Symbol(const char* name) const {
    void* symbol = dlsym(handle_, name);
    if (!symbol) throw CudaError(std::string("the CUDA driver library has no ") + name);
    return reinterpret_cast<Fn>(symbol);
  }

 private:
  void* handle_ = nullptr;
};

void Check(int result, const char* call) {
  if (result != 0)
    throw CudaError(std::string(call) + " failed: CUDA error " + std::to_string(result));
}

}  // namespace

NodeFacts ReadCudaFacts(const std::string& driver_root, const std::string& machine_type_file) {
  const Handle cuda(driver_root);
  Check(cuda.Symbol<InitFn>("cuInit")(0), "cuInit");
  NodeFacts facts;
  facts.tegra = true;
  facts.driver_version = "unknown.unknown.unknown";  // as upstream: CUDA does not tell it
  Check(cuda.Symbol<IntOutFn>("cuDriverGetVersion")(&facts.cuda_driver_version),
        "cuDriverGetVersion");
  int count = 0;
  Check(cuda.Symbol<IntOutFn>("cuDeviceGetCount")(&count), "cuDeviceGetCount");
  const auto get = cuda.Symbol<DeviceGetFn>("cuDeviceGet");
  const auto name = cuda.Symbol<NameFn>("cuDeviceGetName");
  const auto memory = cuda.Symbol<TotalMemFn>("cuDeviceTotalMem_v2");
  const auto attribute = cuda.Symbol<AttributeFn>("cuDeviceGetAttribute");
  for (int i = 0; i < count; ++i) {
    int device = 0;
    Check(get(&device, i), "cuDeviceGet");
    char text[256] = {};
    Check(name(text, sizeof text, device), "cuDeviceGetName");
    size_t bytes = 0;
    Check(memory(&bytes, device), "cuDeviceTotalMem");
    device::GpuInfo gpu;
    gpu.index = static_cast<unsigned>(i);
    gpu.name = text;
    gpu.memory_bytes = bytes;
    Check(attribute(&gpu.cc_major, kComputeCapabilityMajor, device), "cuDeviceGetAttribute");
    Check(attribute(&gpu.cc_minor, kComputeCapabilityMinor, device), "cuDeviceGetAttribute");
    facts.gpus.push_back(std::move(gpu));
    facts.pci_classes.push_back(0u);
    facts.fabric.emplace_back();
  }
  if (!machine_type_file.empty()) facts.machine_type = ReadAttribute(machine_type_file);
  return facts;
}

}  // namespace nvdp::gfd
