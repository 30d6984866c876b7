// The driver's control device nodes a GPU container needs besides its GPUs' own, in upstream's
// order. Both the device specs (--pass-device-specs) and the CDI specs list those that exist.
#pragma once

#include <string>
#include <vector>

namespace nvdp::device {

inline const std::vector<std::string>& ControlDeviceNodes() {
  static const std::vector<std::string> nodes = {"/dev/nvidiactl", "/dev/nvidia-uvm",
                                                 "/dev/nvidia-uvm-tools", "/dev/nvidia-modeset"};
  return nodes;
}

}  // namespace nvdp::device
