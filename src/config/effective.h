// From a parsed config file plus the command line to the configuration a program runs with:
// the rules applied after merging (spec §2.1), the features 0.18 parses but disables (§2.4),
// validation (§2.3), and the JSON that is logged at start.
#pragma once

#include <string>
#include <vector>

#include "config/config.h"

namespace nvdp::config {

// §2.1 after the merge: nvidiaDevRoot defaults to nvidiaDriverRoot; an MPS block forces
// failRequestsGreaterThanOne. §2.4: user resource rules are dropped; shared resources keep only
// name and replicas (rename follows renameByDefault, devices become "all"). Returns one warning
// per change made, as upstream logs them.
// With `per_device` (--sharing-per-device) the resource rules, `devices` and `rename` are kept.
std::vector<std::string> FinalizeAfterMerge(Config& config, bool per_device = false);

// §2.3's start-up validation for nvidia-device-plugin. Throws ConfigError naming the problem.
void ValidateForDevicePlugin(const Config& config);

// The effective configuration as indented JSON, in the schema's key names.
std::string ToJson(const Config& config);

}  // namespace nvdp::config
