// gpu-feature-discovery: labels the node with its GPUs' properties for NFD (drop-in for upstream
// v0.18).
#include <cstdio>
#include <string>
#include <vector>

#include "gfd/app.h"
#include "gfd/options.h"

int GpuFeatureDiscoveryMain(int argc, char** argv);

int GpuFeatureDiscoveryMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nvdp::gfd::ParsedCommandLine parsed =
      nvdp::gfd::ParseCommandLine(args, nvdp::flags::ProcessEnvironment());
  if (!parsed.command_line) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return nvdp::gfd::RunFeatureDiscovery(*parsed.command_line);
}

// In the multi-call binary (cmd/nvdp) this file provides only the entry point above.
#ifndef NVDP_MULTICALL
int main(int argc, char** argv) { return GpuFeatureDiscoveryMain(argc, argv); }
#endif
