// gpu-feature-discovery's main loop (spec §7.1): label, write, sleep; SIGHUP reloads everything,
// SIGTERM/SIGINT/SIGQUIT exit (removing the output file in loop mode).
#pragma once

#include "gfd/options.h"

namespace nvdp::gfd {

// Returns the exit code: 0 after --oneshot or a terminating signal, 1 on an error.
int RunFeatureDiscovery(const CommandLine& command_line);

}  // namespace nvdp::gfd
