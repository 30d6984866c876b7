// Flags, environment and config file together (spec §1, §2.1).
#include "plugin/options.h"

#include <gtest/gtest.h>

#include "config/file_keys.h"

#include <fstream>
#include <map>

#include "config/parse.h"
#include "fake_env.h"
#include "temp_dir.h"

namespace nvdp::plugin {
namespace {

Options Load(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
  ParsedCommandLine parsed = ParseCommandLine(args, testing::FakeEnv(std::move(env)));
  if (!parsed.command_line) throw std::runtime_error(parsed.output);
  return parsed.command_line->Load();
}

class OptionsTest : public ::testing::Test {
 protected:
  std::string WriteConfig(const std::string& text) {
    std::string path = dir_ / "config.yaml";
    std::ofstream(path) << text;
    return path;
  }
  testing::TempDir dir_;
};

TEST_F(OptionsTest, UpstreamDefaults) {
  Options o = Load({});
  EXPECT_EQ(config::Name(o.mig_strategy), "none");
  EXPECT_TRUE(o.fail_on_init_error);
  EXPECT_EQ(o.driver_root, "/");
  EXPECT_EQ(o.dev_root, "/");
  EXPECT_EQ(o.container_driver_root, "/driver-root");
  EXPECT_EQ(o.device_list_strategy.Names(), std::vector<std::string>{"envvar"});
  EXPECT_EQ(o.device_id_strategy, DeviceIdStrategy::kUuid);
  EXPECT_FALSE(o.pass_device_specs);
  EXPECT_FALSE(o.gdrcopy_enabled);  // off, as v0.18.2 and v0.19.3+ (v0.19.0 turned them on)
  EXPECT_FALSE(o.gds_enabled);
  EXPECT_EQ(o.resource_pattern_matching, config::PatternMatching::kSubstring);  // v0.18's
  EXPECT_EQ(Load({}, {{"RESOURCE_PATTERN_MATCHING", "anchored"}}).resource_pattern_matching,
            config::PatternMatching::kAnchored);
  EXPECT_FALSE(o.mofed_enabled);
  EXPECT_EQ(o.kubelet_socket, "/var/lib/kubelet/device-plugins/kubelet.sock");
  EXPECT_EQ(o.PluginDirectory(), "/var/lib/kubelet/device-plugins");
  EXPECT_EQ(o.config.String(config::keys::kCdiAnnotationPrefix), "cdi.k8s.io/");
  EXPECT_EQ(o.config.String(config::keys::kNvidiaCtkPath), "/usr/bin/nvidia-ctk");
  EXPECT_EQ(o.config.String(config::keys::kDeviceDiscoveryStrategy), "auto");
  EXPECT_EQ(o.config.String(config::keys::kMpsRoot), "");
  EXPECT_FALSE(o.dry_run);
  EXPECT_FALSE(o.disable_healthchecks);
}

TEST_F(OptionsTest, EnvironmentAndAliases) {
  Options o = Load({"--nvidia-driver-root=/run/nvidia/driver"},
                   {{"CONTAINER_DRIVER_ROOT", "/second"},
                    {"DRIVER_ROOT_CTR_PATH", "/first"},
                    {"FAIL_ON_INIT_ERROR", "false"},
                    {"KUBELET_SOCKET", "/tmp/dp/kubelet.sock"},
                    {"DP_DISABLE_HEALTHCHECKS", "xids"},
                    {"DEVICE_ID_STRATEGY", "index"},
                    {"NVIDIA_CTK_PATH", "/opt/ctk"},
                    {"DEVICE_LIST_STRATEGY", "envvar,volume-mounts"}});
  EXPECT_EQ(o.driver_root, "/run/nvidia/driver");
  EXPECT_EQ(o.dev_root, "/run/nvidia/driver");  // follows the driver root when unset
  EXPECT_EQ(o.container_driver_root, "/first");
  EXPECT_FALSE(o.fail_on_init_error);
  EXPECT_EQ(o.PluginDirectory(), "/tmp/dp");
  EXPECT_EQ(o.disable_healthchecks, "xids");
  EXPECT_EQ(o.device_id_strategy, DeviceIdStrategy::kIndex);
  EXPECT_EQ(o.config.String(config::keys::kNvidiaCtkPath), "/opt/ctk");
  EXPECT_EQ(o.device_list_strategy.Names(), (std::vector<std::string>{"envvar", "volume-mounts"}));
}

TEST_F(OptionsTest, PrecedenceCommandLineEnvironmentFileDefault) {
  std::string path = WriteConfig(R"(
flags:
  migStrategy: single
  failOnInitError: false
  nvidiaDriverRoot: /from/file
  plugin: {deviceIDStrategy: index, passDeviceSpecs: true}
)");
  // File values survive where no flag was given.
  Options file_only = Load({"--config-file", path});
  EXPECT_EQ(config::Name(file_only.mig_strategy), "single");
  EXPECT_FALSE(file_only.fail_on_init_error);
  EXPECT_EQ(file_only.driver_root, "/from/file");
  EXPECT_EQ(file_only.device_id_strategy, DeviceIdStrategy::kIndex);
  EXPECT_TRUE(file_only.pass_device_specs);
  EXPECT_EQ(file_only.container_driver_root, "/driver-root");  // default fills the unset key

  // The environment beats the file; the command line beats both.
  Options mixed =
      Load({"--mig-strategy=none", "--config-file=" + path}, {{"MIG_STRATEGY", "mixed"},
                                                              {"NVIDIA_DRIVER_ROOT", "/from/env"},
                                                              {"PASS_DEVICE_SPECS", "false"}});
  EXPECT_EQ(config::Name(mixed.mig_strategy), "none");
  EXPECT_EQ(mixed.driver_root, "/from/env");
  EXPECT_FALSE(mixed.pass_device_specs);
  EXPECT_EQ(mixed.device_id_strategy, DeviceIdStrategy::kIndex);

  // CONFIG_FILE works like --config-file.
  EXPECT_EQ(config::Name(Load({}, {{"CONFIG_FILE", path}}).mig_strategy), "single");
}

TEST_F(OptionsTest, ImexFlagsOverrideTheFileOnlyWhenGiven) {
  std::string path = WriteConfig("imex: {channelIDs: [], required: true}\n");
  Options from_file = Load({"--config-file", path});
  EXPECT_TRUE(from_file.config.Bool(config::keys::kImexRequired).value_or(false));
  EXPECT_TRUE(from_file.config.Ints(config::keys::kImexChannelIds)
                  .value_or(std::vector<long long>{})
                  .empty());
  Options flagged = Load({"--config-file", path, "--imex-required=false"});
  EXPECT_FALSE(flagged.config.Bool(config::keys::kImexRequired).value_or(false));
}

TEST_F(OptionsTest, EmptyKubeletSocketMeansServeWithoutRegistering) {
  Options o = Load({"--kubelet-socket="});
  EXPECT_EQ(o.kubelet_socket, "");
  EXPECT_EQ(o.PluginDirectory(), "/var/lib/kubelet/device-plugins");
}

TEST_F(OptionsTest, SharedDevicesAllocationPolicy) {
  EXPECT_EQ(Load({}).shared_devices_allocation_policy, alloc::SharedPolicy::kDistributed);
  EXPECT_EQ(Load({"--shared-devices-allocation-policy=packed"}).shared_devices_allocation_policy,
            alloc::SharedPolicy::kPacked);
  EXPECT_EQ(
      Load({}, {{"SHARED_DEVICES_ALLOCATION_POLICY", "packed"}}).shared_devices_allocation_policy,
      alloc::SharedPolicy::kPacked);
  // The config file key of upstream v0.20; the command line still wins.
  const std::string path =
      WriteConfig("flags: {plugin: {sharedDevicesAllocationPolicy: packed}}\n");
  EXPECT_EQ(Load({"--config-file", path}).shared_devices_allocation_policy,
            alloc::SharedPolicy::kPacked);
  EXPECT_EQ(Load({"--config-file", path, "--shared-devices-allocation-policy=distributed"})
                .shared_devices_allocation_policy,
            alloc::SharedPolicy::kDistributed);
}

TEST_F(OptionsTest, CdiDisableHooksIsACommaList) {
  EXPECT_TRUE(Load({}).cdi_disabled_hooks.empty());
  EXPECT_EQ(Load({}, {{"CDI_DISABLE_HOOKS", "disable-device-node-modification, update-ldcache"}})
                .cdi_disabled_hooks,
            (std::vector<std::string>{"disable-device-node-modification", "update-ldcache"}));
  EXPECT_EQ(Load({"--cdi-disable-hooks=all"}).cdi_disabled_hooks, std::vector<std::string>{"all"});
}

TEST_F(OptionsTest, HealthAndMetricsFlags) {
  Options defaults = Load({});
  EXPECT_EQ(defaults.health_recovery_period, std::chrono::milliseconds(0));
  EXPECT_EQ(defaults.health_probe_interval, std::chrono::milliseconds(5000));
  EXPECT_EQ(defaults.metrics_address, "");
  Options o = Load({"--health-recovery-period=10m", "--metrics-address=:8080"},
                   {{"HEALTH_PROBE_INTERVAL", "1.5s"}});
  EXPECT_EQ(o.health_recovery_period, std::chrono::milliseconds(600000));
  EXPECT_EQ(o.health_probe_interval, std::chrono::milliseconds(1500));
  EXPECT_EQ(o.metrics_address, ":8080");
}

TEST_F(OptionsTest, InvalidValuesAreExplained) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--mig-strategy=some"}, "unknown MIG strategy: some"},
           {{"--device-list-strategy=envvar,bogus"}, "invalid strategy: bogus"},
           {{"--device-list-strategy=cdi-cri", "--cdi-spec-dir="},
            "--cdi-spec-dir must not be empty with a cdi-* strategy"},
           {{"--device-id-strategy=serial"}, "invalid --device-id-strategy option: serial"},
           {{"--imex-channel-ids=1"}, "channelIDs must be [] or [0]; found [1]"},
           {{"--dry-run", "--output=yaml"}, "invalid --output: yaml"},
           {{"--health-probe-interval=10ms"},
            "invalid --health-probe-interval: 10ms (at least 100ms)"},
           {{"--health-recovery-period=infinite"}, "invalid --health-recovery-period: infinite"},
           {{"--resource-pattern-matching=regex"},
            "invalid --resource-pattern-matching: regex (substring or anchored)"},
           {{"--shared-devices-allocation-policy=spread"},
            "invalid --shared-devices-allocation-policy: spread (distributed or packed)"},
           {{"--config-file=/nonexistent/config.yaml"},
            "config file /nonexistent/config.yaml: cannot be read"},
       }) {
    try {
      Load(c.args);
      ADD_FAILURE() << "accepted " << c.args[0];
    } catch (const config::ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
    }
  }
}

TEST_F(OptionsTest, UsageErrorsAndHelpExitBeforeLoading) {
  ParsedCommandLine bad = ParseCommandLine({"--no-such-flag"}, testing::FakeEnv({}));
  EXPECT_FALSE(bad.command_line);
  EXPECT_EQ(bad.exit_code, 1);
  ParsedCommandLine help = ParseCommandLine({"--help"}, testing::FakeEnv({}));
  EXPECT_EQ(help.exit_code, 0);
  for (const char* text : {"--mig-strategy value",
                           "[$MIG_STRATEGY]",
                           "--fail-on-init-error",
                           "--driver-root, --nvidia-driver-root value",
                           "[$DRIVER_ROOT_CTR_PATH, $CONTAINER_DRIVER_ROOT]",
                           "--kubelet-socket value",
                           "--dev-root, --nvidia-dev-root value",
                           "--device-id-strategy value",
                           "--pass-device-specs",
                           "--gdrcopy-enabled",
                           "--gds-enabled",
                           "--mofed-enabled",
                           "--cdi-annotation-prefix value",
                           "--nvidia-cdi-hook-path, --nvidia-ctk-path value",
                           "[$NVIDIA_CDI_HOOK_PATH, $NVIDIA_CTK_PATH]",
                           "--mps-root value",
                           "--device-discovery-strategy value",
                           "--imex-channel-ids value",
                           "--imex-required",
                           "--config-file value",
                           "--cdi-feature-flags value"}) {
    EXPECT_NE(help.output.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace nvdp::plugin
