// config-manager's flags and environment (spec §1.3).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/flags.h"
#include "config/defaults.h"
#include "configmanager/update.h"

namespace nvdp::configmanager {

struct Options {
  bool oneshot = false;
  std::string kubeconfig;
  std::string node_name;
  std::string node_label = config::kDefaultNodeLabel;
  UpdateSettings update;
  bool send_signal = true;
  int signal = 1;  // SIGHUP
  std::string process_to_signal = "nvidia-device-plugin";
};

struct ParsedCommandLine {
  std::optional<Options> options;  // set when the program should run
  int exit_code = 0;
  std::string output;
};

// Includes the "must be non-empty" checks, which upstream runs before anything else.
ParsedCommandLine ParseCommandLine(const std::vector<std::string>& args,
                                   const flags::EnvLookup& env);

}  // namespace nvdp::configmanager
