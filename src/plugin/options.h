// nvidia-device-plugin's configuration: flags and environment (spec §1.1) merged with the config
// file (§2), finalized and validated. The command line is kept so SIGHUP can re-read the file.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "alloc/shared_policy.h"
#include "common/flags.h"
#include "config/config.h"
#include "config/defaults.h"
#include "config/resource_name.h"
#include "config/strategies.h"
#include "plugin/allocate/allocate.h"

namespace nvdp::plugin {

using config::kDefaultKubeletSocket;

struct Options {
  // The effective configuration (file, then flags and defaults, finalized, validated) as it is
  // logged at start; default resource rules are added once the devices are known.
  config::Config config;
  std::vector<std::string> warnings;  // what finalizing changed, to log

  // Settings read from `config`, for the code that uses them.
  config::MigStrategy mig_strategy = config::MigStrategy::kNone;
  bool fail_on_init_error = true;
  std::string driver_root = "/";  // host path of the driver root
  std::string dev_root = "/";     // host path of /dev's root
  std::string container_driver_root = config::kDefaultContainerDriverRoot;  // mounted here
  config::DeviceListStrategies device_list_strategy{.envvar = true};
  DeviceIdStrategy device_id_strategy = DeviceIdStrategy::kUuid;
  bool pass_device_specs = false;
  bool gdrcopy_enabled = false;
  bool gds_enabled = false;
  bool mofed_enabled = false;
  // CDI (spec §4.7): the annotation prefix, the hook binary on the host, where the specs are
  // written, and the feature flags (accepted and logged; our generator has none).
  std::string cdi_annotation_prefix = config::kDefaultCdiAnnotationPrefix;
  std::string nvidia_cdi_hook_path = config::kDefaultCdiHookPath;
  std::string cdi_spec_dir = config::kDefaultCdiSpecDir;
  std::vector<std::string> cdi_feature_flags;
  std::vector<std::string> cdi_disabled_hooks;  // --cdi-disable-hooks (upstream v0.20)
  // IMEX channels to inject (only 0 is valid) and whether a missing one is fatal.
  std::vector<long long> imex_channel_ids;
  bool imex_required = false;
  // Set only when the devices are shared with MPS.
  std::string mps_root;                                               // host path (--mps-root)
  std::string mps_container_root = config::kDefaultMpsContainerRoot;  // as mounted here

  // Only on the command line and in the environment.
  alloc::SharedPolicy shared_devices_allocation_policy = alloc::SharedPolicy::kDistributed;
  config::PatternMatching resource_pattern_matching = config::PatternMatching::kSubstring;
  // auto: NVML, or Tegra when the driver root says so and NVML cannot be loaded, or when every
  // GPU NVML lists is an integrated one (upstream's platform resolution).
  config::DiscoveryStrategy discovery_strategy = config::DiscoveryStrategy::kAuto;
  std::chrono::milliseconds health_recovery_period{0};  // 0: unhealthy until restart
  std::chrono::milliseconds health_probe_interval{5000};
  std::string metrics_address;                         // "" = no HTTP endpoint
  std::string kubelet_socket = kDefaultKubeletSocket;  // "" = serve without registering
  std::string config_file;
  bool dry_run = false;
  std::string output = "text";  // dry-run output: text or json
  // Read by the health checker directly, as upstream does (not flags).
  std::optional<std::string> disable_healthchecks;
  std::optional<std::string> enable_healthchecks;

  // Where the plugin sockets go: the kubelet socket's directory.
  std::string PluginDirectory() const;
};

// What the command line and environment said.
class CommandLine {
 public:
  CommandLine(flags::FlagSet set, std::optional<std::string> disable_healthchecks,
              std::optional<std::string> enable_healthchecks)
      : set_(std::move(set)),
        disable_healthchecks_(std::move(disable_healthchecks)),
        enable_healthchecks_(std::move(enable_healthchecks)) {}

  // Reads the config file again and merges the flags into it. Throws config::ConfigError.
  Options Load() const;

 private:
  flags::FlagSet set_;
  std::optional<std::string> disable_healthchecks_;
  std::optional<std::string> enable_healthchecks_;
};

struct ParsedCommandLine {
  std::optional<CommandLine> command_line;  // set when the program should run
  int exit_code = 0;
  std::string output;  // help, version or the usage error
};

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env);

}  // namespace nvdp::plugin
