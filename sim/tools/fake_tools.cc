#include "fake_tools.h"

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <nlohmann/json.hpp>

extern char** environ;

namespace nvdp::sim {

std::string ToolDirectory() {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return ".";
  std::string exe(path, static_cast<size_t>(n));
  return exe.substr(0, exe.rfind('/'));
}

void RecordCall(const std::string& tool, int argc, char** argv, const std::string& stdin_text) {
  const std::string path = ToolDirectory() + "/nvidia-tools.calls.jsonl";
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return;  // recording is off
  nlohmann::json call;
  call["tool"] = tool;
  call["args"] = std::vector<std::string>(argv + 1, argv + argc);
  call["env"] = nlohmann::json::object();
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string item(*entry);
    size_t eq = item.find('=');
    if (eq != std::string::npos) call["env"][item.substr(0, eq)] = item.substr(eq + 1);
  }
  call["stdin"] = stdin_text;
  const std::string line = call.dump() + "\n";
  (void)!write(fd, line.data(), line.size());
  close(fd);
}

std::vector<std::string> Faults() {
  std::vector<std::string> lines;
  std::ifstream in(ToolDirectory() + "/nvidia-tools.faults");
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace nvdp::sim
