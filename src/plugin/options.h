// nvidia-device-plugin's settings from flags and environment (spec §1.1), validated.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "plugin/allocate.h"

namespace nvdp::plugin {

inline constexpr const char* kDefaultKubeletSocket = "/var/lib/kubelet/device-plugins/kubelet.sock";

struct Options {
  std::string mig_strategy = "none";
  bool fail_on_init_error = true;
  std::string driver_root = "/";                       // host path of the driver root
  std::string dev_root = "/";                          // host path of /dev's root
  std::string container_driver_root = "/driver-root";  // where the driver root is mounted here
  std::vector<std::string> device_list_strategy = {"envvar"};
  DeviceIdStrategy device_id_strategy = DeviceIdStrategy::kUuid;
  std::string kubelet_socket = kDefaultKubeletSocket;  // "" = serve without registering
  bool dry_run = false;
  std::string output = "text";  // dry-run output: text or json
  // Read by the health checker directly, as upstream does (not flags).
  std::optional<std::string> disable_healthchecks;
  std::optional<std::string> enable_healthchecks;

  // Where the plugin sockets go: the kubelet socket's directory.
  std::string PluginDirectory() const;
};

struct ParsedOptions {
  std::optional<Options> options;  // set when the program should run
  int exit_code = 0;
  std::string output;  // help, version or the error to print
};

ParsedOptions ParseOptions(const std::vector<std::string>& args, const flags::EnvLookup& env);

}  // namespace nvdp::plugin
