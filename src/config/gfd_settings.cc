// gpu-feature-discovery (spec §1.2).
#include "config/defaults.h"
#include "config/file_keys.h"
#include "config/programs.h"
#include "config/shared_settings.h"

namespace nvdp::config {

const SettingsTable& FeatureDiscoverySettings() {
  using flags::Kind;
  static const SettingsTable kTable = [] {
    SettingsTable table = {
        "gpu-feature-discovery",
        "GPU Feature Discovery",
        "generate labels for NVIDIA devices",
        {
            rows::MigStrategy(
                {"GFD_MIG_STRATEGY", "MIG_STRATEGY"},
                "the strategy to use for exposing MIG devices: [none | single | mixed]"),
            rows::FailOnInitError({"GFD_FAIL_ON_INIT_ERROR", "FAIL_ON_INIT_ERROR"}),
            {"oneshot",
             {},
             {"GFD_ONESHOT"},
             Kind::kBool,
             {"false"},
             "label once and exit",
             keys::kOneshot},
            {"no-timestamp",
             {},
             {"GFD_NO_TIMESTAMP"},
             Kind::kBool,
             {"false"},
             "do not add the timestamp to the labels",
             keys::kNoTimestamp},
            {"sleep-interval",
             {},
             {"GFD_SLEEP_INTERVAL"},
             Kind::kDuration,
             {"60s"},
             "time to sleep between labeling",
             keys::kSleepInterval},
            {"output-file",
             {"output", "o"},
             {"GFD_OUTPUT_FILE"},
             Kind::kString,
             {kDefaultFeatureFile},
             "path to output file",
             keys::kOutputFile},
            {"machine-type-file",
             {},
             {"GFD_MACHINE_TYPE_FILE"},
             Kind::kString,
             {kDefaultMachineTypeFile},
             "a file containing the name of the machine",
             keys::kMachineTypeFile},
            rows::ConfigFile({"GFD_CONFIG_FILE", "CONFIG_FILE"}),
            rows::SharingPerDevice(),
            {"use-node-feature-api",
             {},
             {"GFD_USE_NODE_FEATURE_API", "USE_NODE_FEATURE_API"},
             Kind::kBool,
             {"false"},
             "use NFD NodeFeature API to publish labels (unset: when --node-name is given, "
             "falling back to the file when the API has no room for it)",
             keys::kUseNodeFeatureApi,
             /*override_only=*/true},
            rows::DeviceDiscoveryStrategy(
                "the strategy to use to discover devices: [auto | nvml | tegra | vfio]"),
            rows::ContainerDriverRoot("the path where the NVIDIA driver root is mounted in the "
                                      "container; NVML (and a simulated sysfs) is looked for "
                                      "there first"),
            rows::Kubeconfig("absolute path to the kubeconfig file (for the NodeFeature API)"),
        }};
    for (Setting& setting : rows::KubeClient()) table.settings.push_back(std::move(setting));
    table.settings.push_back({"namespace",
                              {},
                              {"NAMESPACE"},
                              Kind::kString,
                              {"default"},
                              "the namespace of the NodeFeature object"});
    table.settings.push_back(rows::NodeName("the name of this node"));
    table.settings.push_back({"pod-name",
                              {},
                              {"POD_NAME"},
                              Kind::kString,
                              {""},
                              "the name of this pod: its controller (the DaemonSet) owns the "
                              "NodeFeature object, which is deleted with it"});
    return table;
  }();
  return kTable;
}

}  // namespace nvdp::config
