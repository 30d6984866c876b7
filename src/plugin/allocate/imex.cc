#include "plugin/allocate/imex.h"

#include "cdi/generate.h"
#include "common/paths.h"
#include "plugin/allocate/allocate.h"
#include "resource/resource.h"

namespace nvdp::plugin {

std::vector<std::string> ExistingImexChannels(const std::vector<long long>& ids, bool required,
                                              const std::string& container_driver_root,
                                              std::vector<std::string>* warnings) {
  // Looked for where the CDI specs look for device nodes, and in this container.
  const cdi::Roots roots = cdi::Roots::Resolve(container_driver_root, "/", "/");
  std::vector<std::string> channels;
  for (long long id : ids) {
    const std::string name = "channel" + std::to_string(id);
    const std::string path = std::string(kImexChannelDir) + "/" + name;
    if (IsCharDevice(roots.LocalDevice(path)) || IsCharDevice(path)) {
      channels.push_back(std::to_string(id));
      continue;
    }
    if (required) throw ResourceError("requested IMEX channel " + name + " does not exist");
    warnings->push_back("Ignoring requested IMEX channel " + name + ": " + path +
                        " is not a character device (is the IMEX daemon running?)");
  }
  return channels;
}

}  // namespace nvdp::plugin
