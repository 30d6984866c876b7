// The signals every program handles — SIGHUP (reload) and SIGINT, SIGTERM, SIGQUIT (exit) — read
// from a signalfd, so they also work as PID 1 and never interrupt other threads.
#pragma once

#include <chrono>
#include <optional>

#include "common/unique_fd.h"

namespace nvdp {

// Blocks the four signals in the calling thread (threads started later inherit the mask) and
// returns a non-blocking signalfd for them; invalid on failure.
UniqueFd OpenSignalFd();

enum class SignalAction { kRestart, kExit };

// Waits up to `period` (forever when nullopt) for one of the signals and logs it. nullopt: the
// period passed.
std::optional<SignalAction> WaitForSignal(int signal_fd,
                                          std::optional<std::chrono::milliseconds> period);

}  // namespace nvdp
