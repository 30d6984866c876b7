// Sharing set in a claim: the opaque device configuration of driver gpu.nvidia.com, API
// resource.nvidia.com/v1beta1, kinds GpuConfig and MigDeviceConfig, in the anchor's schema:
//   sharing: {strategy: TimeSlicing|MPS,
//             timeSlicingConfig: {interval: Default|Short|Medium|Long},      (GpuConfig only)
//             mpsConfig: {defaultActiveThreadPercentage, defaultPinnedDeviceMemoryLimit,
//                         defaultPerDevicePinnedMemoryLimit: {<index or UUID>: <quantity>}}}
// Parsing is strict: an unknown field, a wrong type or value is a ClaimError naming the field.
// Pure.
#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dra/checkpoint.h"
#include "dra/devices.h"

namespace nvdp::dra {

inline constexpr const char* kConfigApiVersion = "resource.nvidia.com/v1beta1";

enum class Strategy { kExclusive, kTimeSlicing, kMps };

struct MpsSettings {
  std::optional<int> active_thread_percentage;            // 1..100
  std::optional<unsigned long long> pinned_memory_bytes;  // every device of the daemon
  std::map<std::string, unsigned long long> per_device;   // index or UUID -> bytes
  bool operator==(const MpsSettings&) const = default;
};

struct Sharing {
  std::string kind = "GpuConfig";  // or MigDeviceConfig
  Strategy strategy = Strategy::kExclusive;
  int timeslice = 0;  // nvidia-smi compute-policy --set-timeslice: Default 0 … Long 3
  MpsSettings mps;
  bool operator==(const Sharing&) const = default;
};

// One opaque `parameters` object. Throws ClaimError ("sharing.mpsConfig.foo: unknown field").
Sharing ParseSharingConfig(const nlohmann::json& parameters);

struct ConfigEntry {
  std::vector<std::string> requests;  // empty: every request of the claim
  Sharing sharing;
};

// status.allocation.devices.config of `claim` for `driver`, parsed: the class's entries first,
// then the claim's, each in its order (a later entry overrides an earlier one). Entries of other
// drivers are skipped. Throws ClaimError naming the entry.
std::vector<ConfigEntry> ClaimConfigs(const nlohmann::json& claim, const std::string& driver);

// The sharing of a device allocated for `request`: the last entry naming the request (or naming
// none); exclusive when there is none. Throws ClaimError when that entry's kind does not fit the
// device (a GpuConfig for a MIG device, a MigDeviceConfig for a GPU).
Sharing SharingFor(const std::vector<ConfigEntry>& entries, const std::string& request, bool mig);

// The pinned-memory limit in MiB of each of `uuids` (the devices of one MPS daemon, in order):
// the default for all, then per-device entries keyed by UUID or by position in `uuids`. Throws
// ClaimError for an unknown key or a limit under 1 MiB.
std::map<std::string, unsigned long long> PinnedLimitsMiB(const MpsSettings& mps,
                                                          const std::vector<std::string>& uuids);

// A prepared device and the request it was allocated for (the first, if several).
struct SharedDevice {
  std::string request;
  const Device* device = nullptr;
};

// What the claim's configuration sets on the node for these devices: timeslices of whole GPUs
// (MIG devices always time-slice), and one MPS daemon for the devices that ask for MPS, which
// must share one mpsConfig. Throws ClaimError (MPS on a MIG device, differing mpsConfigs, bad
// limits, and SharingFor's errors).
ClaimSharingState PlanSharing(const std::vector<ConfigEntry>& entries,
                              const std::vector<SharedDevice>& devices);

// A Kubernetes quantity as a whole number of bytes, rounded up ("10Gi", "512M", "1.5Gi", "1e9").
// nullopt when it is not a quantity or is negative or too large.
std::optional<unsigned long long> QuantityBytes(std::string_view text);

}  // namespace nvdp::dra
