#include "device/pci.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim_node.h"

namespace nvdp::device {
namespace {

namespace fs = std::filesystem;

TEST(PciTest, NormalizesBusIds) {
  EXPECT_EQ(NormalizeBusId("00000000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(NormalizeBusId("00000001:AF:00.0"), "0001:af:00.0");
  EXPECT_EQ(NormalizeBusId("0000"), "0000");
}

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

}  // namespace
}  // namespace nvdp::device
