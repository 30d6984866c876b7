#include "dra/options.h"

#include "config/programs.h"
#include "config/settings.h"
#include "dra/devices.h"

namespace nvdp::dra {

std::string Options::DriverDir() const { return plugins_dir + "/" + kDriverName; }
std::string Options::DraSocket() const { return DriverDir() + "/dra.sock"; }
std::string Options::RegistrationSocket() const {
  return registrar_dir + "/" + kDriverName + "-reg.sock";
}
std::string Options::CheckpointPath() const { return DriverDir() + "/checkpoint.json"; }

std::string Options::MpsRoot() const { return DriverDir() + "/mps"; }

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env) {
  flags::FlagSet set = config::DraPluginSettings().MakeFlagSet();
  ParsedCommandLine result;
  if (!config::ParseFlagsOrExit(set, args, env, &result.exit_code, &result.output)) return result;
  const config::Settings settings(config::DraPluginSettings(), set);
  Options o;
  o.node_name = settings.String("node-name");
  o.namespace_name = settings.String("namespace");
  o.cdi_root = settings.String("cdi-root");
  o.driver_root = settings.String("nvidia-driver-root");
  o.container_driver_root = settings.String("container-driver-root");
  o.cdi_hook_path = settings.String("nvidia-cdi-hook-path");
  o.registrar_dir = settings.String("kubelet-registrar-directory-path");
  o.plugins_dir = settings.String("kubelet-plugins-directory-path");
  o.healthcheck_port = settings.Int("healthcheck-port");
  o.additional_xids_to_ignore = settings.String("additional-xids-to-ignore");
  o.http_endpoint = settings.String("http-endpoint");
  o.metrics_path = settings.String("metrics-path");
  o.kubeconfig = settings.String("kubeconfig");
  o.kube_api_qps = settings.Float("kube-api-qps");
  o.kube_api_burst = static_cast<int>(settings.Int("kube-api-burst"));
  o.reconcile_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      settings.Duration("claim-reconcile-interval"));
  o.device_health_timeout =
      std::chrono::duration_cast<std::chrono::seconds>(settings.Duration("device-health-timeout"));
  o.health_recovery_period = std::chrono::duration_cast<std::chrono::milliseconds>(
      settings.Duration("health-recovery-period"));
  o.health_probe_interval = std::chrono::duration_cast<std::chrono::milliseconds>(
      settings.Duration("health-probe-interval"));
  o.dry_run = settings.Bool("dry-run");
  o.device_taints = settings.Bool("device-taints");
  o.output = settings.String("output");
  auto fail = [&](const std::string& message) {
    result.exit_code = 1;
    result.output = message + "\n";
    return result;
  };
  for (const auto& [value, flag] : {std::pair{&o.node_name, "node-name"},
                                    {&o.cdi_root, "cdi-root"},
                                    {&o.container_driver_root, "container-driver-root"},
                                    {&o.registrar_dir, "kubelet-registrar-directory-path"},
                                    {&o.plugins_dir, "kubelet-plugins-directory-path"}}) {
    if (value->empty())
      return fail(std::string("invalid <") + flag + ">: must not be empty string");
  }
  if (o.output != "yaml" && o.output != "json") {
    return fail("invalid <output>: \"" + o.output + "\" is not one of [yaml | json]");
  }
  if (o.healthcheck_port < -1 || o.healthcheck_port > 65535) {
    return fail("invalid <healthcheck-port>: " + std::to_string(o.healthcheck_port) +
                " is not -1 or a port (0-65535)");
  }
  if (o.health_recovery_period.count() < 0 || o.health_probe_interval.count() < 100) {
    return fail(
        "invalid <health-recovery-period> or <health-probe-interval>: the period must not "
        "be negative and the interval at least 100ms");
  }
  if (o.device_health_timeout.count() < 1) {
    return fail("invalid <device-health-timeout>: must be at least 1s");
  }
  if (o.reconcile_interval.count() <= 0) {
    return fail("invalid <claim-reconcile-interval>: must be positive");
  }
  result.options = std::move(o);
  return result;
}

}  // namespace nvdp::dra
