// gpu-kubelet-plugin: the flags and environment variables of NVIDIA's DRA driver
// (kubernetes-sigs/dra-driver-nvidia-gpu) where it has them, and ours marked in their help.
#include "config/defaults.h"
#include "config/programs.h"
#include "config/shared_settings.h"

namespace nvdp::config {

const SettingsTable& DraPluginSettings() {
  using flags::Kind;
  static const SettingsTable kTable = [] {
    SettingsTable table = {
        "gpu-kubelet-plugin",
        "NVIDIA GPU DRA kubelet plugin",
        "serve NVIDIA GPUs to the kubelet through Dynamic Resource Allocation (driver "
        "gpu.nvidia.com)",
        {
            rows::NodeName("the name of this node (required): the pool and the slices' nodeName"),
            {"namespace",
             {},
             {"NAMESPACE"},
             Kind::kString,
             {"default"},
             "the namespace the plugin runs in"},
            {"cdi-root",
             {},
             {"CDI_ROOT"},
             Kind::kString,
             {"/etc/cdi"},
             "where the per-claim CDI specs are written"},
            {"nvidia-driver-root",
             {},
             {"NVIDIA_DRIVER_ROOT", "HOST_DRIVER_ROOT"},
             Kind::kString,
             {"/"},
             "the host path of the NVIDIA driver root (for the CDI specs' host paths)"},
            {"container-driver-root",
             {},
             {"DRIVER_ROOT_CTR_PATH"},
             Kind::kString,
             {kDefaultContainerDriverRoot},
             "where the driver root is mounted in this container; NVML is loaded from it"},
            {"nvidia-cdi-hook-path",
             {},
             {"NVIDIA_CDI_HOOK_PATH"},
             Kind::kString,
             {kDefaultCdiHookPath},
             "the host path of nvidia-cdi-hook or nvidia-ctk, run by the CDI specs' hooks"},
            {"kubelet-registrar-directory-path",
             {},
             {"KUBELET_REGISTRAR_DIRECTORY_PATH"},
             Kind::kString,
             {"/var/lib/kubelet/plugins_registry"},
             "the kubelet's plugin registration directory"},
            {"kubelet-plugins-directory-path",
             {},
             {"KUBELET_PLUGINS_DIRECTORY_PATH"},
             Kind::kString,
             {"/var/lib/kubelet/plugins"},
             "the kubelet's plugins directory (dra.sock and the checkpoint go in gpu.nvidia.com/)"},
            {"healthcheck-port",
             {},
             {"HEALTHCHECK_PORT"},
             Kind::kInt,
             {"-1"},
             "TCP port of the gRPC health service (grpc.health.v1); 0: any free port; -1: none"},
            {"additional-xids-to-ignore",
             {},
             {"ADDITIONAL_XIDS_TO_IGNORE"},
             Kind::kString,
             {""},
             "comma-separated XIDs that never mark a device unhealthy, beside the application "
             "XIDs (13, 31, 43, 45, 68, 109)"},
            {"http-endpoint",
             {},
             {"HTTP_ENDPOINT"},
             Kind::kString,
             {""},
             "host:port of /healthz, /readyz and the metrics (:8080, 127.0.0.1:0); empty: none"},
            {"metrics-path",
             {},
             {"METRICS_PATH"},
             Kind::kString,
             {"/metrics"},
             "the HTTP path of the Prometheus metrics"},
            rows::Kubeconfig("absolute path to the kubeconfig file; empty: in-cluster"),
            {"claim-reconcile-interval",
             {},
             {"CLAIM_RECONCILE_INTERVAL"},
             Kind::kDuration,
             {"1m"},
             "ours: how often prepared claims that no longer exist in the API server are "
             "unprepared"},
            {"health-recovery-period",
             {},
             {"HEALTH_RECOVERY_PERIOD"},
             Kind::kDuration,
             {"0"},
             "ours, as the device plugin's: return a device marked unhealthy by an XID to healthy "
             "after this long without new events, if NVML answers for it (e.g. 10m); 0: never"},
            {"health-probe-interval",
             {},
             {"HEALTH_PROBE_INTERVAL"},
             Kind::kDuration,
             {"5s"},
             "ours, as the device plugin's: how often every GPU is asked for its memory info"},
            {"device-health-timeout",
             {},
             {"DEVICE_HEALTH_TIMEOUT"},
             Kind::kDuration,
             {"30s"},
             "ours: how long the kubelet trusts a device health report (health_check_timeout_"
             "seconds); the complete list is sent again every third of it"},
            {"device-taints",
             {},
             {"DEVICE_TAINTS"},
             Kind::kBool,
             {"false"},
             "ours: also publish unhealthy devices with NoSchedule taints (gpu.nvidia.com/xid, "
             "gpu.nvidia.com/gpu-lost, gpu.nvidia.com/unhealthy), removed when they recover; "
             "slices then hold at most 64 devices"},
            {"dry-run",
             {},
             {"DRY_RUN"},
             Kind::kBool,
             {"false"},
             "ours: discover the devices as a start would, print the ResourceSlices that would be "
             "published, and exit"},
            {"output",
             {"o"},
             {"DRY_RUN_OUTPUT"},
             Kind::kString,
             {"yaml"},
             "dry-run output format: [yaml | json]"},
        }};
    for (Setting& setting : rows::KubeClient()) table.settings.push_back(std::move(setting));
    return table;
  }();
  return kTable;
}

}  // namespace nvdp::config
