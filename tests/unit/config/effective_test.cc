#include "config/effective.h"

#include <gtest/gtest.h>

#include "config/file_keys.h"

#include <nlohmann/json.hpp>

#include "config/parse.h"

namespace nvdp::config {
namespace {

Config Parse(const std::string& text) { return ParseConfig(text, "test.yaml"); }

TEST(FinalizeTest, DevRootFollowsDriverRootAndMpsForcesOneDevicePerRequest) {
  Config config = Parse(R"(
flags: {nvidiaDriverRoot: /run/nvidia/driver, nvidiaDevRoot: ""}
sharing: {mps: {resources: [{name: gpu, replicas: 4}]}}
)");
  FinalizeAfterMerge(config);
  EXPECT_EQ(config.String(keys::kNvidiaDevRoot), "/run/nvidia/driver");
  EXPECT_TRUE(config.sharing.mps->fail_requests_greater_than_one);
}

// Upstream v0.20 honours an explicit false for MPS (v0.18 forced true); unset or null is true.
TEST(FinalizeTest, MpsTakesAnExplicitFailRequestsGreaterThanOne) {
  auto mps_fails = [](const std::string& setting) {
    Config config = Parse("sharing: {mps: {" + setting + "resources: [{name: gpu, replicas: 4}]}}");
    FinalizeAfterMerge(config);
    return config.sharing.mps->fail_requests_greater_than_one;
  };
  EXPECT_FALSE(mps_fails("failRequestsGreaterThanOne: false, "));
  EXPECT_TRUE(mps_fails("failRequestsGreaterThanOne: true, "));
  EXPECT_TRUE(mps_fails("failRequestsGreaterThanOne: null, "));
  EXPECT_TRUE(mps_fails(""));
}

TEST(FinalizeTest, FeaturesThatUpstreamDisablesAreDroppedWithWarnings) {
  Config config = Parse(R"(
resources: {gpus: [{pattern: '*', name: any-gpu}]}
sharing:
  timeSlicing:
    resources:
      - {name: gpu, replicas: 2, rename: renamed, devices: [0]}
)");
  std::vector<std::string> warnings = FinalizeAfterMerge(config);
  EXPECT_TRUE(config.resources.gpus.empty());
  const ReplicatedResource& shared = config.sharing.time_slicing->resources[0];
  EXPECT_FALSE(shared.rename);
  EXPECT_EQ(shared.devices.kind, ReplicatedDevices::Kind::kAll);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_NE(warnings[0].find("Customizing the 'resources' field is not yet supported"),
            std::string::npos);

  Config by_default = Parse(
      "sharing: {timeSlicing: {renameByDefault: true, resources: [{name: gpu, replicas: 2, rename: "
      "x}]}}");
  FinalizeAfterMerge(by_default);
  EXPECT_EQ(by_default.sharing.time_slicing->resources[0].rename, "nvidia.com/gpu.shared");
}

// --sharing-per-device keeps what upstream drops: the resource patterns, each entry's devices and
// rename (renameByDefault names only the entries without one).
TEST(FinalizeTest, PerDeviceSharingKeepsDevicesRenamesAndPatterns) {
  Config config = Parse(R"(
resources: {gpus: [{pattern: '*', name: any-gpu}]}
sharing:
  timeSlicing:
    renameByDefault: true
    resources:
      - {name: gpu, replicas: 2, rename: renamed, devices: [0, 'GPU-8e1f2b3c-7a6d-4e5f-8091-a2b3c4d5e6f7']}
      - {name: gpu, replicas: 4, devices: 2}
)");
  EXPECT_TRUE(FinalizeAfterMerge(config, /*per_device=*/true).empty());
  EXPECT_TRUE(config.sharing.per_device);
  ASSERT_EQ(config.resources.gpus.size(), 1u);
  const auto& entries = config.sharing.time_slicing->resources;
  EXPECT_EQ(entries[0].rename, "nvidia.com/renamed");
  EXPECT_EQ(entries[0].devices.kind, ReplicatedDevices::Kind::kList);
  EXPECT_EQ(entries[0].devices.list,
            (std::vector<std::string>{"0", "GPU-8e1f2b3c-7a6d-4e5f-8091-a2b3c4d5e6f7"}));
  EXPECT_EQ(entries[1].rename, "nvidia.com/gpu.shared");
  EXPECT_EQ(entries[1].devices.kind, ReplicatedDevices::Kind::kCount);
  EXPECT_EQ(entries[1].devices.count, 2);
}

TEST(ValidateTest, AcceptsTheDefaultsAndSupportedValues) {
  EXPECT_NO_THROW(ValidateForDevicePlugin(Config{}));
  Config config = Parse(R"(
flags: {migStrategy: mixed, deviceDiscoveryStrategy: nvml,
        plugin: {deviceListStrategy: [envvar, volume-mounts], deviceIDStrategy: index}}
imex: {channelIDs: []}
)");
  EXPECT_NO_THROW(ValidateForDevicePlugin(config));
}

TEST(ValidateTest, RejectsWhatUpstreamRejectsNamingIt) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"flags: {migStrategy: some}", "unknown MIG strategy: some"},
           {"flags: {plugin: {deviceListStrategy: \"envvar,cdi-cri\"}}",
            "invalid strategy: envvar,cdi-cri"},
           {"flags: {plugin: {deviceIDStrategy: serial}}",
            "invalid --device-id-strategy option: serial"},
           {"flags: {deviceDiscoveryStrategy: vfio}",
            "invalid --device-discovery-strategy option: vfio"},
           {"flags: {migStrategy: mixed, mpsRoot: /run/nvidia/mps}\nsharing: {mps: {resources: "
            "[{name: gpu, replicas: 2}]}}",
            "using MPS is not supported with the mixed MIG strategy"},
           {"sharing: {mps: {resources: [{name: gpu, replicas: 2}]}}",
            "using MPS requires --mps-root to be specified"},
           {"flags: {mpsRoot: run/mps}\nsharing: {mps: {resources: [{name: gpu, replicas: 2}]}}",
            "--mps-root must be an absolute host path (e.g. /run/nvidia/mps); found \"run/mps\""},
           {"imex: {channelIDs: [1]}",
            "invalid IMEX config: channelIDs must be [] or [0]; found [1]"},
           {"imex: {channelIDs: [0, 0]}", "channelIDs must be [] or [0]; found [0 0]"},
       }) {
    try {
      ValidateForDevicePlugin(Parse(c.yaml));
      ADD_FAILURE() << "accepted: " << c.yaml;
    } catch (const ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
    }
  }
}

TEST(ValidateTest, MpsWithAnAbsoluteRootIsAccepted) {
  EXPECT_NO_THROW(ValidateForDevicePlugin(
      Parse("flags: {mpsRoot: /run/nvidia/mps}\nsharing: {mps: {resources: [{name: gpu, "
            "replicas: 2}]}}")));
}

TEST(ValidateTest, CdiAndImexAreAccepted) {
  EXPECT_NO_THROW(ValidateForDevicePlugin(
      Parse("flags: {plugin: {deviceListStrategy: [cdi-annotations, cdi-cri, envvar]}}")));
  EXPECT_NO_THROW(ValidateForDevicePlugin(Parse("imex: {channelIDs: [0], required: true}")));
}

TEST(ValidateTest, TegraIsAcceptedAndOtherStrategiesAreNot) {
  EXPECT_NO_THROW(ValidateForDevicePlugin(Parse("flags: {deviceDiscoveryStrategy: tegra}")));
  EXPECT_THROW(ValidateForDevicePlugin(Parse("flags: {deviceDiscoveryStrategy: vfio}")),
               ConfigError);  // GFD's only
}

TEST(ToJsonTest, UsesTheSchemasKeyNames) {
  Config config = Parse(R"(
flags: {migStrategy: none, failOnInitError: true, plugin: {deviceListStrategy: envvar}, gfd: {sleepInterval: 90s}}
sharing: {timeSlicing: {resources: [{name: gpu, replicas: 4}]}}
)");
  nlohmann::json doc = nlohmann::json::parse(ToJson(config));
  EXPECT_EQ(doc["version"], "v1");
  EXPECT_EQ(doc["flags"]["migStrategy"], "none");
  EXPECT_EQ(doc["flags"]["plugin"]["deviceListStrategy"], nlohmann::json::array({"envvar"}));
  EXPECT_EQ(doc["flags"]["gfd"]["sleepInterval"], "90s");
  EXPECT_EQ(nlohmann::json::parse(ToJson(
                Parse("flags: {gfd: {sleepInterval: infinite}}")))["flags"]["gfd"]["sleepInterval"],
            "infinite");
  EXPECT_EQ(doc["sharing"]["timeSlicing"]["resources"][0]["replicas"], 4);
  EXPECT_EQ(doc["sharing"]["timeSlicing"]["resources"][0]["devices"], "all");
  // Re-reading what was logged gives the same configuration.
  Config again = Parse(ToJson(config));
  EXPECT_EQ(again.sharing.time_slicing->resources[0].replicas, 4);
  EXPECT_EQ(again.Int(keys::kSleepInterval), 90'000'000'000LL);
}

}  // namespace
}  // namespace nvdp::config
