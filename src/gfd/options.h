// gpu-feature-discovery's configuration: flags and environment (spec §1.2) merged with the config
// file's flags.gfd and shared keys, by the same rules as the device plugin (§2.1).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/config.h"
#include "config/defaults.h"
#include "config/strategies.h"

namespace nvdp::gfd {

using config::kDefaultMachineTypeFile;
inline constexpr const char* kDefaultOutputFile = config::kDefaultFeatureFile;

struct Options {
  config::Config config;              // effective, as logged
  std::vector<std::string> warnings;  // what finalizing changed

  std::string mig_strategy = "none";  // parsed only when labelling (as upstream)
  bool fail_on_init_error = true;
  bool oneshot = false;
  bool no_timestamp = false;
  // nullopt: "infinite", label once and wait for a signal.
  std::optional<std::chrono::milliseconds> sleep_interval = std::chrono::milliseconds(60000);
  std::string output_file = kDefaultOutputFile;  // "" = stdout
  std::string machine_type_file = kDefaultMachineTypeFile;
  // Where NVML and a simulated sysfs are found.
  std::string container_driver_root = config::kDefaultContainerDriverRoot;
  // --use-node-feature-api: a NodeFeature object instead of the file.
  // auto: NVML, or CUDA on a Tegra node (the device plugin's resolution, discovery/tegra.h).
  config::DiscoveryStrategy discovery_strategy = config::DiscoveryStrategy::kAuto;
  bool use_node_feature_api = false;
  // Neither flag, env var nor file chose: the API because --node-name is given (upstream v0.19's
  // default, under whose chart no variable is set); the file when the API refuses the object.
  bool node_feature_api_by_default = false;
  std::string kubeconfig;  // "" = in-cluster
  double kube_api_qps = 5;
  int kube_api_burst = 10;
  std::string namespace_name = "default";
  std::string node_name;
  std::string pod_name;  // empty: the NodeFeature gets no owner
};

class CommandLine {
 public:
  explicit CommandLine(flags::FlagSet set) : set_(std::move(set)) {}
  // Reads the config file again and merges the flags into it. Throws config::ConfigError.
  Options Load() const;

 private:
  flags::FlagSet set_;
};

struct ParsedCommandLine {
  std::optional<CommandLine> command_line;
  int exit_code = 0;
  std::string output;
};

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env);

}  // namespace nvdp::gfd
