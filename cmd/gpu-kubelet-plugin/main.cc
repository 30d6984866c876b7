// gpu-kubelet-plugin: serves NVIDIA GPUs to the kubelet through Dynamic Resource Allocation
// (driver gpu.nvidia.com), with the flags of NVIDIA's DRA driver.
#include <cstdio>
#include <string>
#include <vector>

#include "dra/app.h"
#include "dra/options.h"

int GpuKubeletPluginMain(int argc, char** argv);

int GpuKubeletPluginMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nvdp::dra::ParsedCommandLine parsed =
      nvdp::dra::ParseCommandLine(args, nvdp::flags::ProcessEnvironment());
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return nvdp::dra::RunDraPlugin(*parsed.options);
}

// In the multi-call binary (cmd/nvdp) this file provides only the entry point above.
#ifndef NVDP_MULTICALL
int main(int argc, char** argv) { return GpuKubeletPluginMain(argc, argv); }
#endif
