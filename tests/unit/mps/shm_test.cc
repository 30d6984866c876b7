// mount-shm's size rule (spec §9.5); the mount itself is tested end to end (tests/e2e/test_mps.py).
#include "mps/shm.h"

#include <gtest/gtest.h>

namespace nvdp::mps {
namespace {

TEST(ShmSizeTest, HalfOfMemTotalWithTheUnitsFirstLetter) {
  EXPECT_EQ(ShmSize("MemTotal:       131906496 kB\nMemFree:         1000 kB\n"), "65953248k");
  EXPECT_EQ(ShmSize("MemFree: 1 kB\nMemTotal: 3 kB\n"), "1k");
}

TEST(ShmSizeTest, FallsBackWhenMemTotalIsUnreadable) {
  EXPECT_EQ(ShmSize(""), "65536k");
  EXPECT_EQ(ShmSize("MemTotal: lots kB\n"), "65536k");
  EXPECT_EQ(ShmSize("MemTotal: 1024\n"), "65536k");
}

}  // namespace
}  // namespace nvdp::mps
