// Following one node label through list and watch, on the in-memory API.
#include "kube/node_watcher.h"

#include <gtest/gtest.h>

#include <thread>

#include "fakes/fake_kube_api.h"

namespace nvdp::kube {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

constexpr const char* kLabel = "nvidia.com/device-plugin.config";

Json Node(const std::string& name, const std::string& value) {
  Json node = {{"metadata", {{"name", name}, {"labels", Json::object()}}}};
  if (!value.empty()) node["metadata"]["labels"][kLabel] = value;
  return node;
}

class NodeWatcherTest : public ::testing::Test {
 protected:
  void Start() {
    thread_ = std::thread([this] {
      NodeLabelWatcher watcher(api_, "node-1", kLabel);
      watcher.Run(
          [this](const std::string& value) {
            std::lock_guard lock(mutex_);
            values_.push_back(value);
          },
          [this] { synced_ = true; }, cancel_);
    });
  }
  void TearDown() override {
    cancel_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits for the last value seen to be `value`.
  bool Sees(const std::string& value) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(5ms)) {
      std::lock_guard lock(mutex_);
      if (!values_.empty() && values_.back() == value) return true;
    }
    return false;
  }

  testing::FakeKubeApi api_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> synced_{false};
  std::mutex mutex_;
  std::vector<std::string> values_;
  std::thread thread_;
};

TEST_F(NodeWatcherTest, ListsThenFollowsChangesOfItsNodeOnly) {
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "a"));
  Start();
  ASSERT_TRUE(Sees("a"));
  EXPECT_TRUE(synced_);
  api_.Put("/api/v1/nodes/node-2", Node("node-2", "other"));
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "b"));
  ASSERT_TRUE(Sees("b"));
  api_.Put("/api/v1/nodes/node-1", Node("node-1", ""));
  ASSERT_TRUE(Sees(""));
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "c"));
  ASSERT_TRUE(Sees("c"));
  api_.Remove("/api/v1/nodes/node-1");
  ASSERT_TRUE(Sees(""));
  std::lock_guard lock(mutex_);
  for (const std::string& value : values_) EXPECT_NE(value, "other");
}

TEST_F(NodeWatcherTest, AnExpiredWatchListsAgain) {
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "a"));
  Start();
  ASSERT_TRUE(Sees("a"));
  const int lists = api_.Calls("GET");
  api_.FailNext("WATCH", 410);
  api_.EndWatches();
  for (int i = 0; i < 500 && api_.Calls("GET") == lists; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_GT(api_.Calls("GET"), lists);
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "after"));
  EXPECT_TRUE(Sees("after"));
}

TEST_F(NodeWatcherTest, FailuresAreRetried) {
  api_.Put("/api/v1/nodes/node-1", Node("node-1", "a"));
  api_.FailNext("GET", 500);
  Start();
  EXPECT_TRUE(Sees("a"));  // after one backoff step
  EXPECT_EQ(api_.Calls("GET"), 2);
}

}  // namespace
}  // namespace nvdp::kube
