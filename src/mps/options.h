// mps-control-daemon's flags and environment (spec §1.4) merged with the config file. Only
// --mig-strategy merges into the config, as upstream; the rest of the file is read as written.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/config.h"
#include "config/defaults.h"
#include "config/strategies.h"

namespace nvdp::mps {

inline constexpr const char* kContainerRoot = config::kDefaultMpsContainerRoot;

struct Options {
  config::Config config;              // effective, as logged
  std::vector<std::string> warnings;  // what finalizing changed
  config::MigStrategy mig_strategy = config::MigStrategy::kNone;
  // Where NVML and, after PATH, the NVIDIA tools are looked for.
  std::string container_driver_root = config::kDefaultContainerDriverRoot;
  // The MPS root as mounted in this container (the host's mps.root).
  std::string root = kContainerRoot;
};

class CommandLine {
 public:
  explicit CommandLine(flags::FlagSet set) : set_(std::move(set)) {}
  // Reads the config file again and merges the flags into it. Throws config::ConfigError.
  Options Load() const;
  std::string root() const { return set_.Get("mps-container-root").str(); }

 private:
  flags::FlagSet set_;
};

enum class Command { kRun, kMountShm };

struct ParsedCommandLine {
  std::optional<CommandLine> command_line;  // set when the program should run
  Command command = Command::kRun;
  int exit_code = 0;
  std::string output;
};

ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env);

}  // namespace nvdp::mps
