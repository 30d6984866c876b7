// Default values that more than one setting, program or module uses: defined once.
#pragma once

namespace nvdp::config {

inline constexpr const char* kDefaultContainerDriverRoot = "/driver-root";
inline constexpr const char* kDefaultKubeletSocket = "/var/lib/kubelet/device-plugins/kubelet.sock";
inline constexpr const char* kDefaultCdiAnnotationPrefix = "cdi.k8s.io/";
inline constexpr const char* kDefaultCdiHookPath = "/usr/bin/nvidia-ctk";
inline constexpr const char* kDefaultCdiSpecDir = "/var/run/cdi";
inline constexpr const char* kDefaultMpsContainerRoot = "/mps";
inline constexpr const char* kDefaultFeatureFile =
    "/etc/kubernetes/node-feature-discovery/features.d/gfd";
inline constexpr const char* kDefaultMachineTypeFile = "/sys/class/dmi/id/product_name";
inline constexpr const char* kDefaultNodeLabel = "nvidia.com/device-plugin.config";

}  // namespace nvdp::config
