// Tegra platform resolution (spec §4.3): the driver root's markers and integrated GPU names.
#include "discovery/tegra.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "temp_dir.h"

namespace nvdp::discovery {
namespace {

void Write(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

TEST(TegraTest, TheReleaseFileOrATegraSocFamilyMarksTheRoot) {
  testing::TempDir none, release, family, other_family;
  Write(release / "etc/nv_tegra_release", "# R36 (release)\n");
  Write(family / "sys/devices/soc0/family", "Tegra234\n");
  Write(other_family / "sys/devices/soc0/family", "jep106:0426\n");
  EXPECT_FALSE(HasTegraMarkers(none.path().string()));
  EXPECT_TRUE(HasTegraMarkers(release.path().string()));
  EXPECT_TRUE(HasTegraMarkers(family.path().string()));
  EXPECT_FALSE(HasTegraMarkers(other_family.path().string()));
}

TEST(TegraTest, OnlyAllIntegratedGpusMakeANodeTegra) {
  device::Inventory inventory;
  EXPECT_FALSE(AllIntegratedGpus(inventory.gpus));  // no GPUs: not Tegra
  inventory.gpus.resize(2);
  inventory.gpus[0].name = "Orin (nvgpu)";
  inventory.gpus[1].name = "NVIDIA Thor";
  EXPECT_TRUE(AllIntegratedGpus(inventory.gpus));
  inventory.gpus[1].name = "NVIDIA A100-SXM4-40GB";
  EXPECT_FALSE(AllIntegratedGpus(inventory.gpus));
}

TEST(TegraTest, TheInventoryIsOneGpuCalledTegra) {
  const device::Inventory inventory = TegraInventory();
  EXPECT_TRUE(inventory.tegra);
  ASSERT_EQ(inventory.gpus.size(), 1u);
  EXPECT_EQ(inventory.gpus[0].uuid, "tegra");
  EXPECT_EQ(inventory.gpus[0].name, "tegra");
  EXPECT_EQ(inventory.gpus[0].index, 0u);
  EXPECT_EQ(inventory.links.size(), 1u);
}

}  // namespace
}  // namespace nvdp::discovery
