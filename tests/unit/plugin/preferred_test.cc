#include "plugin/preferred.h"

#include <gtest/gtest.h>

#include "plugin/allocate.h"
#include "plugin/test_resources.h"

namespace nvdp::plugin {
namespace {

using testing::GpuResource;
using Ids = std::vector<std::string>;

TEST(PreferredTest, MustIncludeFirstThenItsNumaNode) {
  // GPU-0..3 on node 0, GPU-4..7 on node 1.
  Resource resource = GpuResource(8);
  EXPECT_EQ(PreferredAllocation(resource, {"GPU-0", "GPU-1", "GPU-5", "GPU-6"}, {"GPU-5"}, 2),
            (Ids{"GPU-5", "GPU-6"}));
}

TEST(PreferredTest, WithoutMustIncludePicksTheNodeWithMostCandidates) {
  Resource resource = GpuResource(8);
  EXPECT_EQ(PreferredAllocation(resource, {"GPU-0", "GPU-4", "GPU-5", "GPU-6"}, {}, 2),
            (Ids{"GPU-4", "GPU-5"}));
  // Spills to the other node when one node is not enough.
  EXPECT_EQ(PreferredAllocation(resource, {"GPU-0", "GPU-4", "GPU-5"}, {}, 3),
            (Ids{"GPU-4", "GPU-5", "GPU-0"}));
}

TEST(PreferredTest, ImpossibleRequestsAreErrors) {
  Resource resource = GpuResource(4);
  struct Case {
    Ids available, must;
    int size;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {{"GPU-0"}, {}, 0, "allocation size must be at least 1, got 0"},
           {{"GPU-0", "GPU-1"}, {}, 3, "not enough available devices: 2 available, 3 requested"},
           {{"GPU-0", "GPU-1"}, {"GPU-2"}, 1, "must-include device GPU-2 is not available"},
           {{"GPU-0", "GPU-1"},
            {"GPU-0", "GPU-1"},
            1,
            "2 must-include devices exceed the allocation size 1"},
           {{"GPU-0", "GPU-7"}, {}, 1, "unknown device: GPU-7"},
       }) {
    try {
      PreferredAllocation(resource, c.available, c.must, c.size);
      FAIL() << c.message;
    } catch (const RequestError& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
    }
  }
}

}  // namespace
}  // namespace nvdp::plugin
