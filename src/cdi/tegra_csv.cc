#include "cdi/tegra_csv.h"

#include <dirent.h>

#include <algorithm>
#include <memory>

#include "common/fs.h"
#include "common/paths.h"
#include "common/strings.h"

namespace nvdp::cdi {
namespace {

constexpr size_t kMaxCsvBytes = 1 << 20;

void AddOnce(std::vector<std::string>& list, const std::string& path) {
  if (std::find(list.begin(), list.end(), path) == list.end()) list.push_back(path);
}

bool IsCsvName(const std::string& name) {
  if (name.size() <= 4 || name == ".csv") return false;
  std::string extension = name.substr(name.size() - 4);
  std::transform(extension.begin(), extension.end(), extension.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return extension == ".csv";
}

}  // namespace

void ParseCsvMounts(const std::string& file, const std::string& text, CsvMounts& into) {
  size_t number = 0;
  for (const std::string& raw : Split(text, '\n')) {
    ++number;
    const std::string line(TrimSpace(raw));
    if (line.empty() || line.front() == '#') continue;
    const size_t comma = line.find(',');
    const std::string kind(TrimSpace(line.substr(0, comma)));
    const std::string path(comma == std::string::npos ? "" : TrimSpace(line.substr(comma + 1)));
    std::vector<std::string>* list = nullptr;
    if (kind == "dev") list = &into.devices;
    if (kind == "lib") list = &into.libraries;
    if (kind == "sym") list = &into.symlinks;
    if (kind == "dir") list = &into.directories;
    if (list == nullptr || path.empty()) {
      into.skipped.push_back(file + ":" + std::to_string(number) + ": " + Abbreviate(line, 120));
      continue;
    }
    // The toolkit's device lists name nodes under /dev, some without the prefix.
    AddOnce(*list, kind == "dev" && path.front() != '/' ? "/dev/" + path : path);
  }
}

CsvMounts ReadCsvMounts(const std::string& driver_root) {
  CsvMounts mounts;
  const std::string dir = JoinRoot(driver_root, kCsvMountSpecDir);
  std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(dir.c_str()), closedir);
  if (!listing) return mounts;
  std::vector<std::string> names;
  while (const dirent* entry = readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (IsCsvName(name) && !IsDirectory(dir + "/" + name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    ParseCsvMounts(path, ReadBoundedFile(path, kMaxCsvBytes, "CSV mount spec file"), mounts);
    mounts.files.push_back(path);
  }
  return mounts;
}

}  // namespace nvdp::cdi
