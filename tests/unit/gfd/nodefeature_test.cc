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

constexpr const char* kPods = "/api/v1/namespaces/gpu-operator/pods/";

void PutPod(testing::FakeKubeApi& api, const std::string& name, bool with_controller = true) {
  nlohmann::json pod = {{"metadata", {{"name", name}, {"uid", "uid-" + name}}}};
  if (with_controller) {
    pod["metadata"]["ownerReferences"] = {{{"apiVersion", "apps/v1"},
                                           {"kind", "DaemonSet"},
                                           {"name", "gfd"},
                                           {"uid", "uid-ds"},
                                           {"controller", true},
                                           {"blockOwnerDeletion", true}}};
  }
  api.Put(kPods + name, pod);
}

const nlohmann::json kDaemonSetOwner = {{"apiVersion", "apps/v1"},
                                        {"kind", "DaemonSet"},
                                        {"name", "gfd"},
                                        {"uid", "uid-ds"},
                                        {"controller", true}};

// The pod's DaemonSet owns the object (garbage-collected with it); a replacement pod of the same
// DaemonSet changes no owner reference, so its updates never need delete permission.
TEST(NodeFeatureWriterTest, ThePodsDaemonSetOwnsTheObjectAcrossPodRestarts) {
  testing::FakeKubeApi api;
  PutPod(api, "gfd-a");
  NodeFeatureWriter(api, "gpu-operator", "n1", "gfd-a").Write({{"a", "1"}});
  EXPECT_EQ((*api.Object(kPath))["metadata"]["ownerReferences"],
            nlohmann::json::array({kDaemonSetOwner}));
  PutPod(api, "gfd-b");
  NodeFeatureWriter(api, "gpu-operator", "n1", "gfd-b").Write({{"a", "2"}});
  auto object = api.Object(kPath);
  EXPECT_EQ((*object)["spec"]["labels"]["a"], "2");
  EXPECT_EQ((*object)["metadata"]["ownerReferences"], nlohmann::json::array({kDaemonSetOwner}));
  // Without --pod-name, as with upstream's v0.18 chart: no owner.
  api.Remove(kPath);
  NodeFeatureWriter(api, "gpu-operator", "n1").Write({{"a", "3"}});
  EXPECT_FALSE((*api.Object(kPath))["metadata"].contains("ownerReferences"));
}

TEST(NodeFeatureWriterTest, APodWithoutAControllerOwnsTheObjectItself) {
  testing::FakeKubeApi api;
  PutPod(api, "gfd-a", false);
  NodeFeatureWriter(api, "gpu-operator", "n1", "gfd-a").Write({{"a", "1"}});
  EXPECT_EQ(
      (*api.Object(kPath))["metadata"]["ownerReferences"],
      nlohmann::json::array(
          {{{"apiVersion", "v1"}, {"kind", "Pod"}, {"name", "gfd-a"}, {"uid", "uid-gfd-a"}}}));
}

// An object from before (no owner, or upstream's pod and DaemonSet) gets ours added once; other
// owners stay. An API server that refuses the new owner still gets the labels.
TEST(NodeFeatureWriterTest, OwnersAreAddedToOlderObjectsAndARefusalStillWritesTheLabels) {
  testing::FakeKubeApi api;
  PutPod(api, "gfd-a");
  NodeFeatureWriter(api, "gpu-operator", "n1").Write({{"a", "1"}});
  const nlohmann::json upstream_pod = {
      {"apiVersion", "v1"}, {"kind", "Pod"}, {"name", "old"}, {"uid", "uid-old"}};
  auto object = *api.Object(kPath);
  object["metadata"]["ownerReferences"] = {upstream_pod};
  api.Put(kPath, object);
  NodeFeatureWriter writer(api, "gpu-operator", "n1", "gfd-a");
  writer.Write({{"a", "1"}});  // labels unchanged, the owner missing: one update
  EXPECT_EQ((*api.Object(kPath))["metadata"]["ownerReferences"],
            nlohmann::json::array({upstream_pod, kDaemonSetOwner}));
  EXPECT_EQ(api.Calls("PUT"), 1);

  object = *api.Object(kPath);
  object["metadata"].erase("ownerReferences");
  api.Put(kPath, object);
  NodeFeatureWriter refused(api, "gpu-operator", "n1", "gfd-a");
  api.FailNext("PUT", 403);  // "cannot set an ownerRef on a resource you can't delete"
  refused.Write({{"a", "2"}});
  object = *api.Object(kPath);
  EXPECT_EQ(object["spec"]["labels"]["a"], "2");
  EXPECT_FALSE(object["metadata"].contains("ownerReferences"));
  const int puts = api.Calls("PUT");
  refused.Write({{"a", "2"}});  // not asked again
  EXPECT_EQ(api.Calls("PUT"), puts);
}

TEST(NodeFeatureWriterTest, AnUnreadablePodWritesWithoutAnOwnerAndIsTriedAgain) {
  testing::FakeKubeApi api;
  PutPod(api, "gfd-a");
  NodeFeatureWriter writer(api, "gpu-operator", "n1", "gfd-a");
  api.FailNext("GET", 403);  // no RBAC for pods
  writer.Write({{"a", "1"}});
  EXPECT_FALSE((*api.Object(kPath))["metadata"].contains("ownerReferences"));
  writer.Write({{"a", "1"}});
  EXPECT_EQ((*api.Object(kPath))["metadata"]["ownerReferences"],
            nlohmann::json::array({kDaemonSetOwner}));
  NodeFeatureWriter missing(api, "gpu-operator", "n2", "no-such-pod");
  missing.Write({{"a", "1"}});
  EXPECT_TRUE(
      api.Object("/apis/nfd.k8s-sigs.io/v1alpha1/namespaces/gpu-operator/nodefeatures/"
                 "nvidia-features-for-n2"));
}

}  // namespace
}  // namespace nvdp::gfd
