// Writes the plugin's CDI spec files: atomically (a runtime reading the directory never sees half
// a file), and removes the ones of this vendor that the current configuration no longer produces.
#pragma once

#include <string>
#include <vector>

#include "cdi/spec.h"

namespace nvdp::cdi {

// Writes every spec to <dir>/<vendor>-<class>.json (mode 0644), creating `dir`, then deletes the
// other k8s.device-plugin.nvidia.com-*.json files in it. Throws std::runtime_error naming the
// file. Returns the paths written.
std::vector<std::string> WriteSpecs(const std::string& dir, const std::vector<Spec>& specs);

}  // namespace nvdp::cdi
