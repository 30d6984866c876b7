// The plugin side of the kubelet's Registration service.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace nvdp::plugin {

inline constexpr const char* kDevicePluginApiVersion = "v1beta1";

// nvidia.com/gpu -> nvidia-gpu.sock (spec §4.2): the endpoint a resource registers.
std::string SocketName(std::string_view resource_name);

// Registers `resource_name` served at `endpoint` (a socket file name in the kubelet's device
// plugin directory). Fails fast when nothing listens on the kubelet socket. Returns "" on success,
// otherwise the reason.
std::string RegisterWithKubelet(const std::string& kubelet_socket, const std::string& endpoint,
                                const std::string& resource_name,
                                std::chrono::milliseconds timeout);

}  // namespace nvdp::plugin
