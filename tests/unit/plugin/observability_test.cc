#include "plugin/observability.h"

#include <gtest/gtest.h>

namespace nvdp::plugin {
namespace {

using namespace std::chrono_literals;

PluginStatus Serving(bool registered) {
  PluginStatus status;
  status.started = true;
  status.resources.push_back({"nvidia.com/gpu", true, registered, {{"GPU-0", ""}, {"GPU-1", ""}}});
  status.resources.push_back(
      {"nvidia.com/mig-1g.5gb", true, registered, {{"GPU-2", "MIG-a"}, {"GPU-2", "MIG-b"}}});
  return status;
}

TEST(ObservabilityTest, HealthzFailsWhenTheMainLoopStalls) {
  PluginStatus status = Serving(true);
  EXPECT_EQ(HealthzResponse(status, 1s).status, 200);
  HttpResponse stalled = HealthzResponse(status, 45s);
  EXPECT_EQ(stalled.status, 503);
  EXPECT_EQ(stalled.body, "main loop stalled for 45 s\n");
}

TEST(ObservabilityTest, ReadyzNeedsEveryResourceRegistered) {
  EXPECT_EQ(ReadyzResponse(Serving(true)).status, 200);
  EXPECT_EQ(ReadyzResponse(Serving(true)).body, "ready: 2 resource(s) served\n");
  HttpResponse waiting = ReadyzResponse(Serving(false));
  EXPECT_EQ(waiting.status, 503);
  EXPECT_EQ(waiting.body,
            "nvidia.com/gpu: not registered with the kubelet\n"
            "nvidia.com/mig-1g.5gb: not registered with the kubelet\n");
  PluginStatus unregistered = Serving(false);
  unregistered.registers = false;  // --kubelet-socket=""
  EXPECT_EQ(ReadyzResponse(unregistered).status, 200);
  PluginStatus no_nvml;
  no_nvml.started = true;
  no_nvml.problem = "NVML unavailable: libnvidia-ml.so.1 not found";
  EXPECT_EQ(ReadyzResponse(no_nvml).body, "NVML unavailable: libnvidia-ml.so.1 not found\n");
  EXPECT_EQ(ReadyzResponse(PluginStatus{}).body, "starting\n");
}

TEST(ObservabilityTest, MetricsCountDevicesByHealth) {
  HealthRegistry registry;
  registry.MarkUnhealthy("GPU-1", HealthCause::kXid, "XID 48");
  registry.MarkUnhealthy("MIG-b", HealthCause::kXid, "XID 48");
  PluginMetrics metrics;
  std::string text = MetricsText(Serving(true), registry, metrics);
  for (const char* line : {
           "nvidia_device_plugin_devices{resource=\"nvidia.com/gpu\",health=\"Healthy\"} 1\n",
           "nvidia_device_plugin_devices{resource=\"nvidia.com/gpu\",health=\"Unhealthy\"} 1\n",
           "nvidia_device_plugin_devices{resource=\"nvidia.com/mig-1g.5gb\",health=\"Healthy\"} "
           "1\n",
           "nvidia_device_plugin_registered{resource=\"nvidia.com/gpu\"} 1\n",
           "# TYPE nvidia_device_plugin_request_duration_seconds histogram\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace nvdp::plugin
