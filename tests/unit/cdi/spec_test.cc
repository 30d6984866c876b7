// The CDI spec data model and its JSON.
#include "cdi/spec.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace nvdp::cdi {
namespace {

TEST(CdiSpecTest, JsonHasTheSchemaKeysAndTheMinimumVersion) {
  Spec spec;
  spec.kind = "k8s.device-plugin.nvidia.com/gpu";
  spec.devices.push_back({"0", {{}, {{"/dev/nvidia0", "/host/dev/nvidia0"}}, {}, {}}});
  spec.edits.env = {"NVIDIA_VISIBLE_DEVICES=void"};
  spec.edits.mounts.push_back({"/host/usr/bin/nvidia-smi", "/usr/bin/nvidia-smi", {"ro", "bind"}});
  spec.edits.hooks.push_back(
      {"createContainer", "/usr/bin/nvidia-ctk", {"nvidia-ctk", "hook"}, {}});
  const nlohmann::json json = nlohmann::json::parse(spec.ToJson());
  EXPECT_EQ(json["cdiVersion"], "0.5.0");
  EXPECT_EQ(json["kind"], "k8s.device-plugin.nvidia.com/gpu");
  EXPECT_EQ(json["devices"][0]["name"], "0");
  EXPECT_EQ(json["devices"][0]["containerEdits"]["deviceNodes"][0],
            (nlohmann::json{{"path", "/dev/nvidia0"}, {"hostPath", "/host/dev/nvidia0"}}));
  EXPECT_EQ(json["containerEdits"]["env"][0], "NVIDIA_VISIBLE_DEVICES=void");
  EXPECT_EQ(json["containerEdits"]["mounts"][0]["options"], (nlohmann::json{"ro", "bind"}));
  EXPECT_EQ(json["containerEdits"]["hooks"][0]["hookName"], "createContainer");
  EXPECT_FALSE(json["containerEdits"]["hooks"][0].contains("env"));  // empty lists are left out
  EXPECT_FALSE(json["devices"][0]["containerEdits"].contains("mounts"));
}

TEST(CdiSpecTest, FileAndQualifiedNames) {
  Spec spec;
  spec.kind = "k8s.device-plugin.nvidia.com/imex-channel";
  EXPECT_EQ(spec.FileName(), "k8s.device-plugin.nvidia.com-imex-channel.json");
  EXPECT_EQ(spec.device_class(), "imex-channel");
  EXPECT_EQ(QualifiedName("gpu", "GPU-1"), "k8s.device-plugin.nvidia.com/gpu=GPU-1");
}

TEST(CdiSpecTest, MergeKeepsFirstOccurrences) {
  ContainerEdits all;
  all.Merge({{}, {{"/dev/nvidia0", "/dev/nvidia0"}}, {}, {}});
  all.Merge(
      {{}, {{"/dev/nvidia0", "/dev/nvidia0"}, {"/dev/nvidia-caps/nvidia-cap3", "/x"}}, {}, {}});
  ASSERT_EQ(all.device_nodes.size(), 2u);
  EXPECT_EQ(all.device_nodes[1].path, "/dev/nvidia-caps/nvidia-cap3");
}

TEST(CdiSpecTest, DeviceNames) {
  for (const char* name :
       {"0", "0:1", "GPU-76082de1-1489-dbee-b4d8-bdb75eaea738", "all", "a.b_c"}) {
    EXPECT_TRUE(ValidDeviceName(name)) << name;
  }
  for (const char* name : {"", "-a", "a:", "a/b", "a b"})
    EXPECT_FALSE(ValidDeviceName(name)) << name;
}

}  // namespace
}  // namespace nvdp::cdi
