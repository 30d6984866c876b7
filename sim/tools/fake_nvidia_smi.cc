// A stand-in for nvidia-smi in the simulated driver root: accepts `-i <id> -c <mode>` (the only
// use the MPS control daemon makes of it), records the call and answers like the real tool.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "fake_tools.h"

int main(int argc, char** argv) {
  nvdp::sim::RecordCall("nvidia-smi", argc, argv, "");
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string id, mode;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "-i" || args[i] == "--id") id = args[i + 1];
    if (args[i] == "-c" || args[i] == "--compute-mode") mode = args[i + 1];
  }
  if (id.empty() || mode.empty()) {
    std::fprintf(stderr, "nvidia-smi (simulated): only `-i <id> -c <compute mode>` is supported\n");
    return 2;
  }
  const std::vector<std::string> faults = nvdp::sim::Faults();
  if (std::find(faults.begin(), faults.end(), "nvidia-smi") != faults.end()) {
    std::fprintf(stderr, "Unable to set the compute mode for GPU %s: Unknown Error\n", id.c_str());
    return 3;
  }
  static const std::pair<const char*, const char*> kModes[] = {
      {"0", "DEFAULT"}, {"2", "PROHIBITED"}, {"3", "EXCLUSIVE_PROCESS"}};
  std::string name;
  for (const auto& [number, label] : kModes) {
    if (mode == number || mode == label) name = label;
  }
  if (name.empty()) {
    std::fprintf(stderr, "Invalid compute mode: %s\n", mode.c_str());
    return 2;
  }
  std::printf("Set compute mode to %s for GPU %s.\nAll done.\n", name.c_str(), id.c_str());
  return 0;
}
