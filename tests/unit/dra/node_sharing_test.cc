// NodeSharing refuses claim UIDs that would name a directory outside its MPS root (a tampered
// checkpoint), before it runs a tool or touches a file.
#include "dra/node_sharing.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "temp_dir.h"

namespace nvdp::dra {
namespace {

TEST(NodeSharing, RefusesUidsOutsideItsRoot) {
  testing::TempDir dir;
  std::filesystem::create_directories(dir / "mps");
  std::filesystem::create_directories(dir / "victim/log");
  NodeSharing sharing(nullptr, dir / "mps", dir / "no-driver");
  for (const char* uid : {"../victim", "a/b", "", "x y"}) {
    EXPECT_THROW(sharing.StartMps(uid, {}), std::runtime_error) << uid;
    EXPECT_NE(sharing.StopMps(uid, {}).find("invalid claim UID"), std::string::npos) << uid;
    EXPECT_FALSE(sharing.MpsAnswers(uid));
    EXPECT_THROW(sharing.MpsEdits(uid), std::runtime_error) << uid;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "victim/log"));
  EXPECT_EQ(sharing.MpsEdits("uid-1").mounts.at(0).host_path, dir / "mps/uid-1/pipe");
}

}  // namespace
}  // namespace nvdp::dra
