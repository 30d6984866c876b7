#include "configmanager/update.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/fs.h"

namespace nvdp::configmanager {
namespace {

namespace fs = std::filesystem;

// Regular entries (following links, as upstream's os.Stat-based listing does) whose names do
// not start with "..": this skips the ConfigMap's ..data and ..<timestamp> entries.
std::vector<std::string> ConfigNames(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("..")) continue;
    if (fs::is_directory(entry.path(), error)) continue;
    names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool Contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string ChooseConfig(const UpdateSettings& settings, const std::string& label) {
  const std::vector<std::string> names = ConfigNames(settings.source_dir);
  if (names.empty()) throw UpdateError("no configuration files available");
  auto path = [&](const std::string& name) {
    return (fs::path(settings.source_dir) / name).string();
  };
  if (!label.empty()) {
    if (!Contains(names, label)) throw UpdateError("specified config " + label + " does not exist");
    return path(label);
  }
  if (!settings.default_config.empty()) {
    if (!Contains(names, settings.default_config)) {
      throw UpdateError("specified config " + label + " does not exist");
    }
    return path(settings.default_config);
  }
  for (const std::string& strategy : settings.fallback_strategies) {
    if (strategy == "named") {
      if (Contains(names, "default")) return path("default");
    } else if (strategy == "single") {
      if (names.size() == 1) return path(names.front());
    } else if (strategy == "empty") {
      return "/dev/null";
    } else {
      throw UpdateError("unknown fallback strategy");
    }
  }
  throw UpdateError("no config was set, no default was provided, and all fallbacks failed");
}

bool UpdateLink(const std::string& source, const std::string& destination) {
  struct stat info {};
  // lstat, unlike upstream's stat: a dangling link is replaced instead of failing with EEXIST.
  if (lstat(destination.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw UpdateError(destination + " is a directory");
    std::error_code current_error, wanted_error;
    const fs::path current = fs::canonical(destination, current_error);
    const fs::path wanted = fs::canonical(source, wanted_error);
    if (!current_error && !wanted_error && current == wanted) return false;
  }
  const std::string temporary = destination + ".nvdp-new";
  unlink(temporary.c_str());
  if (symlink(source.c_str(), temporary.c_str()) != 0) {
    throw UpdateError("cannot create a link to " + source + ": " + std::strerror(errno));
  }
  if (rename(temporary.c_str(), destination.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(temporary.c_str());
    throw UpdateError("cannot replace " + destination + ": " + reason);
  }
  return true;
}

int FindProcess(const std::string& proc_root, const std::string& name) {
  DIR* dir = opendir(proc_root.c_str());
  if (dir == nullptr) return 0;
  std::vector<int> pids;
  while (dirent* entry = readdir(dir)) {
    const std::string pid = entry->d_name;
    if (!pid.empty() && std::all_of(pid.begin(), pid.end(), ::isdigit)) {
      pids.push_back(std::stoi(pid));
    }
  }
  closedir(dir);
  std::sort(pids.begin(), pids.end());
  auto base = [](const std::string& path) { return path.substr(path.rfind('/') + 1); };
  int same_file_name = 0;
  for (int pid : pids) {
    const std::string cmdline =
        ReadAttribute(proc_root + "/" + std::to_string(pid) + "/cmdline").value_or("");
    const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
    if (argv0.empty()) continue;  // kernel threads, races
    if (argv0 == name) return pid;
    if (same_file_name == 0 && base(argv0) == base(name)) same_file_name = pid;
  }
  return same_file_name;
}

}  // namespace nvdp::configmanager
