// The device plugin's main loop: signals, the kubelet socket directory, retries.
#pragma once

#include "plugin/options.h"

namespace nvdp::plugin {

// Runs until SIGTERM/SIGINT/SIGQUIT (returns 0) or a fatal start-up error (returns 1).
int RunDevicePlugin(const Options& options);

// --dry-run: prints what would be advertised; returns the exit code.
int DryRun(const Options& options);

}  // namespace nvdp::plugin
