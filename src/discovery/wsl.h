// WSL2 nodes: NVML answers through the Windows driver, and every GPU is behind one device node,
// /dev/dxg, so no container can be given one GPU alone. Upstream (v0.19.1) then reports a single
// "all" device to the kubelet.
#pragma once

#include <string>

namespace nvdp::discovery {

// usr/lib/wsl/lib/libdxcore.so under the driver root: the library upstream (go-nvlib's
// HasDXCore) tells WSL by.
bool HasWslMarkers(const std::string& driver_root);

inline constexpr const char* kWslDeviceNode = "/dev/dxg";

}  // namespace nvdp::discovery
