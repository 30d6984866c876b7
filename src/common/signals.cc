#include "common/signals.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace nvdp {

UniqueFd OpenSignalFd() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGHUP, SIGINT, SIGTERM, SIGQUIT}) sigaddset(&set, signal);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return UniqueFd(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
}

std::optional<SignalAction> WaitForSignal(int signal_fd,
                                          std::optional<std::chrono::milliseconds> period) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + period.value_or(milliseconds(0));
  while (true) {
    // The signalfd is polled at least once per call, even when the period has already passed:
    // a loop with a 1 ms period must still notice SIGTERM.
    int timeout = -1;
    bool last = false;
    if (period) {
      auto left = std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now());
      last = left.count() <= 0;
      timeout = static_cast<int>(std::clamp<long long>(left.count(), 0, 1 << 30));
    }
    pollfd pfd{signal_fd, POLLIN, 0};
    if (poll(&pfd, 1, timeout) <= 0) {
      if (last) return std::nullopt;
      continue;
    }
    signalfd_siginfo info{};
    if (read(signal_fd, &info, sizeof info) != sizeof info) {
      if (last) return std::nullopt;
      continue;
    }
    if (info.ssi_signo == SIGHUP) {
      LOG_INFO("Received SIGHUP, restarting.");
      return SignalAction::kRestart;
    }
    LOG_INFO("Received signal \"{}\", shutting down.", strsignal(static_cast<int>(info.ssi_signo)));
    return SignalAction::kExit;
  }
}

}  // namespace nvdp
