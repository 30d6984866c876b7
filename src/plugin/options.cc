#include "plugin/options.h"

#include "common/strings.h"
#include "common/version.h"
#include "config/effective.h"
#include "config/parse.h"

namespace nvdp::plugin {
namespace {

using flags::Kind;

flags::FlagSet MakeFlagSet() {
  flags::FlagSet set("nvidia-device-plugin", "NVIDIA Device Plugin",
                     "NVIDIA device plugin for Kubernetes", VersionText());
  set.Add({{"mig-strategy"},
           {"MIG_STRATEGY"},
           Kind::kString,
           {"none"},
           "the desired strategy for exposing MIG devices on GPUs that support it: [none | single "
           "| mixed]"});
  set.Add({{"fail-on-init-error"},
           {"FAIL_ON_INIT_ERROR"},
           Kind::kBool,
           {"true"},
           "fail the plugin if an error is encountered during initialization, otherwise block "
           "indefinitely"});
  set.Add({{"driver-root", "nvidia-driver-root"},
           {"NVIDIA_DRIVER_ROOT"},
           Kind::kString,
           {"/"},
           "the root path for the NVIDIA driver installation on the host (typical values are '/' "
           "or '/run/nvidia/driver')"});
  set.Add({{"dev-root", "nvidia-dev-root"},
           {"NVIDIA_DEV_ROOT"},
           Kind::kString,
           {},
           "the root path for the NVIDIA device nodes on the host; defaults to the driver root"});
  set.Add({{"pass-device-specs"},
           {"PASS_DEVICE_SPECS"},
           Kind::kBool,
           {"false"},
           "pass the list of DeviceSpecs to the kubelet on Allocate()"});
  set.Add({{"device-list-strategy"},
           {"DEVICE_LIST_STRATEGY"},
           Kind::kStringSlice,
           {"envvar"},
           "the desired strategy for passing the device list to the underlying runtime: [envvar | "
           "volume-mounts | cdi-annotations | cdi-cri]"});
  set.Add(
      {{"device-id-strategy"},
       {"DEVICE_ID_STRATEGY"},
       Kind::kString,
       {"uuid"},
       "the desired strategy for passing device IDs to the underlying runtime: [uuid | index]"});
  set.Add({{"gdrcopy-enabled"},
           {"GDRCOPY_ENABLED"},
           Kind::kBool,
           {"false"},
           "ensure that containers that request NVIDIA GPU resources are started with GDRCopy "
           "support"});
  set.Add({{"gds-enabled"},
           {"GDS_ENABLED"},
           Kind::kBool,
           {"false"},
           "ensure that containers that request NVIDIA GPU resources are started with GPUDirect "
           "Storage support"});
  set.Add(
      {{"mofed-enabled"},
       {"MOFED_ENABLED"},
       Kind::kBool,
       {"false"},
       "ensure that containers that request NVIDIA GPU resources are started with MOFED support"});
  set.Add({{"cdi-annotation-prefix"},
           {"CDI_ANNOTATION_PREFIX"},
           Kind::kString,
           {"cdi.k8s.io/"},
           "the prefix to use for CDI container annotation keys"});
  set.Add({{"nvidia-cdi-hook-path", "nvidia-ctk-path"},
           {"NVIDIA_CDI_HOOK_PATH", "NVIDIA_CTK_PATH"},
           Kind::kString,
           {"/usr/bin/nvidia-ctk"},
           "the path to use for NVIDIA CDI hooks in the generated CDI specification"});
  set.Add({{"driver-root-ctr-path", "container-driver-root"},
           {"DRIVER_ROOT_CTR_PATH", "CONTAINER_DRIVER_ROOT"},
           Kind::kString,
           {"/driver-root"},
           "the path where the NVIDIA driver root is mounted in the container; used for finding "
           "libnvidia-ml.so.1"});
  set.Add({{"mps-root"},
           {"MPS_ROOT"},
           Kind::kString,
           {""},
           "the MPS root folder on the host, used for MPS pipe and log directories"});
  set.Add({{"mps-container-root"},
           {"MPS_CONTAINER_ROOT"},
           Kind::kString,
           {"/mps"},
           "where the MPS root is mounted in this container; the MPS control daemons are checked "
           "through it before the plugin registers"});
  set.Add({{"device-discovery-strategy"},
           {"DEVICE_DISCOVERY_STRATEGY"},
           Kind::kString,
           {"auto"},
           "the strategy to use to discover devices: [auto | nvml | tegra]"});
  set.Add({{"imex-channel-ids"},
           {"IMEX_CHANNEL_IDS"},
           Kind::kIntSlice,
           {},
           "a list of IMEX channels to inject"});
  set.Add({{"imex-required"},
           {"IMEX_REQUIRED"},
           Kind::kBool,
           {"false"},
           "fail if the requested IMEX channels do not exist"});
  set.Add({{"kubelet-socket"},
           {"KUBELET_SOCKET"},
           Kind::kString,
           {kDefaultKubeletSocket},
           "the kubelet's registration socket; plugin sockets are created in its directory; empty: "
           "do not register"});
  set.Add({{"shared-devices-allocation-policy"},
           {"SHARED_DEVICES_ALLOCATION_POLICY"},
           Kind::kString,
           {"distributed"},
           "how GetPreferredAllocation picks replicas and MIG devices: [distributed | packed]"});
  set.Add({{"health-recovery-period"},
           {"HEALTH_RECOVERY_PERIOD"},
           Kind::kDuration,
           {"0"},
           "return a device marked unhealthy by an XID to healthy after this long without new "
           "events, if NVML answers for it (e.g. 10m); 0: never"});
  set.Add({{"health-probe-interval"},
           {"HEALTH_PROBE_INTERVAL"},
           Kind::kDuration,
           {"5s"},
           "how often every GPU is asked for its memory info, to find lost GPUs and a hung or "
           "missing driver"});
  set.Add({{"metrics-address"},
           {"METRICS_ADDRESS"},
           Kind::kString,
           {""},
           "serve /healthz, /readyz and /metrics over HTTP on this address (e.g. :8080); empty: "
           "off"});
  set.Add({{"config-file"},
           {"CONFIG_FILE"},
           Kind::kString,
           {""},
           "the path to a config file as an alternative to command line options or environment "
           "variables"});
  set.Add({{"cdi-feature-flags"},
           {"CDI_FEATURE_FLAGS"},
           Kind::kStringSlice,
           {},
           "a set of feature flags to be passed to the CDI spec generation logic"});
  set.Add({{"cdi-spec-dir"},
           {"CDI_SPEC_DIR"},
           Kind::kString,
           {"/var/run/cdi"},
           "where the CDI specs are written with the cdi-* device list strategies"});
  set.Add({{"dry-run"},
           {"DRY_RUN"},
           Kind::kBool,
           {"false"},
           "load the config and devices as a real start would, print the resources that would be "
           "advertised, and exit"});
  set.Add({{"output", "o"},
           {"DRY_RUN_OUTPUT"},
           Kind::kString,
           {"text"},
           "dry-run output format: [text | json]"});
  return set;
}

// §2.1: each flag overrides its config key when given, or fills it when the file left it unset.
void ApplyFlags(const flags::FlagSet& set, config::Config& config) {
  config::Flags& f = config.flags;
  auto str = [&](const char* flag) { return set.Get(flag).str(); };
  auto boolean = [&](const char* flag) { return set.GetBool(flag); };
  MergeFlag(f.mig_strategy, set.Get("mig-strategy"), str("mig-strategy"));
  MergeFlag(f.fail_on_init_error, set.Get("fail-on-init-error"), boolean("fail-on-init-error"));
  MergeFlag(f.nvidia_driver_root, set.Get("driver-root"), str("driver-root"));
  MergeFlag(f.nvidia_dev_root, set.Get("dev-root"), str("dev-root"));
  MergeFlag(f.gdrcopy_enabled, set.Get("gdrcopy-enabled"), boolean("gdrcopy-enabled"));
  MergeFlag(f.gds_enabled, set.Get("gds-enabled"), boolean("gds-enabled"));
  MergeFlag(f.mofed_enabled, set.Get("mofed-enabled"), boolean("mofed-enabled"));
  MergeFlag(f.mps_root, set.Get("mps-root"), str("mps-root"));
  MergeFlag(f.device_discovery_strategy, set.Get("device-discovery-strategy"),
            str("device-discovery-strategy"));
  if (!f.plugin) f.plugin = config::PluginFlags{};
  config::PluginFlags& p = *f.plugin;
  MergeFlag(p.pass_device_specs, set.Get("pass-device-specs"), boolean("pass-device-specs"));
  MergeFlag(p.device_list_strategy, set.Get("device-list-strategy"),
            set.Get("device-list-strategy").items);
  MergeFlag(p.device_id_strategy, set.Get("device-id-strategy"), str("device-id-strategy"));
  MergeFlag(p.cdi_annotation_prefix, set.Get("cdi-annotation-prefix"),
            str("cdi-annotation-prefix"));
  MergeFlag(p.nvidia_ctk_path, set.Get("nvidia-cdi-hook-path"), str("nvidia-cdi-hook-path"));
  MergeFlag(p.container_driver_root, set.Get("driver-root-ctr-path"), str("driver-root-ctr-path"));
  // IMEX settings are taken from the flags only when given (spec §1.1).
  if (set.Get("imex-channel-ids").is_set()) {
    config.imex.channel_ids.clear();
    for (const std::string& id : set.Get("imex-channel-ids").items) {
      long long value = 0;
      ParseInt64(id, &value);
      config.imex.channel_ids.push_back(value);
    }
  }
  if (set.Get("imex-required").is_set()) config.imex.required = boolean("imex-required");
}

}  // namespace

std::string Options::PluginDirectory() const {
  const std::string& socket =
      kubelet_socket.empty() ? std::string(kDefaultKubeletSocket) : kubelet_socket;
  size_t slash = socket.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : socket.substr(0, slash);
}

Options CommandLine::Load() const {
  Options o;
  o.config_file = set_.Get("config-file").str();
  if (!o.config_file.empty()) o.config = config::LoadConfigFile(o.config_file);
  ApplyFlags(set_, o.config);
  o.warnings = config::FinalizeAfterMerge(o.config);
  config::ValidateForDevicePlugin(o.config);

  const config::Flags& f = o.config.flags;
  const config::PluginFlags& p = *f.plugin;
  o.mig_strategy = *f.mig_strategy;
  o.fail_on_init_error = *f.fail_on_init_error;
  o.driver_root = *f.nvidia_driver_root;
  o.dev_root = f.nvidia_dev_root.value_or(o.driver_root);
  o.container_driver_root = *p.container_driver_root;
  o.device_list_strategy = *p.device_list_strategy;
  o.device_id_strategy =
      *p.device_id_strategy == "index" ? DeviceIdStrategy::kIndex : DeviceIdStrategy::kUuid;
  o.pass_device_specs = *p.pass_device_specs;
  o.gdrcopy_enabled = *f.gdrcopy_enabled;
  o.gds_enabled = *f.gds_enabled;
  o.mofed_enabled = *f.mofed_enabled;
  for (const std::string& strategy : o.device_list_strategy) {
    o.cdi_annotations = o.cdi_annotations || strategy == "cdi-annotations";
    o.cdi_cri = o.cdi_cri || strategy == "cdi-cri";
  }
  o.cdi_annotation_prefix = p.cdi_annotation_prefix.value_or("cdi.k8s.io/");
  o.nvidia_cdi_hook_path = p.nvidia_ctk_path.value_or("/usr/bin/nvidia-ctk");
  o.cdi_spec_dir = set_.Get("cdi-spec-dir").str();
  o.cdi_feature_flags = set_.Get("cdi-feature-flags").items;
  if ((o.cdi_annotations || o.cdi_cri) && o.cdi_spec_dir.empty()) {
    throw config::ConfigError("--cdi-spec-dir must not be empty with a cdi-* strategy");
  }
  o.imex_channel_ids = o.config.imex.channel_ids;
  o.imex_required = o.config.imex.required;
  if (o.config.sharing.strategy() == config::Sharing::Strategy::kMps) {
    o.mps_root = *f.mps_root;
    o.mps_container_root = set_.Get("mps-container-root").str();
    if (o.mps_container_root.empty() || o.mps_container_root.front() != '/') {
      throw config::ConfigError("--mps-container-root must be an absolute path; found \"" +
                                o.mps_container_root + "\"");
    }
  }
  const std::string policy = set_.Get("shared-devices-allocation-policy").str();
  if (!alloc::ParseSharedPolicy(policy, &o.shared_devices_allocation_policy)) {
    throw config::ConfigError("invalid --shared-devices-allocation-policy: " + policy +
                              " (distributed or packed)");
  }
  auto duration = [&](const char* flag) {
    auto nanos = flags::ParseGoDuration(set_.Get(flag).str());
    if (!nanos || *nanos < 0) {
      throw config::ConfigError(std::string("invalid --") + flag + ": " + set_.Get(flag).str());
    }
    return std::chrono::milliseconds(*nanos / 1000000);
  };
  o.health_recovery_period = duration("health-recovery-period");
  o.health_probe_interval = duration("health-probe-interval");
  if (o.health_probe_interval < std::chrono::milliseconds(100)) {
    throw config::ConfigError("invalid --health-probe-interval: " +
                              set_.Get("health-probe-interval").str() + " (at least 100ms)");
  }
  o.metrics_address = set_.Get("metrics-address").str();
  o.kubelet_socket = set_.Get("kubelet-socket").str();
  o.dry_run = set_.GetBool("dry-run");
  o.output = set_.Get("output").str();
  if (o.output != "text" && o.output != "json") {
    throw config::ConfigError("invalid --output: " + o.output + " (text or json)");
  }
  o.disable_healthchecks = disable_healthchecks_;
  o.enable_healthchecks = enable_healthchecks_;
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
  result.command_line.emplace(std::move(set), env("DP_DISABLE_HEALTHCHECKS"),
                              env("DP_ENABLE_HEALTHCHECKS"));
  return result;
}

}  // namespace nvdp::plugin
