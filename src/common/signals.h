// The signals every program handles — SIGHUP (reload) and SIGINT, SIGTERM, SIGQUIT (exit) — read
// from a signalfd, so they also work as PID 1 and never interrupt other threads; and the one wait
// every main loop is built on: for a signal, readable descriptors, or a timeout.
#pragma once

#include <chrono>
#include <optional>
#include <vector>

#include "common/unique_fd.h"

namespace nvdp {

// Blocks the four signals in the calling thread (threads started later inherit the mask) and
// returns a non-blocking signalfd for them; invalid on failure.
UniqueFd OpenSignalFd();

struct Wakeup {
  std::optional<int> signal;   // the signal that arrived, if one did
  std::vector<bool> readable;  // per descriptor passed in
};

// Waits up to `period` (forever when nullopt) for one of the signals or for one of `fds` to become
// readable. The signalfd is read at least once, even when the period has already passed, so a
// loop with a period of 1 ms still notices SIGTERM. Returns at the first signal or readable fd.
Wakeup WaitForEvents(int signal_fd, std::optional<std::chrono::milliseconds> period,
                     const std::vector<int>& fds = {});

enum class SignalAction { kRestart, kExit };

// Waits up to `period` (forever when nullopt) for one of the signals and logs it. nullopt: the
// period passed.
std::optional<SignalAction> WaitForSignal(int signal_fd,
                                          std::optional<std::chrono::milliseconds> period);

}  // namespace nvdp
