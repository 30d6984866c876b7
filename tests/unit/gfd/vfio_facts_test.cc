// gpu-feature-discovery's vfio mode: what it takes from sysfs for GPUs bound to vfio-pci.
#include "gfd/vfio_facts.h"

#include <gtest/gtest.h>

#include "gfd/pci_names.h"

namespace nvdp::gfd {
namespace {

TEST(VfioFactsTest, MemoryIsTheSixtyFourBitBarsRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(VfioAddressableMemory(""), 0u);
  EXPECT_EQ(VfioAddressableMemory("0x00000000fa000000 0x00000000faffffff 0x0000000000040200\n"),
            0u);
  EXPECT_EQ(VfioAddressableMemory("0x0000038000000000 0x0000038fffffffff 0x000000000014220c\n"),
            64ULL << 30);  // already a power of two
  EXPECT_EQ(VfioAddressableMemory("0x0000038000000000 0x0000038fffffffff 0x000000000014220c\n"
                                  "0x0000039000000000 0x0000039001ffffff 0x000000000014220c\n"
                                  "garbage line\n"
                                  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"),
            128ULL << 30);
  // Only the first six lines are BARs.
  std::string text;
  for (int i = 0; i < 6; ++i) text += "0x0 0x0 0x0\n";
  text += "0x0000038000000000 0x0000038fffffffff 0x000000000014220c\n";
  EXPECT_EQ(VfioAddressableMemory(text), 0u);
}

TEST(VfioFactsTest, NamesComeFromPciIds) {
  EXPECT_EQ(NvidiaPciName(0x20b0), "GA100 [A100 SXM4 40GB]");
  EXPECT_EQ(NvidiaPciName(0xffff), "");
  EXPECT_GT(NvidiaPciNames().size(), 1000u);
}

}  // namespace
}  // namespace nvdp::gfd
