// The enumerated settings, parsed once from their text (flags, environment, config file) into
// types; every consumer compares types, never strings.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::config {

enum class MigStrategy { kNone, kSingle, kMixed };
std::optional<MigStrategy> ParseMigStrategy(std::string_view text);  // none, single, mixed
std::string_view Name(MigStrategy strategy);

enum class DeviceIdStrategy { kUuid, kIndex };
std::optional<DeviceIdStrategy> ParseDeviceIdStrategy(std::string_view text);  // uuid, index
std::string_view Name(DeviceIdStrategy strategy);

enum class DiscoveryStrategy { kAuto, kNvml, kTegra, kVfio };
// auto, nvml, tegra, and vfio (gpu-feature-discovery only: `allow_vfio`).
std::optional<DiscoveryStrategy> ParseDiscoveryStrategy(std::string_view text, bool allow_vfio);
std::string_view Name(DiscoveryStrategy strategy);

// --device-list-strategy: any combination of envvar, volume-mounts, cdi-annotations, cdi-cri.
struct DeviceListStrategies {
  bool envvar = false;
  bool volume_mounts = false;
  bool cdi_annotations = false;
  bool cdi_cri = false;

  bool any_cdi() const { return cdi_annotations || cdi_cri; }
  // The chosen strategies' names, in the order above.
  std::vector<std::string> Names() const;
  // nullopt when an item is not a strategy; `bad` names it.
  static std::optional<DeviceListStrategies> Parse(const std::vector<std::string>& items,
                                                   std::string* bad);
};

}  // namespace nvdp::config
