#include "cdi/driver_files.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "common/paths.h"

namespace nvdp::cdi {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLibraryDirs[] = {"/usr/lib/x86_64-linux-gnu",
                                        "/usr/lib/x86_64-linux-gnu/vdpau",
                                        "/usr/lib/aarch64-linux-gnu",
                                        "/usr/lib/aarch64-linux-gnu/vdpau",
                                        "/usr/lib64",
                                        "/usr/lib64/vdpau",
                                        "/lib/x86_64-linux-gnu",
                                        "/lib/aarch64-linux-gnu",
                                        "/lib64",
                                        "/usr/lib"};
constexpr const char* kBinaryDirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin",
                                       "/usr/local/nvidia/bin"};
constexpr const char* kBinaries[] = {"nvidia-smi",
                                     "nvidia-debugdump",
                                     "nvidia-persistenced",
                                     "nvidia-cuda-mps-control",
                                     "nvidia-cuda-mps-server",
                                     "nvidia-imex",
                                     "nvidia-imex-ctl"};
// Sockets are looked for under /run first: under a driver root mounted into a container,
// /var/run is usually an absolute link to /run, which would point into the container's own /run.
constexpr const char* kRunDirs[] = {"/run", "/var/run"};
constexpr const char* kSockets[] = {"/nvidia-persistenced/socket", "/nvidia-fabricmanager/socket"};
constexpr const char* kMpsPipes = "/tmp/nvidia-mps";
constexpr const char* kFirmwareDirs[] = {"/lib/firmware/updates/nvidia", "/lib/firmware/nvidia"};

// Regular files (or links to them) in `dir` whose name satisfies `match`, as paths under root.
template <typename Match>
void Collect(const std::string& root, const std::string& dir, Match match,
             std::vector<std::string>& into) {
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(JoinRoot(root, dir), error)) {
    const std::string name = entry.path().filename().string();
    if (!match(name) || !entry.is_regular_file(error)) continue;
    const std::string path = dir + "/" + name;
    // /usr/lib is listed after the multiarch directories; the same file is mounted once.
    if (std::find(into.begin(), into.end(), path) == into.end()) into.push_back(path);
  }
}

}  // namespace

std::vector<std::string> DriverFiles::LibraryDirectories() const {
  std::vector<std::string> dirs;
  for (const std::string& library : libraries) {
    std::string dir = library.substr(0, library.rfind('/'));
    if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
  }
  return dirs;
}

DriverFiles FindDriverFiles(const std::string& driver_root, const std::string& driver_version) {
  DriverFiles files;
  const std::string suffix = ".so." + driver_version;
  for (const char* dir : kLibraryDirs) {
    Collect(
        driver_root, dir,
        [&](const std::string& name) {
          return name.ends_with(suffix) || name.starts_with("libnvidia-nvvm70.so.");
        },
        files.libraries);
  }
  for (const char* binary : kBinaries) {
    for (const char* dir : kBinaryDirs) {
      const std::string path = std::string(dir) + "/" + binary;
      const std::string found = JoinRoot(driver_root, path);
      if (access(found.c_str(), X_OK) == 0 && fs::is_regular_file(found)) {
        files.binaries.push_back(path);
        break;
      }
    }
  }
  for (const char* dir : kFirmwareDirs) {
    Collect(
        driver_root, std::string(dir) + "/" + driver_version,
        [](const std::string& name) { return name.starts_with("gsp") && name.ends_with(".bin"); },
        files.firmware);
  }
  for (const char* socket : kSockets) {
    for (const char* dir : kRunDirs) {
      const std::string path = std::string(dir) + socket;
      if (PathExists(JoinRoot(driver_root, path))) {
        files.ipc.push_back(path);
        break;
      }
    }
  }
  if (PathExists(JoinRoot(driver_root, kMpsPipes))) files.ipc.push_back(kMpsPipes);
  std::sort(files.libraries.begin(), files.libraries.end());
  std::sort(files.binaries.begin(), files.binaries.end());
  std::sort(files.firmware.begin(), files.firmware.end());
  return files;
}

}  // namespace nvdp::cdi
