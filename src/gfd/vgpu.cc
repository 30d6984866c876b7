#include "gfd/vgpu.h"

#include <filesystem>

#include "common/fs.h"
#include "common/strings.h"

namespace nvdp::gfd {
namespace {

namespace fs = std::filesystem;

constexpr size_t kConfigSize = 256;
constexpr unsigned char kVendorCapability = 0x09;

std::string ReadFile(const fs::path& path) { return ReadAttribute(path.string()).value_or(""); }

// The bytes of the first vendor-specific capability, or "" when there is none.
std::string VendorCapability(const std::string& config) {
  auto byte = [&](size_t at) { return static_cast<unsigned char>(config[at]); };
  if ((byte(0x06) & 0x10) == 0) return "";  // no capability list
  std::vector<bool> seen(kConfigSize);
  for (size_t pos = byte(0x34); pos != 0 && pos + 2 < kConfigSize; pos = byte(pos + 1)) {
    if (seen[pos]) break;  // a loop
    seen[pos] = true;
    const unsigned char id = byte(pos);
    if (id == 0xFF) break;
    if (id == kVendorCapability) {
      const size_t length = byte(pos + 2);
      return config.substr(pos, std::min(length, kConfigSize - pos));
    }
  }
  return "";
}

std::string NulTrimmed(const std::string& bytes) { return bytes.substr(0, bytes.find('\0')); }

}  // namespace

std::optional<VgpuHostDriver> ParseVgpuConfig(const std::string& config) {
  if (config.size() < kConfigSize) {
    throw LabelError("PCI config space of " + std::to_string(config.size()) +
                     " bytes (need 256): run gpu-feature-discovery privileged to read it");
  }
  const std::string capability = VendorCapability(config);
  if (capability.size() < 5 || capability[3] != 'V' || capability[4] != 'F') return std::nullopt;
  // Records (id, length, data...) follow the 5-byte header; id 0 is the host driver.
  for (size_t pos = 5; pos + 1 < capability.size();) {
    const auto id = static_cast<unsigned char>(capability[pos]);
    const auto length = static_cast<unsigned char>(capability[pos + 1]);
    if (id == 0 && pos + 2 + 20 <= capability.size()) {
      return VgpuHostDriver{NulTrimmed(capability.substr(pos + 2, 10)),
                            NulTrimmed(capability.substr(pos + 12, 10))};
    }
    if (length == 0) break;
    pos += length;
  }
  throw LabelError("vGPU capability without the host driver record");
}

Labels VgpuLabels(const std::string& sysfs_root, std::string* warning) {
  Labels labels;
  std::optional<VgpuHostDriver> host;
  bool present = false;
  std::error_code error;
  const fs::path devices = fs::path(sysfs_root) / "bus/pci/devices";
  for (const fs::directory_entry& entry : fs::directory_iterator(devices, error)) {
    if (TrimSpace(ReadFile(entry.path() / "vendor")) != "0x10de") continue;
    const std::string config = ReadFile(entry.path() / "config");
    if (config.size() < kConfigSize) {  // upstream drops the whole labeler here
      *warning = "vGPU labels left out: " + entry.path().filename().string() +
                 ": PCI config space of " + std::to_string(config.size()) +
                 " bytes (need 256): run gpu-feature-discovery privileged to read it";
      return {};
    }
    if (auto parsed = ParseVgpuConfig(config)) {  // throws without a host driver record
      present = true;
      host = parsed;
    }
  }
  labels["nvidia.com/vgpu.present"] = present ? "true" : "false";
  if (host) {
    labels["nvidia.com/vgpu.host-driver-version"] = host->version;
    labels["nvidia.com/vgpu.host-driver-branch"] = host->branch;
  }
  return labels;
}

}  // namespace nvdp::gfd
