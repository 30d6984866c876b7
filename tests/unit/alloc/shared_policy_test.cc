#include "alloc/shared_policy.h"

#include <gtest/gtest.h>

namespace nvdp::alloc {
namespace {

using Devices = std::vector<size_t>;

// Two GPUs with three replicas each: devices 0-2 on GPU 0, 3-5 on GPU 1.
const Devices kTwoGpusThreeReplicas = {0, 0, 0, 1, 1, 1};

TEST(SharedPolicyTest, ParsesTheTwoPolicies) {
  SharedPolicy policy = SharedPolicy::kPacked;
  EXPECT_TRUE(ParseSharedPolicy("distributed", &policy));
  EXPECT_EQ(policy, SharedPolicy::kDistributed);
  EXPECT_TRUE(ParseSharedPolicy("packed", &policy));
  EXPECT_EQ(policy, SharedPolicy::kPacked);
  EXPECT_FALSE(ParseSharedPolicy("spread", &policy));
  EXPECT_EQ(SharedPolicyName(SharedPolicy::kDistributed), "distributed");
}

TEST(SharedPolicyTest, DistributedSpreadsOverIdleGpus) {
  EXPECT_EQ(
      SharedAllocate(SharedPolicy::kDistributed, kTwoGpusThreeReplicas, {0, 1, 2, 3, 4, 5}, {}, 4),
      (Devices{0, 3, 1, 4}));
}

TEST(SharedPolicyTest, DistributedPrefersTheLeastTakenGpu) {
  // GPU 0 has two replicas taken (only device 2 is available).
  EXPECT_EQ(SharedAllocate(SharedPolicy::kDistributed, kTwoGpusThreeReplicas, {2, 3, 4, 5}, {}, 2),
            (Devices{3, 4}));
}

TEST(SharedPolicyTest, DistributedBreaksTiesTowardsGpusThisRequestHasNotUsed) {
  // Upstream #1788: GPU 1 has one replica taken; a request for two must not put both on GPU 0.
  EXPECT_EQ(
      SharedAllocate(SharedPolicy::kDistributed, kTwoGpusThreeReplicas, {0, 1, 2, 4, 5}, {}, 2),
      (Devices{0, 4}));
}

TEST(SharedPolicyTest, RequiredDevicesComeFirstAndCountAsTaken) {
  EXPECT_EQ(
      SharedAllocate(SharedPolicy::kDistributed, kTwoGpusThreeReplicas, {0, 1, 2, 3, 4, 5}, {1}, 2),
      (Devices{1, 3}));
  EXPECT_EQ(
      SharedAllocate(SharedPolicy::kPacked, kTwoGpusThreeReplicas, {0, 1, 2, 3, 4, 5}, {4}, 2),
      (Devices{4, 3}));
}

TEST(SharedPolicyTest, PackedFillsOneGpuBeforeTheNext) {
  EXPECT_EQ(SharedAllocate(SharedPolicy::kPacked, kTwoGpusThreeReplicas, {0, 1, 2, 3, 4, 5}, {}, 4),
            (Devices{0, 1, 2, 3}));
}

TEST(SharedPolicyTest, PackedPrefersTheGpuAlreadyInUse) {
  // GPU 1 has one replica taken: fill it and keep GPU 0 whole.
  EXPECT_EQ(SharedAllocate(SharedPolicy::kPacked, kTwoGpusThreeReplicas, {0, 1, 2, 3, 5}, {}, 2),
            (Devices{3, 5}));
}

TEST(SharedPolicyTest, PackedAmongEquallyUsedGpusTakesTheFullest) {
  // MIG-like: GPU 0 has two devices, GPU 1 four; none taken. The smaller GPU is used up first.
  const Devices gpu_of = {1, 1, 1, 1, 0, 0};
  EXPECT_EQ(SharedAllocate(SharedPolicy::kPacked, gpu_of, {0, 1, 2, 3, 4, 5}, {}, 2),
            (Devices{4, 5}));
}

TEST(SharedPolicyTest, FollowsTheKubeletsOrderWithinAGpu) {
  EXPECT_EQ(
      SharedAllocate(SharedPolicy::kDistributed, kTwoGpusThreeReplicas, {5, 4, 3, 2, 1, 0}, {}, 3),
      (Devices{5, 2, 4}));
}

}  // namespace
}  // namespace nvdp::alloc
