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

Wakeup WaitForEvents(int signal_fd, std::optional<std::chrono::milliseconds> period,
                     const std::vector<int>& fds) {
  using std::chrono::milliseconds;
  const auto deadline = std::chrono::steady_clock::now() + period.value_or(milliseconds(0));
  Wakeup wakeup;
  wakeup.readable.assign(fds.size(), false);
  std::vector<pollfd> polled = {{signal_fd, POLLIN, 0}};
  for (int fd : fds) polled.push_back({fd, POLLIN, 0});
  while (true) {
    int timeout = -1;
    bool last = false;
    if (period) {
      auto left = std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now());
      last = left.count() <= 0;
      timeout = static_cast<int>(std::clamp<long long>(left.count(), 0, 1 << 30));
    }
    for (pollfd& p : polled) p.revents = 0;
    const int ready = poll(polled.data(), polled.size(), timeout);
    if (ready > 0) {
      bool any = false;
      for (size_t i = 0; i < fds.size(); ++i) {
        wakeup.readable[i] = (polled[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) != 0;
        any = any || wakeup.readable[i];
      }
      signalfd_siginfo info{};
      if ((polled[0].revents & POLLIN) && read(signal_fd, &info, sizeof info) == sizeof info) {
        wakeup.signal = static_cast<int>(info.ssi_signo);
        return wakeup;
      }
      if (any) return wakeup;
    }
    if (last) return wakeup;
  }
}

std::optional<SignalAction> WaitForSignal(int signal_fd,
                                          std::optional<std::chrono::milliseconds> period) {
  const Wakeup wakeup = WaitForEvents(signal_fd, period);
  if (!wakeup.signal) return std::nullopt;
  if (*wakeup.signal == SIGHUP) {
    LOG_INFO("Received SIGHUP, restarting.");
    return SignalAction::kRestart;
  }
  LOG_INFO("Received signal \"{}\", shutting down.", strsignal(*wakeup.signal));
  return SignalAction::kExit;
}

}  // namespace nvdp
