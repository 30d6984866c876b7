// What gpu-feature-discovery reads on Tegra nodes, where NVML does not serve the integrated GPU:
// the CUDA driver API of libcuda.so.1 (spec §7.2), loaded from the driver root first.
#pragma once

#include <stdexcept>
#include <string>

#include "gfd/labels.h"

namespace nvdp::gfd {

class CudaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// cuInit, cuDriverGetVersion, and per device its name, total memory and compute capability, as
// NodeFacts: driver version "unknown.unknown.unknown", PCI class 0, not MIG-capable. Throws
// CudaError naming the call that failed (or every place the library was looked for).
NodeFacts ReadCudaFacts(const std::string& driver_root, const std::string& machine_type_file);

}  // namespace nvdp::gfd
