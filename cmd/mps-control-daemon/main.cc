// mps-control-daemon: runs one NVIDIA MPS control daemon per MPS-shared resource on the node
// (drop-in for upstream v0.18); `mps-control-daemon mount-shm` prepares the shared tmpfs.
#include <cstdio>
#include <string>
#include <vector>

#include "mps/app.h"
#include "mps/options.h"

int MpsControlDaemonMain(int argc, char** argv);

int MpsControlDaemonMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nvdp::mps::ParsedCommandLine parsed =
      nvdp::mps::ParseCommandLine(args, nvdp::flags::ProcessEnvironment());
  if (!parsed.command_line) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  if (parsed.command == nvdp::mps::Command::kMountShm) {
    return nvdp::mps::RunMountShm(*parsed.command_line);
  }
  return nvdp::mps::RunControlDaemon(*parsed.command_line);
}

// In the multi-call binary (cmd/nvdp) this file provides only the entry point above.
#ifndef NVDP_MULTICALL
int main(int argc, char** argv) { return MpsControlDaemonMain(argc, argv); }
#endif
