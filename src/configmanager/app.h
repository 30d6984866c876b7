// config-manager's main loop (spec §8.3), without upstream's crash loop: a label naming a
// missing config is logged and the current config kept; only --oneshot fails on it.
#pragma once

#include <atomic>

#include "common/flags.h"
#include "configmanager/options.h"
#include "kube/api.h"

namespace nvdp::configmanager {

// Returns the exit code: 0 after --oneshot or SIGTERM/SIGINT/SIGQUIT, 1 on an error that stops
// it (no API access, or --oneshot could not apply a config).
int RunConfigManager(const Options& options, const flags::EnvLookup& env);

// The loop itself, on any API (a fake in the tests): follows the node's label and points the link
// at the chosen config until `stop` (or once, with --oneshot). Returns the exit code.
int ManageConfig(const Options& options, kube::Api& api, std::atomic<bool>& stop);

}  // namespace nvdp::configmanager
