// The settings tables and the merge they drive (spec §2.1).
#include "config/settings.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/file_keys.h"
#include "config/programs.h"
#include "fake_env.h"
#include "temp_dir.h"

namespace nvdp::config {
namespace {

const std::vector<const SettingsTable*>& Tables() {
  static const std::vector<const SettingsTable*> tables = {
      &DevicePluginSettings(), &FeatureDiscoverySettings(), &MpsDaemonSettings(),
      &ConfigManagerSettings()};
  return tables;
}

TEST(SettingsTablesTest, FileKeysAreSchemaKeysOfTheSameType) {
  for (const SettingsTable* table : Tables()) {
    for (const Setting& setting : table->settings) {
      if (setting.file_key.empty()) continue;
      const FileKey* key = FindFileKey(setting.file_key);
      ASSERT_NE(key, nullptr) << table->program << " --" << setting.flag;
      EXPECT_EQ(key->kind, setting.kind) << table->program << " --" << setting.flag;
    }
  }
}

// Every row's default parses as its type: the flag set accepts it and every typed read works.
TEST(SettingsTablesTest, EveryProgramReadsEverySettingAtItsDefault) {
  for (const SettingsTable* table : Tables()) {
    flags::FlagSet set = table->MakeFlagSet();
    ASSERT_FALSE(set.Parse({}, testing::FakeEnv({})).exit_code) << table->program;
    const Settings settings(*table, set);
    for (const Setting& setting : table->settings) {
      switch (setting.kind) {
        case flags::Kind::kBool:
          settings.Bool(setting.flag);
          break;
        case flags::Kind::kInt:
          settings.Int(setting.flag);
          break;
        case flags::Kind::kFloat:
          settings.Float(setting.flag);
          break;
        case flags::Kind::kDuration:
          settings.Duration(setting.flag);
          break;
        case flags::Kind::kStringSlice:
          settings.Strings(setting.flag);
          break;
        case flags::Kind::kIntSlice:
          settings.Ints(setting.flag);
          break;
        case flags::Kind::kString:
          settings.String(setting.flag);
          break;
      }
    }
    EXPECT_THROW(settings.String("no-such-setting"), std::logic_error);
  }
}

TEST(SettingsTablesTest, FlagNamesAndEnvironmentVariablesAreUniquePerProgram) {
  for (const SettingsTable* table : Tables()) {
    std::set<std::string> names;
    for (const Setting& setting : table->settings) {
      EXPECT_TRUE(names.insert(setting.flag).second) << table->program << " --" << setting.flag;
      for (const std::string& alias : setting.aliases) {
        EXPECT_TRUE(names.insert(alias).second) << table->program << " --" << alias;
      }
    }
  }
}

class SettingsMergeTest : public ::testing::Test {
 protected:
  Settings Load(const std::string& config, const std::vector<std::string>& args,
                std::map<std::string, std::string> env = {}) {
    std::ofstream(path_) << config;
    std::vector<std::string> all = {"--config-file", path_};
    all.insert(all.end(), args.begin(), args.end());
    set_ = DevicePluginSettings().MakeFlagSet();
    EXPECT_FALSE(set_.Parse(all, testing::FakeEnv(std::move(env))).exit_code);
    return Settings(DevicePluginSettings(), set_);
  }
  // A directory of its own: ctest runs this fixture's tests in parallel processes.
  testing::TempDir dir_;
  std::string path_ = dir_ / "settings-test.yaml";
  flags::FlagSet set_ = DevicePluginSettings().MakeFlagSet();
};

TEST_F(SettingsMergeTest, FlagOrEnvironmentBeatsTheFileWhichBeatsTheDefault) {
  const std::string file = "flags: {migStrategy: single, plugin: {deviceIDStrategy: index}}\n";
  Settings from_file = Load(file, {});
  EXPECT_EQ(from_file.String("mig-strategy"), "single");
  EXPECT_EQ(from_file.String("device-id-strategy"), "index");
  EXPECT_FALSE(from_file.Given("mig-strategy"));
  EXPECT_EQ(from_file.String("driver-root"), "/");  // the default fills what the file left out
  EXPECT_EQ(from_file.config().String(keys::kNvidiaDriverRoot), "/");

  Settings flagged = Load(file, {"--mig-strategy=mixed"}, {{"DEVICE_ID_STRATEGY", "uuid"}});
  EXPECT_EQ(flagged.String("mig-strategy"), "mixed");
  EXPECT_EQ(flagged.String("device-id-strategy"), "uuid");
  EXPECT_TRUE(flagged.Given("device-id-strategy"));
  EXPECT_EQ(flagged.config().String(keys::kMigStrategy), "mixed");  // the merged config, as logged
}

TEST_F(SettingsMergeTest, ImexFlagsReplaceTheFileOnlyWhenGiven) {
  const std::string file = "imex: {channelIDs: [0], required: true}\n";
  Settings from_file = Load(file, {});
  EXPECT_EQ(from_file.Ints("imex-channel-ids"), std::vector<long long>{0});
  EXPECT_TRUE(from_file.Bool("imex-required"));
  Settings flagged = Load(file, {"--imex-required=false"});
  EXPECT_FALSE(flagged.Bool("imex-required"));
  EXPECT_EQ(flagged.Ints("imex-channel-ids"), std::vector<long long>{0});
  Settings without = Load("", {});
  EXPECT_FALSE(without.config().Has(keys::kImexChannelIds));  // not filled from the default
  EXPECT_TRUE(without.Ints("imex-channel-ids").empty());
}

TEST_F(SettingsMergeTest, CommandLineOnlySettingsComeFromTheFlags) {
  Settings settings = Load("", {"--health-probe-interval=250ms", "--kubelet-socket="});
  EXPECT_EQ(settings.Duration("health-probe-interval"), std::chrono::milliseconds(250));
  EXPECT_EQ(settings.String("kubelet-socket"), "");
  EXPECT_EQ(settings.String("cdi-spec-dir"), "/var/run/cdi");
}

}  // namespace
}  // namespace nvdp::config
