#include "dra/claim_cdi.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "common/fs.h"
#include "common/log.h"

namespace nvdp::dra {
namespace {

namespace fs = std::filesystem;
constexpr const char* kFilePrefix = "k8s.gpu.nvidia.com-claim_";
constexpr const char* kFileSuffix = ".json";
constexpr std::size_t kMaxSpecBytes = 4 << 20;

}  // namespace

std::string CdiDeviceId(const std::string& claim_uid, const std::string& device_name) {
  return std::string(kClaimCdiKind) + "=" + claim_uid + "-" + device_name;
}

ClaimSpecs::ClaimSpecs(const cdi::Spec& gpu_spec, std::string dir)
    : common_(gpu_spec.edits), dir_(std::move(dir)) {
  for (const cdi::Device& device : gpu_spec.devices) device_edits_[device.name] = device.edits;
}

cdi::Spec ClaimSpecs::Build(const std::string& claim_uid,
                            const std::vector<std::pair<std::string, std::string>>& devices,
                            const cdi::ContainerEdits& extra) const {
  cdi::Spec spec;
  spec.kind = kClaimCdiKind;
  spec.edits = common_;
  spec.edits.Merge(extra);
  for (const auto& [name, uuid] : devices) {
    auto it = device_edits_.find(uuid);
    if (it == device_edits_.end()) {
      throw std::runtime_error("no CDI edits for device " + name + " (" + uuid + ")");
    }
    spec.devices.push_back({claim_uid + "-" + name, it->second});
  }
  return spec;
}

std::string ClaimSpecs::PathOf(const std::string& claim_uid) const {
  return (fs::path(dir_) / (kFilePrefix + claim_uid + kFileSuffix)).string();
}

void ClaimSpecs::Write(const std::string& claim_uid, const cdi::Spec& spec) const {
  WriteFileAtomically(PathOf(claim_uid), spec.ToJson());
}

void ClaimSpecs::Remove(const std::string& claim_uid) const {
  const std::string path = PathOf(claim_uid);
  if (std::remove(path.c_str()) != 0 && errno != ENOENT) {
    const int error = errno;
    throw FsError("cannot remove " + path + ": " + std::strerror(error), error);
  }
}

std::map<std::string, std::vector<std::string>> ClaimSpecs::Scan() const {
  std::map<std::string, std::vector<std::string>> found;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, error)) {
    const std::string file = entry.path().filename().string();
    if (!file.starts_with(kFilePrefix) || !file.ends_with(kFileSuffix)) continue;
    const std::string uid =
        file.substr(std::strlen(kFilePrefix),
                    file.size() - std::strlen(kFilePrefix) - std::strlen(kFileSuffix));
    try {
      const nlohmann::json spec =
          nlohmann::json::parse(ReadBoundedFile(entry.path().string(), kMaxSpecBytes, "CDI spec"));
      std::vector<std::string> names;
      for (const nlohmann::json& device : spec.at("devices")) {
        const std::string name = device.at("name").get<std::string>();
        if (name.starts_with(uid + "-")) names.push_back(name.substr(uid.size() + 1));
      }
      found[uid] = std::move(names);
    } catch (const std::exception& failure) {
      LOG_WARNING("Skipping the unreadable claim CDI spec {}: {}", entry.path().string(),
                  failure.what());
    }
  }
  return found;
}

}  // namespace nvdp::dra
