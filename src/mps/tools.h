// Where the NVIDIA command-line tools MPS needs are found, as on a real node: on PATH (the
// NVIDIA container runtime injects them into the container), then under the driver root.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace nvdp::mps {

inline constexpr const char* kNvidiaSmi = "nvidia-smi";
inline constexpr const char* kMpsControl = "nvidia-cuda-mps-control";

// A tool is not installed anywhere it is looked for; the message lists the places.
class ToolMissing : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The directories searched, in order: PATH's entries, then <driver_root>/usr/bin, /usr/sbin,
// /bin, /sbin and /usr/local/nvidia/bin.
std::vector<std::string> ToolSearchPath(const std::string& path_env,
                                        const std::string& driver_root);

// The first executable file named `name` in ToolSearchPath. Throws ToolMissing.
std::string FindTool(const std::string& name, const std::string& path_env,
                     const std::string& driver_root);

}  // namespace nvdp::mps
