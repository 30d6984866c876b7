#include "common/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/strings.h"
#include "common/unique_fd.h"

extern char** environ;

namespace nvdp {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  UniqueFd read, write;
};

Pipe MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::vector<char*> CStrings(std::vector<std::string>& values) {
  std::vector<char*> pointers;
  for (std::string& value : values) pointers.push_back(value.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Reads what is available; false at end of file.
bool Drain(int fd, std::string& into) {
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      into.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
}

// Writes to a pipe whose reader may be gone without raising SIGPIPE in this process: the signal is
// blocked in this thread and a pending one consumed.
ssize_t WriteNoSigpipe(int fd, const char* data, size_t size) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(fd, data, size);
  if (n < 0 && errno == EPIPE) {
    timespec zero{};
    sigtimedwait(&pipe_set, nullptr, &zero);
    errno = EPIPE;
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return n;
}

}  // namespace

std::string SubprocessResult::Describe() const {
  if (timed_out) return "timed out";
  if (signal != 0) return std::string("killed by signal ") + strsignal(signal);
  std::string said(TrimSpace(err.empty() ? out : err));
  return "exit status " + std::to_string(exit_code) + (said.empty() ? "" : ": " + said);
}

SubprocessResult RunSubprocess(const Subprocess& command) {
  Pipe in = MakePipe(), out = MakePipe(), err = MakePipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err.write.get(), 2);
  // The caller's threads block signals for signalfd, and may ignore SIGPIPE: the child starts
  // clean.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings{command.path};
  argv_strings.insert(argv_strings.end(), command.args.begin(), command.args.end());
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<std::string> env_strings = command.env.value_or(std::vector<std::string>{});
  std::vector<char*> envp = CStrings(env_strings);

  pid_t pid = 0;
  int spawn_error = posix_spawn(&pid, command.path.c_str(), &actions, &attributes, argv.data(),
                                command.env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (spawn_error != 0) {
    throw std::system_error(spawn_error, std::generic_category(), "cannot run " + command.path);
  }
  in.read.Reset();
  out.write.Reset();
  err.write.Reset();
  SetNonBlocking(in.write.get());
  SetNonBlocking(out.read.get());
  SetNonBlocking(err.read.get());

  SubprocessResult result;
  size_t written = 0;
  if (command.input.empty()) in.write.Reset();
  const auto deadline = Clock::now() + command.timeout;
  bool out_open = true, err_open = true;
  int status = 0;
  while (true) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (Clock::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      result.timed_out = true;
      break;
    }
    pollfd fds[3];
    nfds_t count = 0;
    if (out_open) fds[count++] = {out.read.get(), POLLIN, 0};
    if (err_open) fds[count++] = {err.read.get(), POLLIN, 0};
    if (in.write.valid()) fds[count++] = {in.write.get(), POLLOUT, 0};
    // Short sleeps: the child's exit is noticed by waitpid, not by end of file (a daemon it forks
    // may hold the pipes open).
    poll(fds, count, 10);
    if (out_open) out_open = Drain(out.read.get(), result.out);
    if (err_open) err_open = Drain(err.read.get(), result.err);
    if (in.write.valid()) {
      ssize_t n = WriteNoSigpipe(in.write.get(), command.input.data() + written,
                                 command.input.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if (written == command.input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        in.write.Reset();
      }
    }
  }
  if (out_open) Drain(out.read.get(), result.out);
  if (err_open) Drain(err.read.get(), result.err);
  if (!result.timed_out && WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status) && !result.timed_out) {
    result.signal = WTERMSIG(status);
  }
  return result;
}

}  // namespace nvdp
