// What programs set on the simulated GPUs (compute mode, timeslice), kept in the file that
// NVML_SIM_STATE names so that the NVML simulator, the fake nvidia-smi and `nvml-sim show` share
// it: one "<uuid> <setting> <value>" line per change, appended; the last line of a setting wins.
// Header-only: the simulator library links nothing of the project's.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <utility>

namespace nvdp::sim {

inline const char* StateFile() {
  const char* path = std::getenv("NVML_SIM_STATE");
  return path != nullptr && *path != '\0' ? path : nullptr;
}

// One write(2) of a whole line with O_APPEND, so concurrent writers never interleave.
inline void RecordSetting(const std::string& uuid, const std::string& setting,
                          const std::string& value) {
  const char* path = StateFile();
  if (path == nullptr) return;
  const std::string line = uuid + " " + setting + " " + value + "\n";
  const int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  [[maybe_unused]] ssize_t written = write(fd, line.data(), line.size());
  close(fd);
}

// (uuid, setting) -> latest value.
inline std::map<std::pair<std::string, std::string>, std::string> ReadSettings(
    const std::string& path) {
  std::map<std::pair<std::string, std::string>, std::string> settings;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string uuid, setting, value;
    if (fields >> uuid >> setting >> value) settings[{uuid, setting}] = value;
  }
  return settings;
}

}  // namespace nvdp::sim
