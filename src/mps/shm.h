// `mps-control-daemon mount-shm` (spec §9.5): a tmpfs at <root>/shm, half the node's memory, that
// MPS clients and the daemon share as /dev/shm. Done with mount(2): the runtime image has no mount
// binary.
#pragma once

#include <string>

namespace nvdp::mps {

// tmpfs size option from /proc/meminfo's text: half of MemTotal followed by the first letter of its
// unit ("MemTotal: 131906496 kB" -> "65953248k"); "65536k" when MemTotal cannot be read.
std::string ShmSize(const std::string& meminfo);

// Unmounts whatever is mounted at <root>/shm, recreates the directory and mounts the tmpfs
// (rw,nosuid,nodev,noexec,relatime,size=ShmSize). Throws std::runtime_error naming the step.
void MountShm(const std::string& root, const std::string& meminfo_path = "/proc/meminfo");

}  // namespace nvdp::mps
