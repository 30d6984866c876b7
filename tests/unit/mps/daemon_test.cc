// One resource's MPS control daemon started and stopped with the simulated driver root's tools
// (also run under ThreadSanitizer: the control log is followed on a thread).
#include "mps/daemon.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sim_node.h"

namespace nvdp::mps {
namespace {

namespace fs = std::filesystem;

Tools SimTools() {
  return {testing::SimRoot() + "/usr/bin/nvidia-smi",
          testing::SimRoot() + "/usr/bin/nvidia-cuda-mps-control"};
}

DaemonPlan Plan(const std::string& resource) {
  DaemonPlan plan;
  plan.resource = resource;
  plan.uuids = {"GPU-0", "GPU-1"};
  plan.pinned_limits = {{"0", 4096}, {"1", 4096}};
  plan.active_thread_percentage = 10;
  return plan;
}

TEST(ResourceDaemonTest, StartSetsTheLimitsAndStopCleansUp) {
  testing::TempDir root;
  ResourcePaths paths(root.path().string(), "nvidia.com/gpu");
  Control control(SimTools().mps_control, paths);
  {
    ResourceDaemon daemon(Plan("nvidia.com/gpu"), root.path().string(), SimTools());
    daemon.Start();
    EXPECT_TRUE(fs::is_regular_file(paths.started));
    EXPECT_EQ(control.Send("get_default_active_thread_percentage"), "10.0\n");
    EXPECT_EQ(control.Send("get_default_device_pinned_mem_limit 1"), "4096M\n");
    daemon.Stop();
  }
  EXPECT_FALSE(fs::exists(paths.started));
  EXPECT_FALSE(fs::exists(paths.log));
  EXPECT_TRUE(fs::is_directory(paths.pipe));
  EXPECT_THROW(control.AssertHealthy(), MpsError);  // quit reached the daemon
}

TEST(ResourceDaemonTest, AFailingToolFailsStartNamingTheStep) {
  testing::TempDir root;
  Tools tools = SimTools();
  tools.nvidia_smi = "/bin/false";
  ResourceDaemon daemon(Plan("nvidia.com/gpu"), root.path().string(), tools);
  try {
    daemon.Start();
    ADD_FAILURE() << "started";
  } catch (const MpsError& error) {
    EXPECT_NE(
        std::string(error.what()).find("error setting compute mode EXCLUSIVE_PROCESS on GPU-0"),
        std::string::npos)
        << error.what();
  }
  daemon.Stop();
}

}  // namespace
}  // namespace nvdp::mps
