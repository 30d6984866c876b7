#include "config/strategies.h"

namespace nvdp::config {

std::optional<MigStrategy> ParseMigStrategy(std::string_view text) {
  if (text == "none") return MigStrategy::kNone;
  if (text == "single") return MigStrategy::kSingle;
  if (text == "mixed") return MigStrategy::kMixed;
  return std::nullopt;
}

std::string_view Name(MigStrategy strategy) {
  switch (strategy) {
    case MigStrategy::kSingle:
      return "single";
    case MigStrategy::kMixed:
      return "mixed";
    case MigStrategy::kNone:
      break;
  }
  return "none";
}

std::optional<DeviceIdStrategy> ParseDeviceIdStrategy(std::string_view text) {
  if (text == "uuid") return DeviceIdStrategy::kUuid;
  if (text == "index") return DeviceIdStrategy::kIndex;
  return std::nullopt;
}

std::string_view Name(DeviceIdStrategy strategy) {
  return strategy == DeviceIdStrategy::kIndex ? "index" : "uuid";
}

std::optional<DiscoveryStrategy> ParseDiscoveryStrategy(std::string_view text, bool allow_vfio) {
  if (text == "auto") return DiscoveryStrategy::kAuto;
  if (text == "nvml") return DiscoveryStrategy::kNvml;
  if (text == "tegra") return DiscoveryStrategy::kTegra;
  if (text == "vfio" && allow_vfio) return DiscoveryStrategy::kVfio;
  return std::nullopt;
}

std::string_view Name(DiscoveryStrategy strategy) {
  switch (strategy) {
    case DiscoveryStrategy::kNvml:
      return "nvml";
    case DiscoveryStrategy::kTegra:
      return "tegra";
    case DiscoveryStrategy::kVfio:
      return "vfio";
    case DiscoveryStrategy::kAuto:
      break;
  }
  return "auto";
}

std::vector<std::string> DeviceListStrategies::Names() const {
  std::vector<std::string> names;
  if (envvar) names.push_back("envvar");
  if (volume_mounts) names.push_back("volume-mounts");
  if (cdi_annotations) names.push_back("cdi-annotations");
  if (cdi_cri) names.push_back("cdi-cri");
  return names;
}

std::optional<DeviceListStrategies> DeviceListStrategies::Parse(
    const std::vector<std::string>& items, std::string* bad) {
  DeviceListStrategies strategies;
  for (const std::string& item : items) {
    if (item == "envvar") {
      strategies.envvar = true;
    } else if (item == "volume-mounts") {
      strategies.volume_mounts = true;
    } else if (item == "cdi-annotations") {
      strategies.cdi_annotations = true;
    } else if (item == "cdi-cri") {
      strategies.cdi_cri = true;
    } else {
      *bad = item;
      return std::nullopt;
    }
  }
  return strategies;
}

}  // namespace nvdp::config
