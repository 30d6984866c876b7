#include "plugin/options.h"

#include <gtest/gtest.h>

#include <map>

#include "fake_env.h"

namespace nvdp::plugin {
namespace {

TEST(OptionsTest, UpstreamDefaults) {
  ParsedOptions parsed = ParseOptions({}, testing::FakeEnv({}));
  ASSERT_TRUE(parsed.options) << parsed.output;
  const Options& o = *parsed.options;
  EXPECT_EQ(o.mig_strategy, "none");
  EXPECT_TRUE(o.fail_on_init_error);
  EXPECT_EQ(o.driver_root, "/");
  EXPECT_EQ(o.dev_root, "/");
  EXPECT_EQ(o.container_driver_root, "/driver-root");
  EXPECT_EQ(o.device_list_strategy, std::vector<std::string>{"envvar"});
  EXPECT_EQ(o.device_id_strategy, DeviceIdStrategy::kUuid);
  EXPECT_EQ(o.kubelet_socket, "/var/lib/kubelet/device-plugins/kubelet.sock");
  EXPECT_EQ(o.PluginDirectory(), "/var/lib/kubelet/device-plugins");
  EXPECT_FALSE(o.dry_run);
  EXPECT_FALSE(o.disable_healthchecks);
}

TEST(OptionsTest, EnvironmentAndAliases) {
  ParsedOptions parsed = ParseOptions({"--nvidia-driver-root=/run/nvidia/driver"},
                                      testing::FakeEnv({{"CONTAINER_DRIVER_ROOT", "/second"},
                                                        {"DRIVER_ROOT_CTR_PATH", "/first"},
                                                        {"FAIL_ON_INIT_ERROR", "false"},
                                                        {"KUBELET_SOCKET", "/tmp/dp/kubelet.sock"},
                                                        {"DP_DISABLE_HEALTHCHECKS", "xids"},
                                                        {"DEVICE_ID_STRATEGY", "index"}}));
  ASSERT_TRUE(parsed.options) << parsed.output;
  const Options& o = *parsed.options;
  EXPECT_EQ(o.driver_root, "/run/nvidia/driver");
  EXPECT_EQ(o.dev_root, "/run/nvidia/driver");  // follows the driver root when unset
  EXPECT_EQ(o.container_driver_root, "/first");
  EXPECT_FALSE(o.fail_on_init_error);
  EXPECT_EQ(o.PluginDirectory(), "/tmp/dp");
  EXPECT_EQ(o.disable_healthchecks, "xids");
  EXPECT_EQ(o.device_id_strategy, DeviceIdStrategy::kIndex);
}

TEST(OptionsTest, EmptyKubeletSocketMeansServeWithoutRegistering) {
  ParsedOptions parsed = ParseOptions({"--kubelet-socket="}, testing::FakeEnv({}));
  ASSERT_TRUE(parsed.options);
  EXPECT_EQ(parsed.options->kubelet_socket, "");
  EXPECT_EQ(parsed.options->PluginDirectory(), "/var/lib/kubelet/device-plugins");
}

TEST(OptionsTest, InvalidValuesAreExplained) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {{"--mig-strategy=some"}, "unknown MIG strategy: some"},
           {{"--device-list-strategy=envvar,bogus"}, "invalid strategy: bogus"},
           {{"--device-list-strategy=cdi-cri"},
            "device list strategy cdi-cri is not supported by this version yet"},
           {{"--mig-strategy=mixed"}, "--mig-strategy=mixed is not supported by this version yet"},
           {{"--device-id-strategy=serial"}, "invalid --device-id-strategy option: serial"},
           {{"--dry-run", "--output=yaml"}, "invalid --output: yaml"},
       }) {
    ParsedOptions parsed = ParseOptions(c.args, testing::FakeEnv({}));
    EXPECT_FALSE(parsed.options) << c.args[0];
    EXPECT_EQ(parsed.exit_code, 1);
    EXPECT_NE(parsed.output.find(c.message), std::string::npos) << parsed.output;
  }
}

TEST(OptionsTest, HelpListsEveryFlagWithItsEnvVars) {
  ParsedOptions parsed = ParseOptions({"--help"}, testing::FakeEnv({}));
  EXPECT_FALSE(parsed.options);
  EXPECT_EQ(parsed.exit_code, 0);
  for (const char* text :
       {"--mig-strategy value", "[$MIG_STRATEGY]", "--fail-on-init-error",
        "--driver-root, --nvidia-driver-root value",
        "[$DRIVER_ROOT_CTR_PATH, $CONTAINER_DRIVER_ROOT]", "--kubelet-socket value",
        "--dev-root, --nvidia-dev-root value", "--device-id-strategy value"}) {
    EXPECT_NE(parsed.output.find(text), std::string::npos) << text;
  }
}

}  // namespace
}  // namespace nvdp::plugin
