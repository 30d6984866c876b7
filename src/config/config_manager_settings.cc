// config-manager (spec §1.3): no config file of its own.
#include "config/defaults.h"
#include "config/programs.h"
#include "config/shared_settings.h"

namespace nvdp::config {

const SettingsTable& ConfigManagerSettings() {
  using flags::Kind;
  static const SettingsTable kTable = {
      "config-manager",
      "NVIDIA Config Manager",
      "manage the config file of an NVIDIA component from a node label",
      {
          {"oneshot",
           {},
           {"ONESHOT"},
           Kind::kBool,
           {"false"},
           "check and update the config once, then exit"},
          rows::Kubeconfig("absolute path to the kubeconfig file; empty: in-cluster"),
          rows::NodeName("the name of the node to watch"),
          {"node-label",
           {},
           {"NODE_LABEL"},
           Kind::kString,
           {kDefaultNodeLabel},
           "the node label naming the config to use"},
          {"config-file-srcdir",
           {},
           {"CONFIG_FILE_SRCDIR"},
           Kind::kString,
           {""},
           "the directory of the available config files (a mounted ConfigMap)"},
          {"config-file-dst",
           {},
           {"CONFIG_FILE_DST"},
           Kind::kString,
           {""},
           "the path of the symlink to the selected config file"},
          {"default-config",
           {},
           {"DEFAULT_CONFIG"},
           Kind::kString,
           {""},
           "the config to use when the label is unset"},
          {"fallback-strategies",
           {},
           {"FALLBACK_STRATEGIES"},
           Kind::kStringSlice,
           {},
           "what to use when the label and the default are unset, in order: [named | single | "
           "empty]"},
          {"send-signal",
           {},
           {"SEND_SIGNAL"},
           Kind::kBool,
           {"true"},
           "signal the process using the config when it changes"},
          {"signal", {}, {"SIGNAL"}, Kind::kInt, {"1"}, "the signal to send (1: SIGHUP)"},
          {"process-to-signal",
           {},
           {"PROCESS_TO_SIGNAL"},
           Kind::kString,
           {"nvidia-device-plugin"},
           "the argv[0] of the process to signal"},
      }};
  return kTable;
}

}  // namespace nvdp::config
