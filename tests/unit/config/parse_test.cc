// Config file v1, rule by rule from spec §2.1–§2.3.
#include "config/parse.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include "config/file_keys.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace nvdp::config {
namespace {

Config Parse(const std::string& text) { return ParseConfig(text, "test.yaml"); }

std::string ErrorOf(const std::string& text) {
  try {
    Parse(text);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

#define EXPECT_ERROR(text, message) \
  EXPECT_NE(ErrorOf(text).find(message), std::string::npos) << ErrorOf(text)

TEST(ConfigParseTest, EmptyDocumentsAreAllDefaults) {
  for (const char* empty : {"", "\n", "# only a comment\n", "{}"}) {
    Config config = Parse(empty);
    EXPECT_EQ(config.version, "v1");
    EXPECT_FALSE(config.String(keys::kMigStrategy));
    EXPECT_FALSE(config.sharing.time_slicing);
  }
}

TEST(ConfigParseTest, Version) {
  EXPECT_EQ(Parse("version: v1").version, "v1");
  EXPECT_EQ(Parse("version: \"\"").version, "v1");
  EXPECT_EQ(Parse("flags: {}").version, "v1");
  EXPECT_ERROR("version: v2", "test.yaml: version: unknown version: v2");
}

TEST(ConfigParseTest, YamlAndJsonGiveTheSameConfig) {
  Config yaml = Parse(R"(
version: v1
flags:
  migStrategy: mixed
  failOnInitError: false
  plugin:
    passDeviceSpecs: true
    deviceListStrategy: [envvar, volume-mounts]
    deviceIDStrategy: index
  gfd:
    sleepInterval: 30s
)");
  Config json =
      Parse(R"({"version": "v1", "flags": {"migStrategy": "mixed", "failOnInitError": false,
    "plugin": {"passDeviceSpecs": true, "deviceListStrategy": ["envvar", "volume-mounts"],
    "deviceIDStrategy": "index"}, "gfd": {"sleepInterval": "30s"}}})");
  for (const Config* c : {&yaml, &json}) {
    EXPECT_EQ(c->String(keys::kMigStrategy), "mixed");
    EXPECT_EQ(c->Bool(keys::kFailOnInitError), false);
    ASSERT_TRUE(c->sections.count("flags.plugin"));
    EXPECT_EQ(c->Bool(keys::kPassDeviceSpecs), true);
    EXPECT_EQ(c->Strings(keys::kDeviceListStrategy),
              (std::vector<std::string>{"envvar", "volume-mounts"}));
    EXPECT_EQ(c->String(keys::kDeviceIdStrategy), "index");
    EXPECT_EQ(c->Int(keys::kSleepInterval), 30'000'000'000LL);
  }
}

TEST(ConfigParseTest, StructKeysMatchCaseInsensitivelyAndUnknownKeysAreIgnored) {
  Config config = Parse("FLAGS:\n  MigStrategy: single\n  colour: blue\nextra: 1\n");
  EXPECT_EQ(config.String(keys::kMigStrategy), "single");
}

TEST(ConfigParseTest, YamlScalarsAreTypedLikeUpstream) {
  EXPECT_EQ(Parse("flags: {failOnInitError: yes}").Bool(keys::kFailOnInitError), true);
  EXPECT_EQ(Parse("flags: {failOnInitError: off}").Bool(keys::kFailOnInitError), false);
  EXPECT_ERROR("flags: {failOnInitError: \"true\"}",
               "flags.failOnInitError: expected true or false, got \"true\"");
  EXPECT_ERROR("flags: {migStrategy: 5}", "flags.migStrategy: expected a string, got 5");
  EXPECT_FALSE(Parse("flags: {migStrategy: null}").String(keys::kMigStrategy));
}

TEST(ConfigParseTest, DeviceListStrategy) {
  auto strategies = [](const std::string& value) {
    return Parse("flags: {plugin: {deviceListStrategy: " + value + "}}")
        .Strings(keys::kDeviceListStrategy)
        .value();
  };
  EXPECT_EQ(strategies("envvar"), std::vector<std::string>{"envvar"});
  EXPECT_EQ(strategies("[cdi-cri, envvar]"), (std::vector<std::string>{"cdi-cri", "envvar"}));
  // The file does not split on commas: this is one (invalid) strategy, caught by validation.
  EXPECT_EQ(strategies("\"envvar,cdi-cri\""), std::vector<std::string>{"envvar,cdi-cri"});
  EXPECT_ERROR("flags: {plugin: {deviceListStrategy: 5}}", "invalid deviceListStrategy: 5");
  EXPECT_ERROR("flags: {plugin: {deviceListStrategy: [envvar, 1]}}", "invalid deviceListStrategy");
}

TEST(ConfigParseTest, SleepInterval) {
  auto interval = [](const std::string& value) {
    return Parse("flags: {gfd: {sleepInterval: " + value + "}}").Int(keys::kSleepInterval);
  };
  EXPECT_EQ(interval("5"), 5);  // a number is nanoseconds
  EXPECT_EQ(interval("\"1m30s\""), 90'000'000'000LL);
  EXPECT_EQ(interval("infinite"), flags::kInfiniteDuration);  // upstream v0.19
  EXPECT_ERROR("flags: {gfd: {sleepInterval: true}}", "invalid duration");
  EXPECT_ERROR("flags: {gfd: {sleepInterval: \"5\"}}", "invalid duration");
}

TEST(ConfigParseTest, ResourceNames) {
  auto shared_name = [](const std::string& name) {
    return Parse("sharing: {timeSlicing: {resources: [{name: " + name + ", replicas: 2}]}}")
        .sharing.time_slicing->resources[0]
        .name;
  };
  EXPECT_EQ(shared_name("gpu"), "nvidia.com/gpu");
  EXPECT_EQ(shared_name("nvidia.com/mig-1g.5gb"), "nvidia.com/mig-1g.5gb");
  EXPECT_ERROR(
      "sharing: {timeSlicing: {resources: [{name: $invalid$, replicas: 2}]}}",
      "sharing.timeSlicing.resources[0].name: invalid resource name \"nvidia.com/$invalid$\"");
  EXPECT_ERROR("sharing: {timeSlicing: {resources: [{name: example.com/gpu, replicas: 2}]}}",
               "invalid resource name \"nvidia.com/example.com/gpu\"");
  EXPECT_ERROR(
      "sharing: {timeSlicing: {resources: [{name: " + std::string(60, 'a') + ", replicas: 2}]}}",
      "longer than 63 characters");
}

TEST(ConfigParseTest, ResourceRulesNeedPatternAndName) {
  Config config = Parse("resources: {gpus: [{pattern: '*A100*', name: a100}]}");
  ASSERT_EQ(config.resources.gpus.size(), 1u);
  EXPECT_EQ(config.resources.gpus[0].pattern, "*A100*");
  EXPECT_EQ(config.resources.gpus[0].name, "nvidia.com/a100");
  EXPECT_ERROR("resources: {gpus: [{name: a100}]}", "resources must have a 'pattern' field set");
  EXPECT_ERROR("resources: {mig: [{pattern: '1g*'}]}", "resources must have a 'name' field set");
}

TEST(ConfigParseTest, ReplicatedResources) {
  Config config = Parse(R"(
sharing:
  timeSlicing:
    renameByDefault: true
    failRequestsGreaterThanOne: true
    resources:
      - {name: nvidia.com/gpu, replicas: 10}
      - {name: mig-1g.5gb, replicas: 2, rename: small}
)");
  const ReplicatedResources& ts = *config.sharing.time_slicing;
  EXPECT_TRUE(ts.rename_by_default);
  EXPECT_TRUE(ts.fail_requests_greater_than_one);
  ASSERT_EQ(ts.resources.size(), 2u);
  EXPECT_EQ(ts.resources[0].replicas, 10);
  EXPECT_EQ(ts.resources[0].rename, "nvidia.com/gpu.shared");  // renameByDefault fills it
  EXPECT_EQ(ts.resources[1].rename, "nvidia.com/small");
  EXPECT_EQ(ts.resources[0].devices.kind, ReplicatedDevices::Kind::kAll);
  EXPECT_FALSE(Parse("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}")
                   .sharing.time_slicing->fail_requests_greater_than_one);
}

TEST(ConfigParseTest, ReplicatedResourceErrors) {
  const std::string prefix = "sharing: {timeSlicing: ";
  EXPECT_ERROR(prefix + "{}}", "sharing.timeSlicing: no resources specified");
  EXPECT_ERROR(prefix + "{resources: []}}", "no resources specified");
  EXPECT_ERROR("sharing: {timeSlicing: }", "no resources specified");
  EXPECT_ERROR(prefix + "{Resources: [{name: gpu, replicas: 2}]}}", "no resources specified");
  EXPECT_ERROR(prefix + "{resources: [{replicas: 2}]}}", "no resource name specified");
  EXPECT_ERROR(prefix + "{resources: [{name: gpu}]}}", "no replicas specified");
  EXPECT_ERROR(prefix + "{resources: [{name: gpu, replicas: 1}]}}",
               "sharing.timeSlicing.resources[0].replicas: number of replicas must be >= 2, got 1");
  EXPECT_ERROR(prefix + "{resources: [{name: gpu, replicas: 0}]}}",
               "number of replicas must be >= 2");
  EXPECT_ERROR(prefix + "{resources: [{name: gpu, replicas: \"2\"}]}}", "expected an integer");
  EXPECT_ERROR("sharing: {mps: {resources: [{name: gpu, replicas: 1}]}}",
               "sharing.mps.resources[0].replicas");
}

// Empty values as upstream's decoders take them: `mps:` is a nil pointer (no MPS), `devices:`
// reaches the devices decoder as null (an error there), an absent `devices` is every device.
TEST(ConfigParseTest, EmptyMpsIsNoneAndEmptyDevicesIsAnError) {
  EXPECT_FALSE(Parse("sharing: {mps: }").sharing.mps.has_value());
  EXPECT_FALSE(Parse("sharing:\n  mps:\n").sharing.mps.has_value());
  EXPECT_ERROR("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: }]}}",
               "sharing.timeSlicing.resources[0].devices: devices must be \"all\", a count or a "
               "list, got null");
  EXPECT_EQ(Parse("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}")
                .sharing.time_slicing->resources[0]
                .devices.kind,
            ReplicatedDevices::Kind::kAll);
}

// Upstream's YAML library resolves anchors, aliases and merge keys; configs that share one
// block between strategies, or extend a base block, mean the same here.
TEST(ConfigParseTest, AnchorsAliasesAndMergeKeys) {
  Config config = Parse(R"(
flags: &flags {migStrategy: mixed, failOnInitError: false}
sharing:
  timeSlicing:
    renameByDefault: true
    resources: &shared
      - {name: nvidia.com/gpu, replicas: 4}
  mps:
    <<: {renameByDefault: false, resources: *shared}
    renameByDefault: true
)");
  EXPECT_EQ(config.String(keys::kMigStrategy), "mixed");
  ASSERT_TRUE(config.sharing.mps.has_value());
  EXPECT_TRUE(config.sharing.mps->rename_by_default);  // the explicit key after << wins
  ASSERT_EQ(config.sharing.mps->resources.size(), 1u);
  EXPECT_EQ(config.sharing.mps->resources[0].replicas, 4);
  EXPECT_ERROR("sharing: {timeSlicing: *missing}", "line 1, column 24: unknown anchor &missing");
}

TEST(ConfigParseTest, Devices) {
  auto devices = [](const std::string& value) {
    return Parse("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: " + value +
                 "}]}}")
        .sharing.time_slicing->resources[0]
        .devices;
  };
  EXPECT_EQ(devices("all").kind, ReplicatedDevices::Kind::kAll);
  EXPECT_EQ(devices("3").kind, ReplicatedDevices::Kind::kCount);
  EXPECT_EQ(devices("3").count, 3);
  const std::string gpu = "GPU-b1028956-cfa2-0990-bf4a-5da9abb51763";
  const std::string mig = "MIG-0ed1e6b2-a4c1-5b64-a8f3-1e1c3bb3e0ef";
  ReplicatedDevices list =
      devices("[0, \"1\", \"0:1\", " + gpu + ", " + mig + ", \"MIG-" + gpu + "/1/0\"]");
  EXPECT_EQ(list.kind, ReplicatedDevices::Kind::kList);
  EXPECT_EQ(list.list,
            (std::vector<std::string>{"0", "1", "0:1", gpu, mig, "MIG-" + gpu + "/1/0"}));
  const std::string bad = "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: ";
  for (const char* value : {"some", "0", "-1", "2.0", "[-1]", "[\"-1\"]", "[GPU-UUID]",
                            "[\"MIG-GPU-b1028956-cfa2-0990-bf4a-5da9abb51763\"]", "[1.5]"}) {
    EXPECT_NE(ErrorOf(bad + value + "}]}}").find("devices"), std::string::npos) << value;
  }
}

TEST(ConfigParseTest, Imex) {
  Config config = Parse("imex: {channelIDs: [0], required: true}");
  EXPECT_EQ(config.Ints(keys::kImexChannelIds).value_or(std::vector<long long>{}),
            std::vector<long long>{0});
  EXPECT_TRUE(config.Bool(keys::kImexRequired).value_or(false));
  EXPECT_ERROR("imex: {channelIDs: [zero]}", "imex.channelIDs: expected an integer");
}

TEST(ConfigParseTest, MalformedInputNamesTheFileAndLine) {
  EXPECT_ERROR("flags: [\n", "config file test.yaml: invalid YAML or JSON: line 2");
  EXPECT_ERROR("- a\n- b\n", "expected a mapping");
}

TEST(ConfigParseTest, SharingStrategyResolution) {
  auto strategy = [](const std::string& text) { return Parse(text).sharing.strategy(); };
  EXPECT_EQ(strategy(""), Sharing::Strategy::kNone);
  EXPECT_EQ(strategy("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}"),
            Sharing::Strategy::kTimeSlicing);
  Config both = Parse(
      "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}, "
      "mps: {resources: [{name: gpu, replicas: 3}]}}");
  EXPECT_EQ(both.sharing.strategy(), Sharing::Strategy::kMps);  // MPS wins silently
  EXPECT_EQ(both.sharing.replicated()->resources[0].replicas, 3);
}

// Inputs that used to crash the programs (SIGSEGV): std::regex recursing over long scalars, the
// tree builder recursing over deep nesting.
TEST(ConfigParseHardeningTest, LongScalarsAnywhereAreErrorsNotCrashes) {
  const std::string digits(30000, '7');
  EXPECT_ERROR("version: " + digits, "version: expected a string");
  EXPECT_ERROR("flags: {migStrategy: " + digits + "}", "flags.migStrategy: expected a string");
  EXPECT_ERROR(
      "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: [" + digits + "]}]}}",
      "unsupported device reference");
  EXPECT_ERROR("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: ['0:" +
                   digits + "x']}]}}",
               "unsupported device reference");
  EXPECT_ERROR("sharing: {timeSlicing: {resources: [{name: gpu, replicas: " + digits + "}]}}",
               "replicas: expected an integer");
  // A long valid-looking index is still an index (upstream accepts any uint string).
  EXPECT_NO_THROW(Parse("sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2, devices: ['" +
                        digits + "']}]}}"));
}

TEST(ConfigParseHardeningTest, DeepNestingIsAnErrorNamingTheLimit) {
  const std::string yaml = "flags: " + std::string(100000, '[') + std::string(100000, ']');
  EXPECT_ERROR(yaml, "invalid YAML or JSON: line 1, column 71: nested deeper than 64 levels");
  std::string json = "{\"flags\": ";
  for (int i = 0; i < 50000; ++i) json += "{\"a\": ";
  EXPECT_ERROR(json, "nested deeper than 64 levels");
  std::string block;  // block style, one level per line
  for (int i = 0; i < 200; ++i) block += std::string(i, ' ') + "k:\n";
  EXPECT_ERROR(block, "nested deeper than 64 levels");
}

TEST(ConfigParseHardeningTest, ScalarTypingMatchesYaml11WithoutRegex) {
  auto replicas = [](const std::string& value) {
    return Parse("sharing: {timeSlicing: {resources: [{name: gpu, replicas: " + value + "}]}}")
        .sharing.time_slicing->resources[0]
        .replicas;
  };
  EXPECT_EQ(replicas("10"), 10);
  EXPECT_EQ(replicas("+10"), 10);
  EXPECT_EQ(replicas("1_0"), 10);
  EXPECT_EQ(replicas("0x10"), 16);
  EXPECT_EQ(replicas("010"), 8);
  EXPECT_EQ(replicas("0b11"), 3);
  for (const char* not_int : {"1.5", "1e3", ".5", "0x", "0b2", "08", "1.", "-", "true", "ten"}) {
    EXPECT_NE(ErrorOf("sharing: {timeSlicing: {resources: [{name: gpu, replicas: " +
                      std::string(not_int) + "}]}}")
                  .find("expected an integer"),
              std::string::npos)
        << not_int;
  }
  Config config = Parse("flags: {failOnInitError: Off, gdsEnabled: Y}");
  EXPECT_EQ(config.Bool(keys::kFailOnInitError), false);
  EXPECT_EQ(config.Bool(keys::kGdsEnabled), true);
  EXPECT_ERROR("flags: {failOnInitError: 1.5e3}", "expected true or false, got 1500.0");
}

TEST(ConfigParseHardeningTest, NumbersOutOfRangeNameTheKey) {
  const std::string prefix = "sharing: {timeSlicing: {resources: [{name: gpu, replicas: ";
  // These used to wrap: 2147483648 to -2147483648, 4294967298 to 2.
  EXPECT_ERROR(prefix + "2147483648}]}}",
               "sharing.timeSlicing.resources[0].replicas: number of replicas must be <= 16384, "
               "got 2147483648");
  EXPECT_ERROR(prefix + "4294967298}]}}", "must be <= 16384, got 4294967298");
  EXPECT_ERROR(prefix + "1000000}]}}", "must be <= 16384");
  EXPECT_EQ(Parse(prefix + "16384}]}}").sharing.time_slicing->resources[0].replicas, 16384);
  EXPECT_ERROR(prefix + "99999999999999999999}]}}", "replicas: expected an integer");
  EXPECT_ERROR(prefix + "2, devices: 4294967297}]}}", "devices count must be <= 65536");
}

TEST(ConfigParseHardeningTest, MessagesDoNotEchoWholeInputs) {
  const std::string huge(500000, 'x');
  const std::string error = ErrorOf("version: \"" + huge + "\"");
  EXPECT_NE(error.find("unknown version: xxx"), std::string::npos);
  EXPECT_NE(error.find("(500000 bytes)"), std::string::npos);
  EXPECT_LT(error.size(), 300u);
  EXPECT_LT(ErrorOf("flags: {migStrategy: [" + std::string(100000, '1') + "]}").size(), 300u);
  EXPECT_LT(ErrorOf("sharing: {mps: {resources: [{name: '" + huge + "', replicas: 2}]}}").size(),
            400u);
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/nvdp-config-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string LoadError(const std::string& path) {
    try {
      LoadConfigFile(path);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "(no error)";
  }
  std::string dir_;
};

// A directory used to read as an empty file, i.e. the all-defaults config: a time-slicing config
// mounted wrongly silently advertised 8 devices instead of 16.
TEST_F(ConfigFileTest, ADirectoryIsAnError) {
  EXPECT_EQ(LoadError(dir_), "config file " + dir_ + ": is a directory, not a file");
}

TEST_F(ConfigFileTest, MissingOversizedAndSpecialFilesAreErrors) {
  EXPECT_EQ(LoadError(dir_ + "/none.yaml"),
            "config file " + dir_ + "/none.yaml: cannot be read: No such file or directory");
  const std::string big = dir_ + "/big.yaml";
  std::ofstream(big) << "version: v1\n# " << std::string(kMaxConfigFileBytes, 'x') << "\n";
  EXPECT_NE(LoadError(big).find("more than the limit of 1048576"), std::string::npos);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(LoadError(fifo), "config file " + fifo + ": is not a regular file");
  EXPECT_NE(LoadError("/dev/zero").find("is not a regular file"), std::string::npos);
}

TEST_F(ConfigFileTest, ALinkToAFileIsFollowed) {  // how a ConfigMap volume presents its keys
  std::ofstream(dir_ + "/real.yaml") << "version: v1\nflags: {migStrategy: single}\n";
  ASSERT_EQ(symlink((dir_ + "/real.yaml").c_str(), (dir_ + "/config.yaml").c_str()), 0);
  EXPECT_EQ(LoadConfigFile(dir_ + "/config.yaml").String(keys::kMigStrategy), "single");
}

}  // namespace
}  // namespace nvdp::config
