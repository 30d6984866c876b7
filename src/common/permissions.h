// What to tell an operator when the process lacks the rights for something it must create: the
// runtime image runs as 65532, and the kubelet's and the host's directories belong to root.
#pragma once

#include <stdexcept>
#include <string>

namespace nvdp {

// The process may not create what it must (the runtime image in a chart that runs it as 65532):
// nothing retrying can fix, so the program stops with this message, which names the way out.
class PermissionDenied : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "running as uid 65532 (gid 65532): use the -compat image, or run this one as root
// (podSecurityContext.runAsUser=0)".
std::string PermissionHint();

// Whether an errno value means missing rights (EACCES, EPERM; a read-only EROFS is not).
bool IsPermissionError(int error);

}  // namespace nvdp
