// nvidia-device-plugin: advertises NVIDIA GPUs to the kubelet (drop-in for upstream v0.18).
#include <cstdio>
#include <string>
#include <vector>

#include "plugin/app.h"
#include "plugin/options.h"

int NvidiaDevicePluginMain(int argc, char** argv);

int NvidiaDevicePluginMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nvdp::plugin::ParsedCommandLine parsed =
      nvdp::plugin::ParseCommandLine(args, nvdp::flags::ProcessEnvironment());
  if (!parsed.command_line) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return nvdp::plugin::RunDevicePlugin(*parsed.command_line);
}

// In the multi-call binary (cmd/nvdp) this file provides only the entry point above.
#ifndef NVDP_MULTICALL
int main(int argc, char** argv) { return NvidiaDevicePluginMain(argc, argv); }
#endif
