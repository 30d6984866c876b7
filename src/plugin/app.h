// The device plugin's main loop: signals, the kubelet socket directory, retries.
#pragma once

#include "plugin/options.h"

namespace nvdp::plugin {

// Loads the configuration and runs until SIGTERM/SIGINT/SIGQUIT (returns 0) or a fatal
// start-up error (returns 1). SIGHUP re-reads the config file; an invalid one is logged and the
// plugin keeps serving with the last good configuration.
int RunDevicePlugin(const CommandLine& command_line);

// --dry-run: prints what a start with these options would advertise; returns the exit code.
int DryRun(const Options& options);

}  // namespace nvdp::plugin
