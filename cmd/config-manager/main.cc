// config-manager: points a component's config file at the ConfigMap entry a node label names,
// and signals the component (drop-in for upstream v0.18).
#include <cstdio>
#include <string>
#include <vector>

#include "configmanager/app.h"
#include "configmanager/options.h"

int ConfigManagerMain(int argc, char** argv);

int ConfigManagerMain(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto env = nvdp::flags::ProcessEnvironment();
  nvdp::configmanager::ParsedCommandLine parsed = nvdp::configmanager::ParseCommandLine(args, env);
  if (!parsed.options) {
    std::fputs(parsed.output.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  return nvdp::configmanager::RunConfigManager(*parsed.options, env);
}

// In the multi-call binary (cmd/nvdp) this file provides only the entry point above.
#ifndef NVDP_MULTICALL
int main(int argc, char** argv) { return ConfigManagerMain(argc, argv); }
#endif
