// Where the Kubernetes API is and how to authenticate: in-cluster (service account) or a
// kubeconfig file (spec §8.2; client-go's rules for the fields we support).
#pragma once

#include <stdexcept>
#include <string>

#include "common/flags.h"
#include "kube/https.h"

namespace nvdp::kube {

inline constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

struct ClusterConfig {
  std::string host;
  std::string port = "443";
  TlsSettings tls;
  std::string token;       // a fixed bearer token, or
  std::string token_file;  // one re-read when it changes (projected tokens rotate)
  std::string origin;      // "in-cluster" or the kubeconfig path, for messages
};

class KubeConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// KUBERNETES_SERVICE_HOST/PORT, <dir>/token and <dir>/ca.crt.
ClusterConfig InClusterConfig(const flags::EnvLookup& env,
                              const std::string& service_account_dir = kServiceAccountDir);

// The current context of a kubeconfig file: the cluster's server, certificate-authority(-data),
// and the user's client-certificate(-data), client-key(-data), token or tokenFile. Relative paths
// are taken from the file's directory. insecure-skip-tls-verify and exec/auth-provider plugins
// are refused: TLS is always verified.
ClusterConfig LoadKubeconfig(const std::string& path);
// The same for a kubeconfig's text; `path` names it in messages and anchors relative paths.
ClusterConfig ParseKubeconfig(const std::string& text, const std::string& path);

// A kubeconfig path when given (the --kubeconfig flag, or KUBECONFIG through it), else
// in-cluster.
ClusterConfig ResolveClusterConfig(const std::string& kubeconfig, const flags::EnvLookup& env);

// "https://host[:port]" -> host, port. Throws KubeConfigError for anything else.
void ParseServerUrl(const std::string& url, std::string* host, std::string* port);

}  // namespace nvdp::kube
