// A stand-in for nvidia-cuda-mps-control in the simulated driver root.
//   -d         starts a control daemon in the background (a unix socket `control` in
//              $CUDA_MPS_PIPE_DIRECTORY, a log in $CUDA_MPS_LOG_DIRECTORY/control.log) and returns;
//   no args    sends stdin as one command to that daemon and prints its answer, failing when no
//              daemon runs, as the real client does.
// The daemon keeps the defaults it is given (active thread percentage, pinned memory limits),
// answers the get_ commands, and exits on `quit`, when its pipe directory disappears, or after an
// hour. Every call is recorded (see fake_tools.h).
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>

#include "fake_tools.h"

namespace {

std::string Env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

const std::string kPipeDir = Env("CUDA_MPS_PIPE_DIRECTORY", "/tmp/nvidia-mps");
const std::string kLogDir = Env("CUDA_MPS_LOG_DIRECTORY", "/var/log/nvidia-mps");

std::string SocketPath() { return kPipeDir + "/control"; }

bool HasFault(const std::string& kind, const std::string& command = "") {
  for (const std::string& fault : nvdp::sim::Faults()) {
    if (fault == kind) return true;
    if (fault.starts_with(kind + " ") && command.starts_with(fault.substr(kind.size() + 1))) {
      return true;
    }
  }
  return false;
}

int Connect() {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", SocketPath().c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadAll(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

void Log(const std::string& line) {
  std::ofstream log(kLogDir + "/control.log", std::ios::app);
  char stamp[64];
  std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", std::gmtime(&now));
  log << "[" << stamp << " Control " << getpid() << "] " << line << "\n";
}

class Daemon {
 public:
  // "<status>\n<output>" for one command.
  std::string Handle(const std::string& command, bool* quit) {
    Log("Cmd:" + command);
    std::istringstream words(command);
    std::string verb, a, b;
    words >> verb >> a >> b;
    if (verb == "quit") {
      *quit = true;
      return "0\n";
    }
    if (verb == "set_default_active_thread_percentage" && !a.empty()) {
      percentage_ = std::to_string(std::atoi(a.c_str())) + ".0";
      return "0\n" + percentage_ + "\n";
    }
    if (verb == "get_default_active_thread_percentage") return "0\n" + percentage_ + "\n";
    if (verb == "set_default_device_pinned_mem_limit" && !a.empty() && !b.empty()) {
      limits_[a] = b;
      return "0\n";
    }
    if (verb == "get_default_device_pinned_mem_limit" && !a.empty()) {
      auto it = limits_.find(a);
      return "0\n" + (it == limits_.end() ? std::string("0M") : it->second) + "\n";
    }
    return "1\nUnrecognized command: " + command + "\n";
  }

  void Serve(int listener) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::hours(1);
    while (std::chrono::steady_clock::now() < end) {
      struct stat info {};
      if (stat(SocketPath().c_str(), &info) != 0) break;  // the pipe directory went away
      pollfd pfd{listener, POLLIN, 0};
      if (poll(&pfd, 1, 200) <= 0) continue;
      int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) continue;
      bool quit = false;
      const std::string reply = Handle(ReadAll(client), &quit);
      (void)!write(client, reply.data(), reply.size());
      close(client);
      if (quit) break;
    }
    Log("Exit");
    unlink(SocketPath().c_str());
  }

 private:
  std::string percentage_ = "100.0";
  std::map<std::string, std::string> limits_;
};

int StartDaemon() {
  if (HasFault("mps-start")) {
    std::fprintf(stderr, "Failed to start the MPS control daemon (simulated fault)\n");
    return 1;
  }
  int existing = Connect();
  if (existing >= 0) {
    close(existing);
    std::fprintf(stderr, "An instance of this daemon is already running\n");
    return 1;
  }
  unlink(SocketPath().c_str());
  int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", SocketPath().c_str());
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      listen(listener, 16) != 0) {
    std::fprintf(stderr, "Cannot create the control pipe %s: %s\n", SocketPath().c_str(),
                 std::strerror(errno));
    return 1;
  }
  std::fflush(nullptr);
  pid_t child = fork();
  if (child < 0) return 1;
  if (child > 0) return 0;  // the socket is listening: clients can connect now
  setsid();
  signal(SIGHUP, SIG_IGN);
  FILE* null = std::fopen("/dev/null", "r+");
  if (null != nullptr) {
    for (int fd : {0, 1, 2}) dup2(fileno(null), fd);
  }
  Log("Startup");
  Daemon().Serve(listener);
  _exit(0);
}

int SendCommand(const std::string& command) {
  if (HasFault("mps-command", command)) {
    std::fprintf(stderr, "Command '%s' failed (simulated fault)\n", command.c_str());
    return 1;
  }
  int fd = Connect();
  if (fd < 0) {
    std::fprintf(stderr, "Cannot find MPS control daemon process\n");
    return 1;
  }
  (void)!write(fd, command.data(), command.size());
  shutdown(fd, SHUT_WR);
  const std::string reply = ReadAll(fd);
  close(fd);
  const size_t newline = reply.find('\n');
  if (newline == std::string::npos) {
    std::fprintf(stderr, "The MPS control daemon closed the connection\n");
    return 1;
  }
  std::fputs(reply.substr(newline + 1).c_str(), stdout);
  return std::atoi(reply.substr(0, newline).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "-d") {
    nvdp::sim::RecordCall("nvidia-cuda-mps-control", argc, argv, "");
    return StartDaemon();
  }
  if (argc == 1) {
    // Recorded after stdin is read, so the record holds the command.
    std::string command((std::istreambuf_iterator<char>(std::cin)),
                        std::istreambuf_iterator<char>());
    nvdp::sim::RecordCall("nvidia-cuda-mps-control", argc, argv, command);
    return SendCommand(command);
  }
  std::fprintf(stderr, "usage: nvidia-cuda-mps-control [-d]  (simulated)\n");
  return 1;
}
