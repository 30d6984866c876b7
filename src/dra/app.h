// gpu-kubelet-plugin's main loop and --dry-run.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "dra/options.h"

namespace nvdp::dra {

// Runs until SIGTERM/SIGINT/SIGQUIT (0) or a fatal start-up error (1, logged).
int RunDraPlugin(const Options& options);

// Prints the ResourceSlices a start would publish (YAML documents or a JSON list); exit code.
int DryRun(const Options& options);

// JSON as YAML: block style, strings double-quoted (JSON's escapes are YAML's).
std::string ToYaml(const nlohmann::json& value);

}  // namespace nvdp::dra
