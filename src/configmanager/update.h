// config-manager's one action (spec §8.3 updateConfig): pick the config a node label names from
// the mounted ConfigMap directory, point the destination symlink at it, and tell the consumer.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace nvdp::configmanager {

struct UpdateSettings {
  std::string source_dir;   // CONFIG_FILE_SRCDIR: the ConfigMap's files
  std::string destination;  // CONFIG_FILE_DST: the symlink to maintain
  std::string default_config;
  std::vector<std::string> fallback_strategies;  // named, single, empty
};

class UpdateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The source file for `label` ("/dev/null" for the empty config). Throws UpdateError with
// upstream's messages: "no configuration files available", "specified config <x> does not
// exist", "unknown fallback strategy", "no config was set, no default was provided, and all
// fallbacks failed".
std::string ChooseConfig(const UpdateSettings& settings, const std::string& label);

// Points `destination` at `source` atomically (a new link renamed over the old one, also when
// the old one dangles). Returns false when it already resolved to the same file.
bool UpdateLink(const std::string& source, const std::string& destination);

// The first process under `proc_root` whose argv[0] equals `name`; processes without a
// command line (kernel threads) are skipped. When none matches exactly, the first whose argv[0]
// has the same file name (upstream's chart signals /usr/bin/mps-control-daemon, which the pod
// starts as plain mps-control-daemon). 0 when there is none.
int FindProcess(const std::string& proc_root, const std::string& name);

}  // namespace nvdp::configmanager
