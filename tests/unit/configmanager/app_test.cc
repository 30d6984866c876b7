// config-manager's loop (spec §8.3) on the in-memory API: the label picks the config, a change
// moves the link, a label naming a missing config keeps the current one.
#include "configmanager/app.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "fakes/fake_kube_api.h"
#include "temp_dir.h"

namespace nvdp::configmanager {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;
namespace fs = std::filesystem;

class ConfigManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "configs");
    for (const char* name : {"a", "b"}) std::ofstream(dir_.path() / "configs" / name) << name;
    options_.node_name = "node-1";
    options_.update.source_dir = dir_ / "configs";
    options_.update.destination = dir_ / "config.yaml";
    options_.send_signal = false;
  }
  void Label(const std::string& value) {
    api_.Put("/api/v1/nodes/node-1",
             {{"metadata", {{"name", "node-1"}, {"labels", {{options_.node_label, value}}}}}});
  }
  std::string Linked() const {
    std::error_code error;
    return fs::read_symlink(options_.update.destination, error).filename().string();
  }
  bool Links(const std::string& name) const {
    for (int i = 0; i < 500; ++i, std::this_thread::sleep_for(5ms)) {
      if (Linked() == name) return true;
    }
    return false;
  }

  testing::TempDir dir_;
  testing::FakeKubeApi api_;
  Options options_;
};

TEST_F(ConfigManagerTest, OneshotLinksTheLabelledConfig) {
  Label("b");
  options_.oneshot = true;
  std::atomic<bool> stop{false};
  EXPECT_EQ(ManageConfig(options_, api_, stop), 0);
  EXPECT_EQ(Linked(), "b");
  Label("missing");
  std::atomic<bool> again{false};
  EXPECT_EQ(ManageConfig(options_, api_, again), 1);
  EXPECT_EQ(Linked(), "b");
}

TEST_F(ConfigManagerTest, TheSidecarFollowsTheLabelAndKeepsTheConfigOnABadOne) {
  Label("a");
  std::atomic<bool> stop{false};
  int code = -1;
  std::thread loop([&] { code = ManageConfig(options_, api_, stop); });
  EXPECT_TRUE(Links("a"));
  Label("b");
  EXPECT_TRUE(Links("b"));
  Label("missing");  // logged; the link stays
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(Linked(), "b");
  Label("a");
  EXPECT_TRUE(Links("a"));
  stop = true;
  loop.join();
  EXPECT_EQ(code, 0);
}

}  // namespace
}  // namespace nvdp::configmanager
