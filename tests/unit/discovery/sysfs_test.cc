// What discovery reads from sysfs and procfs: NUMA nodes and the MIG capability minors.
#include "discovery/sysfs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace nvdp::discovery {
namespace {

namespace fs = std::filesystem;

class NumaTest : public ::testing::Test {
 protected:
  void Write(const fs::path& root, const std::string& id, const std::string& content) {
    fs::create_directories(root / "bus/pci/devices" / id);
    std::ofstream(root / "bus/pci/devices" / id / "numa_node") << content;
  }
  testing::TempDir first_, second_;
};

TEST_F(NumaTest, ReadsTheFirstRootThatHasTheDevice) {
  Write(second_.path(), "0000:3b:00.0", "1\n");
  auto roots = std::vector<std::string>{first_.path().string(), second_.path().string()};
  EXPECT_EQ(ReadNumaNode(roots, "00000000:3B:00.0").node, 1);
  Write(first_.path(), "0000:3b:00.0", "0\n");
  EXPECT_EQ(ReadNumaNode(roots, "00000000:3B:00.0").node, 0);
}

// drm/ of the GPU's PCI device in the first root that has the device: cards first, then render
// nodes; nothing when nvidia-drm is not loaded (no drm/) or the device is unknown.
TEST_F(NumaTest, DrmNodesOfTheFirstRootThatHasTheDevice) {
  const std::string id = "0000:c1:00.0";
  for (const char* node : {"renderD128", "card1", "controlD64"}) {
    fs::create_directories(second_.path() / "bus/pci/devices" / id / "drm" / node);
  }
  auto roots = std::vector<std::string>{first_.path().string(), second_.path().string()};
  EXPECT_EQ(ReadDrmNodes(roots, "00000000:C1:00.0"),
            (std::vector<std::string>{"/dev/dri/card1", "/dev/dri/renderD128"}));
  Write(first_.path(), id, "0\n");  // the device, without drm/: the first root answers
  EXPECT_TRUE(ReadDrmNodes(roots, "00000000:C1:00.0").empty());
  EXPECT_TRUE(ReadDrmNodes(roots, "00000000:C2:00.0").empty());
}

TEST_F(NumaTest, UnknownWhenMissingOrNegative) {
  auto roots = std::vector<std::string>{first_.path().string()};
  EXPECT_EQ(ReadNumaNode(roots, "00000000:3B:00.0").node, std::nullopt);
  Write(first_.path(), "0000:3b:00.0", "-1\n");
  NumaLookup lookup = ReadNumaNode(roots, "00000000:3B:00.0");
  EXPECT_EQ(lookup.node, std::nullopt);
  EXPECT_EQ(lookup.problem, "");
}

TEST_F(NumaTest, GarbageIsReportedNotFatal) {
  Write(first_.path(), "0000:3b:00.0", "zero\n");
  NumaLookup lookup = ReadNumaNode({first_.path().string()}, "00000000:3B:00.0");
  EXPECT_EQ(lookup.node, std::nullopt);
  EXPECT_NE(lookup.problem.find("unexpected content \"zero\""), std::string::npos)
      << lookup.problem;
}

TEST(MigCapsFileTest, LoadsFromTheFirstRootThatHasIt) {
  testing::TempDir empty, root;
  std::filesystem::create_directories(root.path() / "proc/driver/nvidia-caps");
  std::ofstream(root.path() / "proc/driver/nvidia-caps/mig-minors") << "gpu0/gi0/access 3\n";
  EXPECT_FALSE(LoadMigCaps({empty.path().string()}));
  auto caps = LoadMigCaps({empty.path().string(), root.path().string()});
  ASSERT_TRUE(caps);
  EXPECT_EQ(caps->GpuInstancePath(0, 0), "/dev/nvidia-caps/nvidia-cap3");
}

}  // namespace
}  // namespace nvdp::discovery
