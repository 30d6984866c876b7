#include "config/shared_settings.h"

#include "config/defaults.h"
#include "config/file_keys.h"

namespace nvdp::config::rows {

using flags::Kind;

Setting MigStrategy(std::vector<std::string> env, std::string help) {
  return {"mig-strategy",    {}, std::move(env), Kind::kString, {"none"}, std::move(help),
          keys::kMigStrategy};
}

Setting FailOnInitError(std::vector<std::string> env) {
  return {"fail-on-init-error",
          {},
          std::move(env),
          Kind::kBool,
          {"true"},
          "fail the plugin if an error is encountered during initialization, otherwise block "
          "indefinitely",
          keys::kFailOnInitError};
}

Setting ConfigFile(std::vector<std::string> env) {
  return {"config-file",
          {},
          std::move(env),
          Kind::kString,
          {""},
          "the path to a config file as an alternative to command line options or environment "
          "variables"};
}

Setting ContainerDriverRoot(std::string help, std::string_view file_key) {
  return {"driver-root-ctr-path",
          {"container-driver-root"},
          {"DRIVER_ROOT_CTR_PATH", "CONTAINER_DRIVER_ROOT"},
          Kind::kString,
          {kDefaultContainerDriverRoot},
          std::move(help),
          file_key};
}

Setting DeviceDiscoveryStrategy(std::string help) {
  return {"device-discovery-strategy",
          {},
          {"DEVICE_DISCOVERY_STRATEGY"},
          Kind::kString,
          {"auto"},
          std::move(help),
          keys::kDeviceDiscoveryStrategy};
}

Setting MpsContainerRoot(std::string help) {
  return {"mps-container-root",       {},
          {"MPS_CONTAINER_ROOT"},     Kind::kString,
          {kDefaultMpsContainerRoot}, std::move(help)};
}

Setting Kubeconfig(std::string help) {
  return {"kubeconfig", {}, {"KUBECONFIG"}, Kind::kString, {""}, std::move(help)};
}

Setting NodeName(std::string help) {
  return {"node-name", {}, {"NODE_NAME"}, Kind::kString, {""}, std::move(help)};
}

Setting SharingPerDevice() {
  return {"sharing-per-device",
          {},
          {"SHARING_PER_DEVICE"},
          Kind::kBool,
          {"false"},
          "apply the sharing config's per-resource 'devices' (indices, UUIDs, a count) and "
          "'rename', and the config's 'resources' patterns, which upstream ignores; off: the "
          "upstream behaviour (every device replicated, no renaming unless renameByDefault)"};
}

std::vector<Setting> KubeClient() {
  return {{"kube-api-qps",
           {},
           {"KUBE_API_QPS"},
           Kind::kFloat,
           {"5"},
           "QPS to use while talking with kubernetes apiserver"},
          {"kube-api-burst",
           {},
           {"KUBE_API_BURST"},
           Kind::kInt,
           {"10"},
           "burst to use while talking with kubernetes apiserver"}};
}

}  // namespace nvdp::config::rows
