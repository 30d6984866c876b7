// A PCI config space as gpu-feature-discovery reads it from sysfs for the vGPU labels.
// LabelError is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <string>

#include "gfd/vgpu.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string config(reinterpret_cast<const char*>(data), size);
  try {
    nvdp::gfd::ParseVgpuConfig(config);
  } catch (const nvdp::gfd::LabelError&) {
  }
  return 0;
}
