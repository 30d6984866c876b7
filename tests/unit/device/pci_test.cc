#include "device/pci.h"

#include <gtest/gtest.h>

namespace nvdp::device {
namespace {

TEST(PciTest, NormalizesBusIds) {
  EXPECT_EQ(NormalizeBusId("00000000:3B:00.0"), "0000:3b:00.0");
  EXPECT_EQ(NormalizeBusId("00000001:AF:00.0"), "0001:af:00.0");
  EXPECT_EQ(NormalizeBusId("0000"), "0000");
}

}  // namespace
}  // namespace nvdp::device
