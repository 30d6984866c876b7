#include "gfd/options.h"

#include "common/version.h"
#include "config/effective.h"
#include "config/parse.h"

namespace nvdp::gfd {
namespace {

using flags::Kind;
using flags::MergeFlag;

flags::FlagSet MakeFlagSet() {
  flags::FlagSet set("gpu-feature-discovery", "GPU Feature Discovery",
                     "generate labels for NVIDIA devices", VersionText());
  set.Add({{"mig-strategy"},
           {"GFD_MIG_STRATEGY", "MIG_STRATEGY"},
           Kind::kString,
           {"none"},
           "the strategy to use for exposing MIG devices: [none | single | mixed]"});
  set.Add({{"fail-on-init-error"},
           {"GFD_FAIL_ON_INIT_ERROR", "FAIL_ON_INIT_ERROR"},
           Kind::kBool,
           {"true"},
           "fail the plugin if an error is encountered during initialization, otherwise block "
           "indefinitely"});
  set.Add({{"oneshot"}, {"GFD_ONESHOT"}, Kind::kBool, {"false"}, "label once and exit"});
  set.Add({{"no-timestamp"},
           {"GFD_NO_TIMESTAMP"},
           Kind::kBool,
           {"false"},
           "do not add the timestamp to the labels"});
  set.Add({{"sleep-interval"},
           {"GFD_SLEEP_INTERVAL"},
           Kind::kDuration,
           {"60s"},
           "time to sleep between labeling"});
  set.Add({{"output-file", "output", "o"},
           {"GFD_OUTPUT_FILE"},
           Kind::kString,
           {kDefaultOutputFile},
           "path to output file"});
  set.Add({{"machine-type-file"},
           {"GFD_MACHINE_TYPE_FILE"},
           Kind::kString,
           {kDefaultMachineTypeFile},
           "a file containing the name of the machine"});
  set.Add({{"config-file"},
           {"GFD_CONFIG_FILE", "CONFIG_FILE"},
           Kind::kString,
           {""},
           "the path to a config file as an alternative to command line options or environment "
           "variables"});
  set.Add({{"use-node-feature-api"},
           {"GFD_USE_NODE_FEATURE_API", "USE_NODE_FEATURE_API"},
           Kind::kBool,
           {"false"},
           "use NFD NodeFeature API to publish labels"});
  set.Add({{"device-discovery-strategy"},
           {"DEVICE_DISCOVERY_STRATEGY"},
           Kind::kString,
           {"auto"},
           "the strategy to use to discover devices: [auto | nvml | tegra | vfio]"});
  set.Add({{"driver-root-ctr-path", "container-driver-root"},
           {"DRIVER_ROOT_CTR_PATH", "CONTAINER_DRIVER_ROOT"},
           Kind::kString,
           {"/driver-root"},
           "the path where the NVIDIA driver root is mounted in the container; NVML (and a "
           "simulated sysfs) is looked for there first"});
  set.Add({{"kubeconfig"},
           {"KUBECONFIG"},
           Kind::kString,
           {""},
           "absolute path to the kubeconfig file (for the NodeFeature API)"});
  set.Add({{"kube-api-qps"},
           {"KUBE_API_QPS"},
           Kind::kFloat,
           {"5"},
           "QPS to use while talking with kubernetes apiserver"});
  set.Add({{"kube-api-burst"},
           {"KUBE_API_BURST"},
           Kind::kInt,
           {"10"},
           "burst to use while talking with kubernetes apiserver"});
  set.Add({{"namespace"},
           {"NAMESPACE"},
           Kind::kString,
           {"default"},
           "the namespace of the NodeFeature object"});
  set.Add({{"node-name"}, {"NODE_NAME"}, Kind::kString, {""}, "the name of this node"});
  return set;
}

void ApplyFlags(const flags::FlagSet& set, config::Config& config) {
  config::Flags& f = config.flags;
  auto str = [&](const char* flag) { return set.Get(flag).str(); };
  auto boolean = [&](const char* flag) { return set.GetBool(flag); };
  MergeFlag(f.mig_strategy, set.Get("mig-strategy"), str("mig-strategy"));
  MergeFlag(f.fail_on_init_error, set.Get("fail-on-init-error"), boolean("fail-on-init-error"));
  MergeFlag(f.use_node_feature_api, set.Get("use-node-feature-api"),
            boolean("use-node-feature-api"));
  MergeFlag(f.device_discovery_strategy, set.Get("device-discovery-strategy"),
            str("device-discovery-strategy"));
  if (!f.gfd) f.gfd = config::GfdFlags{};
  config::GfdFlags& g = *f.gfd;
  MergeFlag(g.oneshot, set.Get("oneshot"), boolean("oneshot"));
  MergeFlag(g.no_timestamp, set.Get("no-timestamp"), boolean("no-timestamp"));
  MergeFlag(g.sleep_interval_ns, set.Get("sleep-interval"),
            flags::ParseGoDuration(str("sleep-interval")).value_or(60'000'000'000LL));
  MergeFlag(g.output_file, set.Get("output-file"), str("output-file"));
  MergeFlag(g.machine_type_file, set.Get("machine-type-file"), str("machine-type-file"));
}

}  // namespace

Options CommandLine::Load() const {
  Options o;
  const std::string path = set_.Get("config-file").str();
  if (!path.empty()) o.config = config::LoadConfigFile(path);
  ApplyFlags(set_, o.config);
  o.warnings = config::FinalizeAfterMerge(o.config);

  const config::Flags& f = o.config.flags;
  const std::string discovery = f.device_discovery_strategy.value_or("auto");
  if (discovery != "auto" && discovery != "nvml" && discovery != "tegra" && discovery != "vfio") {
    throw config::ConfigError("invalid --device-discovery-strategy option: " + discovery +
                              " (auto, nvml, tegra or vfio)");
  }
  if (discovery == "tegra" || discovery == "vfio") {
    throw config::ConfigError("--device-discovery-strategy=" + discovery +
                              " is not supported by this version");
  }
  o.use_node_feature_api = f.use_node_feature_api.value_or(false);
  o.kubeconfig = set_.Get("kubeconfig").str();
  o.kube_api_qps = std::stod(set_.Get("kube-api-qps").str());
  o.kube_api_burst = static_cast<int>(set_.GetInt("kube-api-burst"));
  o.namespace_name = set_.Get("namespace").str();
  o.node_name = set_.Get("node-name").str();
  if (o.use_node_feature_api && (o.node_name.empty() || o.namespace_name.empty())) {
    throw config::ConfigError(
        "--use-node-feature-api needs --node-name (NODE_NAME) and --namespace (NAMESPACE)");
  }
  const config::GfdFlags& g = *f.gfd;
  o.mig_strategy = f.mig_strategy.value_or("none");
  o.fail_on_init_error = f.fail_on_init_error.value_or(true);
  o.oneshot = g.oneshot.value_or(false);
  o.no_timestamp = g.no_timestamp.value_or(false);
  o.sleep_interval = std::chrono::milliseconds(g.sleep_interval_ns.value_or(0) / 1'000'000);
  if (o.sleep_interval.count() <= 0 && !o.oneshot) {
    throw config::ConfigError("invalid --sleep-interval: must be positive");
  }
  o.output_file = g.output_file.value_or(kDefaultOutputFile);
  o.machine_type_file = g.machine_type_file.value_or(kDefaultMachineTypeFile);
  o.container_driver_root = set_.Get("driver-root-ctr-path").str();
  return o;
}

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set = MakeFlagSet();
  flags::ParseResult parsed = set.Parse(args, env);
  ParsedCommandLine result;
  if (parsed.exit_code) {
    result.exit_code = *parsed.exit_code;
    result.output = parsed.output;
    return result;
  }
  result.command_line.emplace(std::move(set));
  return result;
}

}  // namespace nvdp::gfd
