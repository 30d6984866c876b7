#include "plugin/options.h"

#include "common/strings.h"
#include "common/version.h"

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
  set.Add({{"driver-root-ctr-path", "container-driver-root"},
           {"DRIVER_ROOT_CTR_PATH", "CONTAINER_DRIVER_ROOT"},
           Kind::kString,
           {"/driver-root"},
           "the path where the NVIDIA driver root is mounted in the container; used for finding "
           "libnvidia-ml.so.1"});
  set.Add({{"kubelet-socket"},
           {"KUBELET_SOCKET"},
           Kind::kString,
           {kDefaultKubeletSocket},
           "the kubelet's registration socket; plugin sockets are created in its directory; empty: "
           "do not register"});
  set.Add({{"dry-run"},
           {"DRY_RUN"},
           Kind::kBool,
           {"false"},
           "load NVML and the devices as a real start would, print the resources that would be "
           "advertised, and exit"});
  set.Add({{"output", "o"},
           {"DRY_RUN_OUTPUT"},
           Kind::kString,
           {"text"},
           "dry-run output format: [text | json]"});
  return set;
}

bool IsOneOf(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* candidate : allowed) {
    if (value == candidate) return true;
  }
  return false;
}

}  // namespace

std::string Options::PluginDirectory() const {
  const std::string& socket =
      kubelet_socket.empty() ? std::string(kDefaultKubeletSocket) : kubelet_socket;
  size_t slash = socket.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : socket.substr(0, slash);
}

ParsedOptions ParseOptions(const std::vector<std::string>& args, const flags::EnvLookup& env) {
  flags::FlagSet set = MakeFlagSet();
  flags::ParseResult parsed = set.Parse(args, env);
  ParsedOptions result;
  if (parsed.exit_code) {
    result.exit_code = *parsed.exit_code;
    result.output = parsed.output;
    return result;
  }
  auto fail = [&](const std::string& message) {
    result.exit_code = 1;
    result.output = "invalid configuration: " + message + "\n";
    return result;
  };

  Options o;
  o.mig_strategy = set.Get("mig-strategy").str();
  o.fail_on_init_error = set.GetBool("fail-on-init-error");
  o.driver_root = set.Get("driver-root").str();
  o.dev_root = set.Get("dev-root").str();
  if (o.dev_root.empty()) o.dev_root = o.driver_root;
  o.container_driver_root = set.Get("driver-root-ctr-path").str();
  o.device_list_strategy = set.Get("device-list-strategy").items;
  o.kubelet_socket = set.Get("kubelet-socket").str();
  o.dry_run = set.GetBool("dry-run");
  o.output = set.Get("output").str();
  o.disable_healthchecks = env("DP_DISABLE_HEALTHCHECKS");
  o.enable_healthchecks = env("DP_ENABLE_HEALTHCHECKS");

  if (!IsOneOf(o.mig_strategy, {"none", "single", "mixed"})) {
    return fail("unknown MIG strategy: " + o.mig_strategy + " (none, single or mixed)");
  }
  if (o.mig_strategy != "none") {
    return fail("--mig-strategy=" + o.mig_strategy + " is not supported by this version yet");
  }
  for (const std::string& strategy : o.device_list_strategy) {
    if (!IsOneOf(strategy, {"envvar", "volume-mounts", "cdi-annotations", "cdi-cri"})) {
      return fail("invalid strategy: " + strategy);
    }
    if (strategy != "envvar") {
      return fail("device list strategy " + strategy + " is not supported by this version yet");
    }
  }
  const std::string id_strategy = set.Get("device-id-strategy").str();
  if (id_strategy == "uuid") {
    o.device_id_strategy = DeviceIdStrategy::kUuid;
  } else if (id_strategy == "index") {
    o.device_id_strategy = DeviceIdStrategy::kIndex;
  } else {
    return fail("invalid --device-id-strategy option: " + id_strategy + " (uuid or index)");
  }
  if (!IsOneOf(o.output, {"text", "json"}))
    return fail("invalid --output: " + o.output + " (text or json)");
  result.options = std::move(o);
  return result;
}

}  // namespace nvdp::plugin
