#include "gfd/options.h"

#include "common/strings.h"
#include "config/effective.h"
#include "config/file_keys.h"
#include "config/parse.h"
#include "config/programs.h"
#include "config/settings.h"
#include "config/strategies.h"

namespace nvdp::gfd {

Options CommandLine::Load() const {
  config::Settings settings(config::FeatureDiscoverySettings(), set_);
  Options o;
  o.warnings = config::FinalizeAfterMerge(settings.config(), settings.Bool("sharing-per-device"));

  const std::string discovery = settings.String("device-discovery-strategy");
  const auto strategy = config::ParseDiscoveryStrategy(discovery, /*allow_vfio=*/true);
  if (!strategy) {
    throw config::ConfigError("invalid --device-discovery-strategy option: " +
                              Abbreviate(discovery, 120) + " (auto, nvml, tegra or vfio)");
  }
  o.discovery_strategy = *strategy;
  o.node_name = settings.String("node-name");
  if (const auto chosen = settings.config().Bool(config::keys::kUseNodeFeatureApi)) {
    o.use_node_feature_api = *chosen;  // v0.18.2's chart always sets the variable
  } else {
    o.use_node_feature_api = o.node_feature_api_by_default = !o.node_name.empty();
    settings.config().Set(config::keys::kUseNodeFeatureApi, o.use_node_feature_api);
  }
  o.kubeconfig = settings.String("kubeconfig");
  o.kube_api_qps = settings.Float("kube-api-qps");
  o.kube_api_burst = static_cast<int>(settings.Int("kube-api-burst"));
  o.namespace_name = settings.String("namespace");
  o.pod_name = settings.String("pod-name");
  if (o.use_node_feature_api && (o.node_name.empty() || o.namespace_name.empty())) {
    throw config::ConfigError(
        "--use-node-feature-api needs --node-name (NODE_NAME) and --namespace (NAMESPACE)");
  }
  o.mig_strategy = settings.String("mig-strategy");
  o.fail_on_init_error = settings.Bool("fail-on-init-error");
  o.oneshot = settings.Bool("oneshot");
  o.no_timestamp = settings.Bool("no-timestamp");
  const std::chrono::nanoseconds sleep = settings.Duration("sleep-interval");
  o.sleep_interval = std::chrono::duration_cast<std::chrono::milliseconds>(sleep);
  if (sleep.count() == flags::kInfiniteDuration) o.sleep_interval = std::nullopt;
  if (o.sleep_interval && o.sleep_interval->count() <= 0 && !o.oneshot) {
    throw config::ConfigError("invalid --sleep-interval: must be positive");
  }
  o.output_file = settings.String("output-file");
  o.machine_type_file = settings.String("machine-type-file");
  o.container_driver_root = settings.String("driver-root-ctr-path");
  o.config = std::move(settings.config());
  return o;
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set = config::FeatureDiscoverySettings().MakeFlagSet();
  ParsedCommandLine result;
  if (!config::ParseFlagsOrExit(set, args, env, &result.exit_code, &result.output)) return result;
  result.command_line.emplace(std::move(set));
  return result;
}

}  // namespace nvdp::gfd
