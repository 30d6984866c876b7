#include "common/permissions.h"

#include <unistd.h>

#include <cerrno>

namespace nvdp {

std::string PermissionHint() {
  return "running as uid " + std::to_string(getuid()) + " (gid " + std::to_string(getgid()) +
         "): use the -compat image, or run this one as root (podSecurityContext.runAsUser=0)";
}

bool IsPermissionError(int error) { return error == EACCES || error == EPERM; }

}  // namespace nvdp
