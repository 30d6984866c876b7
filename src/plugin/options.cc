#include "plugin/options.h"

#include "common/strings.h"
#include "config/effective.h"
#include "config/parse.h"
#include "config/programs.h"
#include "config/settings.h"

namespace nvdp::plugin {

std::string Options::PluginDirectory() const {
  const std::string& socket =
      kubelet_socket.empty() ? std::string(kDefaultKubeletSocket) : kubelet_socket;
  size_t slash = socket.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : socket.substr(0, slash);
}

Options CommandLine::Load() const {
  config::Settings settings(config::DevicePluginSettings(), set_);
  Options o;
  o.config_file = settings.String("config-file");
  o.warnings = config::FinalizeAfterMerge(settings.config(), settings.Bool("sharing-per-device"));
  config::ValidateForDevicePlugin(settings.config());  // the strategies below parse

  o.mig_strategy = *config::ParseMigStrategy(settings.String("mig-strategy"));
  o.fail_on_init_error = settings.Bool("fail-on-init-error");
  o.driver_root = settings.String("driver-root");
  o.dev_root = settings.String("dev-root");
  o.container_driver_root = settings.String("driver-root-ctr-path");
  std::string unused;
  o.device_list_strategy =
      *config::DeviceListStrategies::Parse(settings.Strings("device-list-strategy"), &unused);
  o.device_id_strategy = *config::ParseDeviceIdStrategy(settings.String("device-id-strategy"));
  o.pass_device_specs = settings.Bool("pass-device-specs");
  o.gdrcopy_enabled = settings.Bool("gdrcopy-enabled");
  o.gds_enabled = settings.Bool("gds-enabled");
  o.mofed_enabled = settings.Bool("mofed-enabled");
  o.cdi_annotation_prefix = settings.String("cdi-annotation-prefix");
  o.nvidia_cdi_hook_path = settings.String("nvidia-cdi-hook-path");
  o.cdi_spec_dir = settings.String("cdi-spec-dir");
  o.cdi_feature_flags = settings.Strings("cdi-feature-flags");
  o.cdi_disabled_hooks = settings.Strings("cdi-disable-hooks");
  if (o.device_list_strategy.any_cdi() && o.cdi_spec_dir.empty()) {
    throw config::ConfigError("--cdi-spec-dir must not be empty with a cdi-* strategy");
  }
  o.imex_channel_ids = settings.Ints("imex-channel-ids");
  o.imex_required = settings.Bool("imex-required");
  if (settings.config().sharing.strategy() == config::Sharing::Strategy::kMps) {
    o.mps_root = settings.String("mps-root");
    o.mps_container_root = settings.String("mps-container-root");
    if (o.mps_container_root.empty() || o.mps_container_root.front() != '/') {
      throw config::ConfigError("--mps-container-root must be an absolute path; found \"" +
                                o.mps_container_root + "\"");
    }
  }
  o.discovery_strategy =
      config::ParseDiscoveryStrategy(settings.String("device-discovery-strategy"), false)
          .value_or(config::DiscoveryStrategy::kAuto);  // validated with the config
  const std::string matching = settings.String("resource-pattern-matching");
  const auto pattern_matching = config::ParsePatternMatching(matching);
  if (!pattern_matching) {
    throw config::ConfigError("invalid --resource-pattern-matching: " + Abbreviate(matching, 120) +
                              " (substring or anchored)");
  }
  o.resource_pattern_matching = *pattern_matching;
  const std::string policy = settings.String("shared-devices-allocation-policy");
  if (!alloc::ParseSharedPolicy(policy, &o.shared_devices_allocation_policy)) {
    throw config::ConfigError("invalid --shared-devices-allocation-policy: " + policy +
                              " (distributed or packed)");
  }
  auto duration = [&](const char* flag) {
    const auto nanos = settings.Duration(flag);
    if (nanos.count() < 0 || nanos.count() == flags::kInfiniteDuration) {
      throw config::ConfigError(std::string("invalid --") + flag + ": " + set_.Get(flag).str());
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(nanos);
  };
  o.health_recovery_period = duration("health-recovery-period");
  o.health_probe_interval = duration("health-probe-interval");
  if (o.health_probe_interval < std::chrono::milliseconds(100)) {
    throw config::ConfigError("invalid --health-probe-interval: " +
                              set_.Get("health-probe-interval").str() + " (at least 100ms)");
  }
  o.metrics_address = settings.String("metrics-address");
  o.kubelet_socket = settings.String("kubelet-socket");
  o.dry_run = settings.Bool("dry-run");
  o.output = settings.String("output");
  if (o.output != "text" && o.output != "json") {
    throw config::ConfigError("invalid --output: " + o.output + " (text or json)");
  }
  o.config = std::move(settings.config());
  o.disable_healthchecks = disable_healthchecks_;
  o.enable_healthchecks = enable_healthchecks_;
  return o;
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set = config::DevicePluginSettings().MakeFlagSet();
  ParsedCommandLine result;
  if (!config::ParseFlagsOrExit(set, args, env, &result.exit_code, &result.output)) return result;
  result.command_line.emplace(std::move(set), env("DP_DISABLE_HEALTHCHECKS"),
                              env("DP_ENABLE_HEALTHCHECKS"));
  return result;
}

}  // namespace nvdp::plugin
