// GFD's NodeFeature object (spec §7.8) on the in-memory API.
#include "gfd/nodefeature.h"

#include <gtest/gtest.h>

#include "fakes/fake_kube_api.h"

namespace nvdp::gfd {
namespace {

constexpr const char* kPath =
    "/apis/nfd.k8s-sigs.io/v1alpha1/namespaces/gpu-operator/nodefeatures/nvidia-features-for-n1";

TEST(NodeFeatureWriterTest, CreatesUpdatesAndLeavesAnUpToDateObjectAlone) {
  testing::FakeKubeApi api;
  NodeFeatureWriter writer(api, "gpu-operator", "n1");
  writer.Write({{"nvidia.com/gpu.count", "8"}, {"nvidia.com/gpu.present", "true"}});
  auto object = api.Object(kPath);
  ASSERT_TRUE(object);
  EXPECT_EQ((*object)["kind"], "NodeFeature");
  EXPECT_EQ((*object)["metadata"]["labels"]["nfd.node.kubernetes.io/node-name"], "n1");
  EXPECT_EQ((*object)["spec"]["labels"]["nvidia.com/gpu.count"], "8");
  EXPECT_EQ(api.Calls("POST"), 1);

  writer.Write({{"nvidia.com/gpu.count", "8"}, {"nvidia.com/gpu.present", "true"}});
  EXPECT_EQ(api.Calls("PUT"), 0);  // nothing changed: no write

  writer.Write({{"nvidia.com/gpu.count", "7"}});
  object = api.Object(kPath);
  EXPECT_EQ((*object)["spec"]["labels"], (nlohmann::json{{"nvidia.com/gpu.count", "7"}}));
  EXPECT_EQ(api.Calls("PUT"), 1);
}

TEST(NodeFeatureWriterTest, AConflictIsReadAgainOnceAndOtherErrorsArePassedOn) {
  testing::FakeKubeApi api;
  NodeFeatureWriter writer(api, "gpu-operator", "n1");
  writer.Write({{"a", "1"}});
  api.FailNext("PUT", 409);
  writer.Write({{"a", "2"}});
  EXPECT_EQ((*api.Object(kPath))["spec"]["labels"]["a"], "2");
  EXPECT_EQ(api.Calls("PUT"), 2);
  api.FailNext("GET", 403);
  EXPECT_THROW(writer.Write({{"a", "3"}}), kube::ApiError);
}

}  // namespace
}  // namespace nvdp::gfd
