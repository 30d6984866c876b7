#include "profile.h"

#include <gtest/gtest.h>

#include "nvml/nvml_abi.h"

namespace nvdp::sim {
namespace {

const char* kMinimal = R"(
name: tiny
driver_version: "550.1"
cuda_driver_version: 12040
gpu_defaults: {name: Tesla T4, memory_mib: 15360, compute_capability: "7.5"}
gpus:
  - {uuid: GPU-11111111-0000-0000-0000-000000000000, bus_id: "00000000:3B:00.0", minor: 0, pcie: [c0, h0, s0]}
  - {uuid: GPU-22222222-0000-0000-0000-000000000000, bus_id: "00000000:3C:00.0", minor: 1, pcie: [c0, h0, s0]}
)";

std::string ErrorOf(const std::string& yaml) {
  try {
    ParseProfile(yaml, "test.yaml");
  } catch (const ProfileError& error) {
    return error.what();
  }
  return "";
}

TEST(ProfileTest, ParsesAndAppliesDefaults) {
  Profile p = ParseProfile(kMinimal, "test.yaml");
  EXPECT_EQ(p.name, "tiny");
  EXPECT_EQ(p.nvml_version, "12.550.1");
  ASSERT_EQ(p.gpus.size(), 2u);
  EXPECT_EQ(p.gpus[1].name, "Tesla T4");
  EXPECT_EQ(p.gpus[1].cc_minor, 5);
  EXPECT_EQ(CommonAncestorLevel(p.gpus[0], p.gpus[1]), NVML_TOPOLOGY_SINGLE);
}

TEST(ProfileTest, EveryBuiltinProfileIsValid) {
  for (const auto& [name, text] : BuiltinProfiles()) {
    EXPECT_NO_THROW(ParseProfile(text, name)) << name;
  }
  EXPECT_EQ(LoadProfile("dgx-a100").gpus.size(), 8u);
}

TEST(ProfileTest, ErrorsNameTheFieldAndTheExpectation) {
  EXPECT_NE(ErrorOf("name: [").find("invalid YAML"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kMinimal) + "colour: red\n").find("test.yaml: colour: unknown key"),
            std::string::npos);
  std::string bad_bus = kMinimal;
  bad_bus.replace(bad_bus.find("00000000:3C:00.0"), 16, "3c:00.0");
  EXPECT_NE(ErrorOf(bad_bus).find("gpus[1].bus_id: expected 00000000:07:00.0 form"),
            std::string::npos);
  std::string duplicate = kMinimal;
  duplicate.replace(duplicate.find("GPU-22222222"), 12, "GPU-11111111");
  EXPECT_NE(ErrorOf(duplicate).find("gpus[1].uuid: duplicate"), std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kMinimal) + "init_error: SOMETIMES\n")
                .find("init_error: expected an NVML return code"),
            std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kMinimal) + "nvlinks: [[0, 0, 2]]\n").find("nvlinks[0]"),
            std::string::npos);
  EXPECT_NE(ErrorOf(std::string(kMinimal) + "nvlinks: [[0, 1, 19]]\n").find("more than 18 NVLinks"),
            std::string::npos);
  std::string brand = kMinimal;
  brand.replace(brand.find("minor: 1,"), 9, "minor: 1, brand: 17,");
  EXPECT_NE(ErrorOf(brand).find("gpus[1].brand: expected an nvmlBrandType_t (0-16)"),
            std::string::npos);
  brand.replace(brand.find("brand: 17"), 9, "brand: 2");
  EXPECT_EQ(ParseProfile(brand, "test.yaml").gpus[1].brand, 2);
  EXPECT_EQ(ParseProfile(kMinimal, "test.yaml").gpus[1].brand, 14);
}

TEST(ProfileTest, CommonAncestorLevels) {
  GpuProfile a, b;
  a.pcie = {"cpu0", "hb0", "sw0", "leaf0"};
  b.pcie = {"cpu0", "hb0", "sw0", "leaf1"};
  EXPECT_EQ(CommonAncestorLevel(a, b), NVML_TOPOLOGY_MULTIPLE);
  b.pcie = {"cpu0", "hb0", "sw1"};
  EXPECT_EQ(CommonAncestorLevel(a, b), NVML_TOPOLOGY_HOSTBRIDGE);
  b.pcie = {"cpu0", "hb1"};
  EXPECT_EQ(CommonAncestorLevel(a, b), NVML_TOPOLOGY_NODE);
  b.pcie = {"cpu1", "hb0"};
  EXPECT_EQ(CommonAncestorLevel(a, b), NVML_TOPOLOGY_SYSTEM);
  a.board = b.board = "k80-0";
  EXPECT_EQ(CommonAncestorLevel(a, b), NVML_TOPOLOGY_INTERNAL);
}

TEST(ProfileTest, UnknownProfileListsTheBuiltins) {
  try {
    LoadProfile("dgx-z9000");
    FAIL();
  } catch (const ProfileError& error) {
    EXPECT_NE(std::string(error.what()).find("dgx-a100"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nvdp::sim
