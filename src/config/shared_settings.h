// Rows that several programs' tables share (the programs differ only in their environment
// variables or help). Internal to the tables.
#pragma once

#include <string>
#include <vector>

#include "config/settings.h"

namespace nvdp::config::rows {

Setting MigStrategy(std::vector<std::string> env, std::string help);
Setting FailOnInitError(std::vector<std::string> env);
Setting ConfigFile(std::vector<std::string> env);
// --driver-root-ctr-path; merged with flags.plugin.containerDriverRoot when `file_key` is set.
Setting ContainerDriverRoot(std::string help, std::string_view file_key = {});
Setting DeviceDiscoveryStrategy(std::string help);
Setting MpsContainerRoot(std::string help);
Setting Kubeconfig(std::string help);
Setting NodeName(std::string help);
// --sharing-per-device: the sharing entries' devices and rename, and custom resource patterns,
// take effect (upstream parses and ignores them).
Setting SharingPerDevice();
std::vector<Setting> KubeClient();  // --kube-api-qps, --kube-api-burst

}  // namespace nvdp::config::rows
