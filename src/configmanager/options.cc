#include "configmanager/options.h"

#include "common/version.h"

namespace nvdp::configmanager {

using flags::Kind;

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set("config-manager", "NVIDIA Config Manager",
                     "manage the config file of an NVIDIA component from a node label",
                     VersionText());
  set.Add({{"oneshot"},
           {"ONESHOT"},
           Kind::kBool,
           {"false"},
           "check and update the config once, then exit"});
  set.Add({{"kubeconfig"},
           {"KUBECONFIG"},
           Kind::kString,
           {""},
           "absolute path to the kubeconfig file; empty: in-cluster"});
  set.Add({{"node-name"}, {"NODE_NAME"}, Kind::kString, {""}, "the name of the node to watch"});
  set.Add({{"node-label"},
           {"NODE_LABEL"},
           Kind::kString,
           {"nvidia.com/device-plugin.config"},
           "the node label naming the config to use"});
  set.Add({{"config-file-srcdir"},
           {"CONFIG_FILE_SRCDIR"},
           Kind::kString,
           {""},
           "the directory of the available config files (a mounted ConfigMap)"});
  set.Add({{"config-file-dst"},
           {"CONFIG_FILE_DST"},
           Kind::kString,
           {""},
           "the path of the symlink to the selected config file"});
  set.Add({{"default-config"},
           {"DEFAULT_CONFIG"},
           Kind::kString,
           {""},
           "the config to use when the label is unset"});
  set.Add({{"fallback-strategies"},
           {"FALLBACK_STRATEGIES"},
           Kind::kStringSlice,
           {},
           "what to use when the label and the default are unset, in order: [named | single | "
           "empty]"});
  set.Add({{"send-signal"},
           {"SEND_SIGNAL"},
           Kind::kBool,
           {"true"},
           "signal the process using the config when it changes"});
  set.Add({{"signal"}, {"SIGNAL"}, Kind::kInt, {"1"}, "the signal to send (1: SIGHUP)"});
  set.Add({{"process-to-signal"},
           {"PROCESS_TO_SIGNAL"},
           Kind::kString,
           {"nvidia-device-plugin"},
           "the argv[0] of the process to signal"});

  ParsedCommandLine result;
  flags::ParseResult parsed = set.Parse(args, env);
  if (parsed.exit_code) {
    result.exit_code = *parsed.exit_code;
    result.output = parsed.output;
    return result;
  }
  Options o;
  o.oneshot = set.GetBool("oneshot");
  o.kubeconfig = set.Get("kubeconfig").str();
  o.node_name = set.Get("node-name").str();
  o.node_label = set.Get("node-label").str();
  o.update.source_dir = set.Get("config-file-srcdir").str();
  o.update.destination = set.Get("config-file-dst").str();
  o.update.default_config = set.Get("default-config").str();
  o.update.fallback_strategies = set.Get("fallback-strategies").items;
  o.send_signal = set.GetBool("send-signal");
  o.signal = static_cast<int>(set.GetInt("signal"));
  o.process_to_signal = set.Get("process-to-signal").str();
  for (const auto& [value, flag] : {std::pair{&o.node_name, "node-name"},
                                    {&o.node_label, "node-label"},
                                    {&o.update.source_dir, "config-file-srcdir"},
                                    {&o.update.destination, "config-file-dst"}}) {
    if (value->empty()) {
      result.exit_code = 1;
      result.output = std::string("invalid <") + flag + ">: must not be empty string\n";
      return result;
    }
  }
  result.options = std::move(o);
  return result;
}

}  // namespace nvdp::configmanager
