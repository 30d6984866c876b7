// Shared by the fake NVIDIA tools of the simulated driver root (nvidia-smi,
// nvidia-cuda-mps-control). Tests read what the tools were asked from files beside the executable,
// because nvidia-cuda-mps-control runs with only the two MPS variables in its environment:
//   nvidia-tools.calls.jsonl  when it exists, every call is appended as one JSON line:
//                             {"tool", "args", "env", "stdin"}
//   nvidia-tools.faults       one fault per line: "nvidia-smi" (every nvidia-smi call fails),
//                             "mps-start" (-d fails), "mps-command <prefix>" (commands starting
//                             with <prefix> fail)
#pragma once

#include <string>
#include <vector>

namespace nvdp::sim {

// The directory of this executable (symlinks resolved).
std::string ToolDirectory();
void RecordCall(const std::string& tool, int argc, char** argv, const std::string& stdin_text);
// The faults file's lines.
std::vector<std::string> Faults();

}  // namespace nvdp::sim
