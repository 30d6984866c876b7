// The driver's user-space files a container needs, found under the driver root as mounted in the
// plugin's container, for the running driver version: libraries named *.so.<version>, the
// NVIDIA binaries, GSP firmware and IPC sockets. Paths are relative to the driver root (and are
// the same inside workload containers).
#pragma once

#include <string>
#include <vector>

namespace nvdp::cdi {

struct DriverFiles {
  std::vector<std::string> libraries;  // e.g. /usr/lib/x86_64-linux-gnu/libcuda.so.550.127.05
  std::vector<std::string> binaries;   // e.g. /usr/bin/nvidia-smi
  std::vector<std::string> firmware;   // e.g. /lib/firmware/nvidia/550.127.05/gsp_ga10x.bin
  std::vector<std::string> ipc;        // e.g. /run/nvidia-persistenced/socket

  // The directories of the libraries, first-seen order (for the ldcache update hook).
  std::vector<std::string> LibraryDirectories() const;
};

// Looks under `driver_root` ("/" on a node without a driver container). Each list is sorted.
DriverFiles FindDriverFiles(const std::string& driver_root, const std::string& driver_version);

}  // namespace nvdp::cdi
