// Runs a program to completion with a chosen environment and stdin, capturing its output, with a
// deadline. Used for the NVIDIA tools the MPS support drives (nvidia-smi, nvidia-cuda-mps-control):
// posix_spawn, so it is safe in a process with threads; no shell is involved.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace nvdp {

struct Subprocess {
  std::string path;               // absolute path of the program
  std::vector<std::string> args;  // after argv[0] (which is `path`)
  // "NAME=value" entries; nullopt inherits this process's environment.
  std::optional<std::vector<std::string>> env;
  std::string input;  // written to stdin as is, then stdin is closed
  std::chrono::milliseconds timeout{30000};
};

struct SubprocessResult {
  int exit_code = -1;  // -1 when killed by a signal or the deadline
  int signal = 0;      // the signal that ended it, if any
  bool timed_out = false;
  std::string out;
  std::string err;

  bool ok() const { return exit_code == 0; }
  // "exit status 1: <stderr or stdout>", "killed by signal 9", "timed out after 30 s".
  std::string Describe() const;
};

// Throws std::system_error when the program cannot be started. Output the program's own children
// keep writing after it exits (a daemon that forked) is not waited for.
SubprocessResult RunSubprocess(const Subprocess& command);

}  // namespace nvdp
