// Paths under a root directory (a driver root, the host's root, a simulated root) and the few
// file-type checks the programs make on them.
#pragma once

#include <string>
#include <vector>

namespace nvdp {

// `path` (absolute) under `root`: JoinRoot("/host/", "/dev/x") is "/host/dev/x"; a root of "" or
// "/" leaves the path as it is.
std::string JoinRoot(const std::string& root, const std::string& path);

// Where to read a host file such as /sys/... or /dev/...: under the container driver root first
// (the host's root on a node, or a simulated root), then in this container. `path` "" gives the
// roots themselves.
std::vector<std::string> HostRoots(const std::string& driver_root, const std::string& path);

bool PathExists(const std::string& path);  // following links
bool IsDirectory(const std::string& path);
bool IsCharDevice(const std::string& path);

}  // namespace nvdp
