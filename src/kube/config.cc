#include "kube/config.h"

#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"
#include "common/yaml_tree.h"

namespace nvdp::kube {
namespace {

// Kubeconfigs, certificates and tokens are kilobytes; the bound keeps a wrong path (a device, a
// huge file) from being read without end.
constexpr size_t kMaxFileBytes = 4 << 20;

std::string ReadFile(const std::string& path, const std::string& what) {
  try {
    return ReadBoundedFile(path, kMaxFileBytes, what);
  } catch (const ReadFileError& error) {
    throw KubeConfigError(error.what());
  }
}

const YamlNode* Field(const YamlNode& node, const std::string& key) {
  if (!node.IsMapping()) return nullptr;
  for (const auto& [name, value] : node.entries) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string Scalar(const YamlNode& node, const std::string& key) {
  const YamlNode* value = Field(node, key);
  return value && value->IsScalar() ? value->scalar : "";
}

// The `name`d entry of a list of {name, <kind>: {...}} (clusters, users, contexts).
const YamlNode* Named(const YamlNode& root, const std::string& list, const std::string& kind,
                      const std::string& name, const std::string& origin) {
  const YamlNode* entries = Field(root, list);
  if (entries && entries->IsSequence()) {
    for (const YamlNode& entry : entries->items) {
      if (Scalar(entry, "name") == name) {
        const YamlNode* body = Field(entry, kind);
        if (body) return body;
      }
    }
  }
  throw KubeConfigError(origin + ": no " + kind + " named " + QuoteInput(name) + " in " + list);
}

// A field given inline (base64, "<key>-data") or as a file path.
std::string DataOrFile(const YamlNode& node, const std::string& key,
                       const std::filesystem::path& dir, const std::string& origin) {
  const std::string data = Scalar(node, key + "-data");
  if (!data.empty()) {
    std::string decoded;
    if (!DecodeBase64(data, &decoded))
      throw KubeConfigError(origin + ": " + key + "-data is not base64");
    return decoded;
  }
  const std::string path = Scalar(node, key);
  if (path.empty()) return "";
  const std::filesystem::path file =
      std::filesystem::path(path).is_absolute() ? std::filesystem::path(path) : dir / path;
  return ReadFile(file.string(), key);
}

}  // namespace

void ParseServerUrl(const std::string& url, std::string* host, std::string* port) {
  const std::string scheme = "https://";
  if (!url.starts_with(scheme)) {
    throw KubeConfigError("API server " + QuoteInput(url) + ": only https:// is supported");
  }
  std::string rest = url.substr(scheme.size());
  rest = rest.substr(0, rest.find('/'));
  const std::string shown = QuoteInput(url);
  if (rest.empty()) throw KubeConfigError("API server " + shown + ": no host");
  *port = "443";
  if (rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos)
      throw KubeConfigError("API server " + shown + ": bad IPv6 host");
    *host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') throw KubeConfigError("API server " + shown + ": bad port");
      *port = rest.substr(close + 2);
    }
  } else {
    size_t colon = rest.rfind(':');
    *host = rest.substr(0, colon);
    if (colon != std::string::npos) *port = rest.substr(colon + 1);
  }
  long long number = 0;
  if (host->empty() || !ParseInt64(*port, &number) || number < 1 || number > 65535) {
    throw KubeConfigError("API server " + shown + ": bad host or port");
  }
}

ClusterConfig InClusterConfig(const flags::EnvLookup& env, const std::string& service_account_dir) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    throw KubeConfigError(
        "not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and no kubeconfig given "
        "(--kubeconfig or KUBECONFIG)");
  }
  ClusterConfig config;
  config.host = *host;
  config.port = *port;
  config.token_file = service_account_dir + "/token";
  config.tls.ca_pem = ReadFile(service_account_dir + "/ca.crt", "service account CA");
  ReadFile(config.token_file, "service account token");  // fail now, not at the first call
  config.origin = "in-cluster";
  return config;
}

ClusterConfig LoadKubeconfig(const std::string& path) {
  return ParseKubeconfig(ReadFile(path, "kubeconfig"), path);
}

ClusterConfig ParseKubeconfig(const std::string& text, const std::string& path) {
  YamlNode root;
  try {
    root = ParseYaml(text);
  } catch (const YamlError& error) {
    throw KubeConfigError("kubeconfig " + path + ": " + error.what());
  }
  const std::string origin = "kubeconfig " + path;
  const std::string context_name = Scalar(root, "current-context");
  if (context_name.empty()) throw KubeConfigError(origin + ": no current-context");
  const YamlNode& context = *Named(root, "contexts", "context", context_name, origin);
  const YamlNode& cluster = *Named(root, "clusters", "cluster", Scalar(context, "cluster"), origin);
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();

  ClusterConfig config;
  config.origin = path;
  ParseServerUrl(Scalar(cluster, "server"), &config.host, &config.port);
  if (Scalar(cluster, "insecure-skip-tls-verify") == "true") {
    throw KubeConfigError(origin + ": insecure-skip-tls-verify is not supported: TLS is verified");
  }
  config.tls.ca_pem = DataOrFile(cluster, "certificate-authority", dir, origin);
  const std::string user_name = Scalar(context, "user");
  if (!user_name.empty()) {
    const YamlNode& user = *Named(root, "users", "user", user_name, origin);
    if (Field(user, "exec") || Field(user, "auth-provider")) {
      throw KubeConfigError(origin + ": exec and auth-provider credentials are not supported");
    }
    config.tls.client_cert_pem = DataOrFile(user, "client-certificate", dir, origin);
    config.tls.client_key_pem = DataOrFile(user, "client-key", dir, origin);
    config.token = Scalar(user, "token");
    const std::string token_file = Scalar(user, "tokenFile");
    if (config.token.empty() && !token_file.empty()) {
      config.token_file = std::filesystem::path(token_file).is_absolute()
                              ? token_file
                              : (dir / token_file).string();
    }
  }
  return config;
}

ClusterConfig ResolveClusterConfig(const std::string& kubeconfig, const flags::EnvLookup& env) {
  if (!kubeconfig.empty()) {
    // KUBECONFIG may list several files; the first one is used.
    return LoadKubeconfig(Split(kubeconfig, ':').front());
  }
  return InClusterConfig(env);
}

}  // namespace nvdp::kube
