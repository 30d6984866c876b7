// gpu-kubelet-plugin's options: flags and environment (config/dra_plugin_settings.cc), checked.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"

namespace nvdp::dra {

struct Options {
  std::string node_name;
  std::string namespace_name = "default";
  std::string cdi_root = "/etc/cdi";
  std::string driver_root = "/";                       // on the host
  std::string container_driver_root = "/driver-root";  // mounted here
  std::string cdi_hook_path;
  std::string registrar_dir = "/var/lib/kubelet/plugins_registry";
  std::string plugins_dir = "/var/lib/kubelet/plugins";
  long long healthcheck_port = -1;
  std::string additional_xids_to_ignore;
  std::string http_endpoint;
  std::string metrics_path = "/metrics";
  std::string kubeconfig;
  double kube_api_qps = 5;
  int kube_api_burst = 10;
  std::chrono::milliseconds reconcile_interval{60000};
  std::chrono::seconds device_health_timeout{30};
  std::chrono::milliseconds health_recovery_period{0};  // 0: unhealthy until restart
  std::chrono::milliseconds health_probe_interval{5000};
  bool dry_run = false;
  std::string output = "yaml";
  bool device_taints = false;

  std::string DriverDir() const;           // <plugins dir>/gpu.nvidia.com
  std::string DraSocket() const;           // <driver dir>/dra.sock
  std::string RegistrationSocket() const;  // <registrar dir>/gpu.nvidia.com-reg.sock
  std::string CheckpointPath() const;      // <driver dir>/checkpoint.json
  std::string MpsRoot() const;             // <driver dir>/mps: claims' MPS daemons
};

struct ParsedCommandLine {
  std::optional<Options> options;  // set when the program should run
  int exit_code = 0;
  std::string output;  // help, version or the usage error
};

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env);

}  // namespace nvdp::dra
