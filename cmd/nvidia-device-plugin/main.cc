// nvidia-device-plugin: advertises NVIDIA GPUs to the kubelet (drop-in for upstream v0.18).
#include <cstdio>
#include <string>
#include <vector>

#include "plugin/app.h"
#include "plugin/options.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  nvdp::plugin::ParsedOptions parsed =
      nvdp::plugin::ParseOptions(args, nvdp::flags::ProcessEnvironment());
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  if (parsed.options->dry_run) return nvdp::plugin::DryRun(*parsed.options);
  return nvdp::plugin::RunDevicePlugin(*parsed.options);
}
