// Where nvidia-smi and nvidia-cuda-mps-control are found: PATH first, then the driver root.
#include "mps/tools.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "sim_node.h"

namespace nvdp::mps {
namespace {

void Executable(const std::string& path, mode_t mode = 0755) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "#!/bin/true\n";
  chmod(path.c_str(), mode);
}

TEST(ToolsTest, PathComesBeforeTheDriverRoot) {
  testing::TempDir dir;
  Executable(dir / "bin/nvidia-smi");
  Executable(dir / "root/usr/bin/nvidia-smi");
  Executable(dir / "root/usr/bin/nvidia-cuda-mps-control");
  const std::string path_env = dir / "empty" + ":" + dir / "bin";
  EXPECT_EQ(FindTool(kNvidiaSmi, path_env, dir / "root"), dir / "bin/nvidia-smi");
  EXPECT_EQ(FindTool(kMpsControl, path_env, dir / "root"),
            dir / "root/usr/bin/nvidia-cuda-mps-control");
}

TEST(ToolsTest, NonExecutableFilesAreSkipped) {
  testing::TempDir dir;
  Executable(dir / "bin/nvidia-smi", 0644);
  Executable(dir / "root/usr/local/nvidia/bin/nvidia-smi");
  EXPECT_EQ(FindTool(kNvidiaSmi, dir / "bin", dir / "root"),
            dir / "root/usr/local/nvidia/bin/nvidia-smi");
}

TEST(ToolsTest, AMissingToolNamesItselfAndWhereItWasLookedFor) {
  testing::TempDir dir;
  try {
    FindTool(kMpsControl, "/nonexistent", dir / "root");
    ADD_FAILURE() << "found";
  } catch (const ToolMissing& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("nvidia-cuda-mps-control not found"), std::string::npos) << message;
    EXPECT_NE(message.find("/nonexistent:" + dir / "root/usr/bin"), std::string::npos) << message;
  }
}

TEST(ToolsTest, TheSimulatedDriverRootHasBoth) {
  EXPECT_EQ(FindTool(kNvidiaSmi, "", testing::SimRoot()),
            testing::SimRoot() + "/usr/bin/nvidia-smi");
  EXPECT_EQ(FindTool(kMpsControl, "", testing::SimRoot()),
            testing::SimRoot() + "/usr/bin/nvidia-cuda-mps-control");
}

}  // namespace
}  // namespace nvdp::mps
