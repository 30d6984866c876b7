// config-manager's main loop (spec §8.3), without upstream's crash loop: a label naming a
// missing config is logged and the current config kept; only --oneshot fails on it.
#pragma once

#include "common/flags.h"
#include "configmanager/options.h"

namespace nvdp::configmanager {

// Returns the exit code: 0 after --oneshot or SIGTERM/SIGINT/SIGQUIT, 1 on an error that stops
// it (no API access, or --oneshot could not apply a config).
int RunConfigManager(const Options& options, const flags::EnvLookup& env);

}  // namespace nvdp::configmanager
