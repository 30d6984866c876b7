#include "discovery/wsl.h"

#include "common/paths.h"

namespace nvdp::discovery {

bool HasWslMarkers(const std::string& driver_root) {
  return PathExists(JoinRoot(driver_root, "/usr/lib/wsl/lib/libdxcore.so"));
}

}  // namespace nvdp::discovery
