// Reading config file v1 (spec §2.1, §2.3): YAML or JSON, decoded with the semantics of
// upstream's YAML-to-JSON conversion and Go's encoding/json.
#pragma once

#include <stdexcept>
#include <string>

#include "config/config.h"

namespace nvdp::config {

// What is wrong, naming the file, the key path and the value, e.g.
// `config file /etc/dp.yaml: sharing.timeSlicing.resources[0].replicas: number of replicas
// must be >= 2, got 1`.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds on a config file (docs/operations.md, "Limits and failure behaviour"). A ConfigMap holds
// at most 1 MiB, so no real config file is near the first; the others keep a device list the
// kubelet accepts (config/resource limits) and integers inside the types they feed.
inline constexpr size_t kMaxConfigFileBytes = 1 << 20;
inline constexpr long long kMaxReplicas = 16384;
inline constexpr long long kMaxDeviceCount = 65536;

// `origin` names the input in messages. An empty document is the all-defaults config.
Config ParseConfig(const std::string& text, const std::string& origin);

// Reads and parses a file; throws ConfigError when it cannot be read.
Config LoadConfigFile(const std::string& path);

}  // namespace nvdp::config
