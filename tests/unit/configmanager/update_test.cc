// config-manager's choice of config file, the symlink update and the process lookup (spec §8.3).
#include "configmanager/update.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace nvdp::configmanager {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_ / "configs");
    settings_.source_dir = dir_ / "configs";
    settings_.destination = dir_ / "config.yaml";
  }
  void Add(const std::string& name) { std::ofstream(dir_ / ("configs/" + name)) << name << "\n"; }
  std::string Source(const std::string& name) { return dir_ / ("configs/" + name); }
  std::string Error(const std::string& label) {
    try {
      ChooseConfig(settings_, label);
    } catch (const UpdateError& error) {
      return error.what();
    }
    return "no error";
  }
  TempDir dir_;
  UpdateSettings settings_;
};

TEST_F(UpdateTest, TheLabelNamesAFile) {
  EXPECT_EQ(Error("a"), "no configuration files available");
  Add("a");
  Add("b");
  // ConfigMap internals are not configs.
  fs::create_directories(dir_ / "configs/..2026_11_27");
  fs::create_symlink("..2026_11_27", dir_ / "configs/..data");
  EXPECT_EQ(ChooseConfig(settings_, "b"), Source("b"));
  EXPECT_EQ(Error("c"), "specified config c does not exist");
  EXPECT_EQ(Error("..data"), "specified config ..data does not exist");
}

TEST_F(UpdateTest, DefaultThenFallbacksInOrder) {
  Add("only");
  EXPECT_EQ(Error(""), "no config was set, no default was provided, and all fallbacks failed");
  settings_.fallback_strategies = {"named", "single"};
  EXPECT_EQ(ChooseConfig(settings_, ""), Source("only"));
  Add("default");
  EXPECT_EQ(ChooseConfig(settings_, ""), Source("default"));
  settings_.fallback_strategies = {"single", "empty"};
  EXPECT_EQ(ChooseConfig(settings_, ""), "/dev/null");
  settings_.fallback_strategies = {"bogus", "named"};
  EXPECT_EQ(Error(""), "unknown fallback strategy");
  settings_.fallback_strategies = {"named", "bogus"};  // only reached fallbacks are checked
  EXPECT_EQ(ChooseConfig(settings_, ""), Source("default"));
  settings_.default_config = "only";
  EXPECT_EQ(ChooseConfig(settings_, ""), Source("only"));
  settings_.default_config = "gone";
  EXPECT_EQ(Error(""), "specified config  does not exist");  // upstream names the empty label
}

TEST_F(UpdateTest, TheLinkChangesOnlyWhenItMust) {
  Add("a");
  Add("b");
  EXPECT_TRUE(UpdateLink(Source("a"), settings_.destination));
  EXPECT_EQ(fs::read_symlink(settings_.destination), Source("a"));
  EXPECT_FALSE(UpdateLink(Source("a"), settings_.destination));
  EXPECT_TRUE(UpdateLink(Source("b"), settings_.destination));
  EXPECT_EQ(fs::read_symlink(settings_.destination), Source("b"));
  // A dangling link (its target removed) is replaced; upstream fails with EEXIST here.
  fs::remove(Source("b"));
  EXPECT_TRUE(UpdateLink(Source("a"), settings_.destination));
  EXPECT_EQ(fs::read_symlink(settings_.destination), Source("a"));
  EXPECT_TRUE(UpdateLink("/dev/null", settings_.destination));
  fs::create_directories(dir_ / "a-dir");
  EXPECT_THROW(UpdateLink(Source("a"), dir_ / "a-dir"), UpdateError);
}

TEST_F(UpdateTest, ProcessesAreFoundByArgv0SkippingEmptyCommandLines) {
  auto process = [&](int pid, const std::string& cmdline) {
    fs::create_directories(dir_ / ("proc/" + std::to_string(pid)));
    std::ofstream(dir_ / ("proc/" + std::to_string(pid) + "/cmdline"), std::ios::binary) << cmdline;
  };
  process(2, "");  // a kernel thread
  process(10, std::string("nvidia-device-plugin-x\0--flag\0", 30));
  process(42, std::string("nvidia-device-plugin\0--config-file\0/config/config.yaml\0", 53));
  process(77, std::string("nvidia-device-plugin\0", 21));
  fs::create_directories(dir_ / "proc/self");
  EXPECT_EQ(FindProcess(dir_ / "proc", "nvidia-device-plugin"), 42);
  EXPECT_EQ(FindProcess(dir_ / "proc", "gpu-feature-discovery"), 0);
  // By file name when nothing matches exactly, in either direction.
  process(50, std::string("mps-control-daemon\0", 19));
  process(60, std::string("/usr/bin/gpu-feature-discovery\0", 31));
  EXPECT_EQ(FindProcess(dir_ / "proc", "/usr/bin/mps-control-daemon"), 50);
  EXPECT_EQ(FindProcess(dir_ / "proc", "gpu-feature-discovery"), 60);
  EXPECT_EQ(FindProcess(dir_ / "proc", "/usr/bin/nvidia-device-plugin"), 42);
}

}  // namespace
}  // namespace nvdp::configmanager
