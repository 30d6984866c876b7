#include "plugin/imex.h"

#include <sys/stat.h>

#include "plugin/allocate.h"
#include "plugin/resource.h"

namespace nvdp::plugin {
namespace {

bool IsCharDevice(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISCHR(info.st_mode);
}

bool IsDirectory(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

std::vector<std::string> ExistingImexChannels(const std::vector<long long>& ids, bool required,
                                              const std::string& container_driver_root,
                                              std::vector<std::string>* warnings) {
  const std::string dev_root =
      IsDirectory(JoinRoot(container_driver_root, "/dev")) ? container_driver_root : "/";
  std::vector<std::string> channels;
  for (long long id : ids) {
    const std::string name = "channel" + std::to_string(id);
    const std::string path = std::string(kImexChannelDir) + "/" + name;
    if (IsCharDevice(JoinRoot(dev_root, path)) || IsCharDevice(path)) {
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
