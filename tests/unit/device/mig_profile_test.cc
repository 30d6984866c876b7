// MIG profile names, from the rules and examples of spec §3.5.
#include "device/mig_profile.h"

#include <gtest/gtest.h>

namespace nvdp::device {
namespace {

constexpr unsigned long long kA100_40GB = 42949672960ULL;  // 40960 MiB
constexpr unsigned long long kH100_80GB = 81559ULL << 20;

TEST(MigProfileTest, MemoryGigabytes) {
  EXPECT_EQ(MigMemoryGb(4864, kA100_40GB), 5);
  EXPECT_EQ(MigMemoryGb(9856, kA100_40GB), 10);
  EXPECT_EQ(MigMemoryGb(19968, kA100_40GB), 20);
  EXPECT_EQ(MigMemoryGb(40192, kA100_40GB), 40);
  EXPECT_EQ(MigMemoryGb(9728, kH100_80GB), 10);
  EXPECT_EQ(MigMemoryGb(40448, kH100_80GB), 40);
  EXPECT_EQ(MigMemoryGb(80896, kH100_80GB), 80);
}

TEST(MigProfileTest, Names) {
  EXPECT_EQ(MigProfileName(0x0, 0x0, 4864, kA100_40GB), "1g.5gb");
  EXPECT_EQ(MigProfileName(0x1, 0x1, 9856, kA100_40GB), "2g.10gb");
  EXPECT_EQ(MigProfileName(0x1, 0x0, 9856, kA100_40GB), "1c.2g.10gb");
  EXPECT_EQ(MigProfileName(0x4, 0x4, 40192, kA100_40GB), "7g.40gb");
  EXPECT_EQ(MigProfileName(0x7, 0x0, 4864, kA100_40GB), "1g.5gb+me");
  EXPECT_EQ(MigProfileName(0x9, 0x0, 9856, kA100_40GB), "1g.10gb");
  EXPECT_EQ(MigProfileName(0xF, 0x0, 4864, kA100_40GB), "1g.5gb+me.all");
  EXPECT_EQ(MigProfileName(0xB, 0x1, 9856, kA100_40GB), "2g.10gb+gfx");
  EXPECT_EQ(MigProfileName(0xD, 0x0, 4864, kA100_40GB), "1g.5gb-me");
  EXPECT_EQ(MigProfileName(0x3, 0x1, 19968, kA100_40GB), "2c.4g.20gb");
}

TEST(MigProfileTest, SliceTables) {
  const std::pair<unsigned, int> gi[] = {{0x0, 1}, {0x1, 2}, {0x2, 3}, {0x3, 4}, {0x4, 7}, {0x5, 8},
                                         {0x6, 6}, {0x7, 1}, {0x8, 2}, {0x9, 1}, {0xA, 1}, {0xB, 2},
                                         {0xC, 4}, {0xD, 1}, {0xE, 2}, {0xF, 1}, {0x10, 2}};
  for (auto [id, slices] : gi) EXPECT_EQ(GpuInstanceSlices(id), slices) << id;
  const std::pair<unsigned, int> ci[] = {{0x0, 1}, {0x1, 2}, {0x2, 3}, {0x3, 4},
                                         {0x4, 7}, {0x5, 8}, {0x6, 6}, {0x7, 1}};
  for (auto [id, slices] : ci) EXPECT_EQ(ComputeInstanceSlices(id), slices) << id;
  EXPECT_EQ(GpuInstanceSlices(0x11), 0);
}

TEST(MigProfileTest, CandidateFilter) {
  EXPECT_TRUE(IsMigProfileCandidate(7, 7));
  EXPECT_TRUE(IsMigProfileCandidate(4, 2));
  EXPECT_TRUE(IsMigProfileCandidate(3, 1));
  EXPECT_FALSE(IsMigProfileCandidate(1, 2));  // C > G
  EXPECT_FALSE(IsMigProfileCandidate(4, 3));  // 2C > G + 1
  EXPECT_TRUE(IsMigProfileCandidate(7, 4));   // 8 > 8 is false
}

}  // namespace
}  // namespace nvdp::device
