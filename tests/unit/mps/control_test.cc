// The control-pipe protocol (spec §9.3) against the simulated driver root's
// nvidia-cuda-mps-control, which runs a control daemon on the pipe directory.
#include "mps/control.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "sim_node.h"

namespace nvdp::mps {
namespace {

TEST(ResourcePathsTest, UnderTheRootByResourceName) {
  ResourcePaths paths("/mps/", "nvidia.com/gpu");
  EXPECT_EQ(paths.pipe, "/mps/nvidia.com/gpu/pipe");
  EXPECT_EQ(paths.log, "/mps/nvidia.com/gpu/log");
  EXPECT_EQ(paths.started, "/mps/nvidia.com/gpu/.started");
}

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(paths_.pipe);
    std::filesystem::create_directories(paths_.log);
  }
  void TearDown() override {
    try {
      control_.Send("quit");
    } catch (const MpsError&) {
    }
  }

  testing::TempDir dir_;
  ResourcePaths paths_{dir_.path().string(), "nvidia.com/gpu"};
  Control control_{testing::SimRoot() + "/usr/bin/nvidia-cuda-mps-control", paths_};
};

TEST_F(ControlTest, EnvironmentHoldsOnlyTheTwoDirectories) {
  EXPECT_EQ(control_.Environment(),
            (std::vector<std::string>{"CUDA_MPS_PIPE_DIRECTORY=" + paths_.pipe,
                                      "CUDA_MPS_LOG_DIRECTORY=" + paths_.log}));
}

TEST_F(ControlTest, UnhealthyUntilTheDaemonRuns) {
  try {
    control_.AssertHealthy();
    ADD_FAILURE() << "healthy without a daemon";
  } catch (const MpsError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("get_default_active_thread_percentage"), std::string::npos) << message;
    EXPECT_NE(message.find("Cannot find MPS control daemon process"), std::string::npos) << message;
  }
  control_.StartDaemon();
  EXPECT_NO_THROW(control_.AssertHealthy());
}

TEST_F(ControlTest, CommandsReachTheDaemon) {
  control_.StartDaemon();
  EXPECT_EQ(control_.Send("get_default_active_thread_percentage"), "100.0\n");
  control_.Send("set_default_active_thread_percentage 25");
  EXPECT_EQ(control_.Send("get_default_active_thread_percentage"), "25.0\n");
  control_.Send("set_default_device_pinned_mem_limit 0 4096M");
  EXPECT_EQ(control_.Send("get_default_device_pinned_mem_limit 0"), "4096M\n");
  EXPECT_THROW(control_.Send("no_such_command"), MpsError);
  control_.Send("quit");
  EXPECT_THROW(control_.AssertHealthy(), MpsError);
}

TEST_F(ControlTest, ASecondDaemonOnTheSamePipeFails) {
  control_.StartDaemon();
  EXPECT_THROW(control_.StartDaemon(), MpsError);
}

}  // namespace
}  // namespace nvdp::mps
