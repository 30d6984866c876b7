// mps-control-daemon's main loop (spec §9.1): plan and start one MPS control daemon per
// MPS-shared resource, mark <root>/.ready, then wait. SIGHUP stops everything and starts again
// from the config file; SIGTERM, SIGINT and SIGQUIT stop everything and exit.
#pragma once

#include "mps/options.h"

namespace nvdp::mps {

// Returns the exit code: 0 after a terminating signal.
int RunControlDaemon(const CommandLine& command_line);

// `mps-control-daemon mount-shm`. Returns the exit code.
int RunMountShm(const CommandLine& command_line);

}  // namespace nvdp::mps
