// A stand-in for nvidia-smi in the simulated driver root: accepts `-i <id> -c <mode>` (what the
// MPS control daemons use) and `compute-policy -i <id> --set-timeslice <0-3>` (what time-sliced
// DRA claims use), records the call (fake_tools.h) and the setting (NVML_SIM_STATE,
// ../common/sim_state.h), and answers like the real tool.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "../common/sim_state.h"
#include "fake_tools.h"

namespace {

bool Failing() {
  const std::vector<std::string> faults = nvdp::sim::Faults();
  return std::find(faults.begin(), faults.end(), "nvidia-smi") != faults.end();
}

int SetTimeslice(const std::string& id, const std::string& value) {
  if (value.size() != 1 || value[0] < '0' || value[0] > '3') {
    std::fprintf(stderr, "Invalid timeslice value: %s (0-3)\n", value.c_str());
    return 2;
  }
  if (Failing()) {
    std::fprintf(stderr, "Unable to set the timeslice for GPU %s: Unknown Error\n", id.c_str());
    return 3;
  }
  nvdp::sim::RecordSetting(id, "timeslice", value);
  std::printf("Set timeslice to %s for GPU %s.\nAll done.\n", value.c_str(), id.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  nvdp::sim::RecordCall("nvidia-smi", argc, argv, "");
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string id, mode, timeslice;
  const bool policy = !args.empty() && args[0] == "compute-policy";
  for (size_t i = 0; i < args.size(); ++i) {
    const bool has_next = i + 1 < args.size();
    if ((args[i] == "-i" || args[i] == "--id") && has_next) id = args[i + 1];
    if ((args[i] == "-c" || args[i] == "--compute-mode") && has_next) mode = args[i + 1];
    if (args[i] == "--set-timeslice" && has_next) timeslice = args[i + 1];
    if (args[i].starts_with("--set-timeslice=")) timeslice = args[i].substr(16);
  }
  if (policy && !id.empty() && !timeslice.empty()) return SetTimeslice(id, timeslice);
  if (policy || id.empty() || mode.empty()) {
    std::fprintf(stderr,
                 "nvidia-smi (simulated): only `-i <id> -c <compute mode>` and `compute-policy -i "
                 "<id> --set-timeslice <n>` are supported\n");
    return 2;
  }
  if (Failing()) {
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
  nvdp::sim::RecordSetting(id, "compute-mode", name);
  std::printf("Set compute mode to %s for GPU %s.\nAll done.\n", name.c_str(), id.c_str());
  return 0;
}
