#include "cdi/writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/fs.h"
#include "common/log.h"

namespace nvdp::cdi {
namespace fs = std::filesystem;

std::vector<std::string> WriteSpecs(const std::string& dir, const std::vector<Spec>& specs) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error)
    throw std::runtime_error("cannot create the CDI spec directory " + dir + ": " +
                             error.message());
  std::vector<std::string> written;
  for (const Spec& spec : specs) {
    const std::string path = (fs::path(dir) / spec.FileName()).string();
    WriteFileAtomically(path, spec.ToJson());
    written.push_back(path);
  }
  const std::string prefix = std::string(kVendor) + "-";
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".json")) continue;
    if (std::find(written.begin(), written.end(), entry.path().string()) != written.end()) continue;
    if (fs::remove(entry.path(), error))
      LOG_INFO("Removed the stale CDI spec {}", entry.path().string());
  }
  return written;
}

}  // namespace nvdp::cdi
