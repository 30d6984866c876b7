// The resource model every program shares: resources (nvidia.com/gpu, nvidia.com/mig-1g.5gb, ...)
// and their allocatable devices (GPUs, MIG devices, replicas), derived from the inventory and the
// configuration (spec §3). Pure: plain data in, plain data out.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/resource_name.h"
#include "config/strategies.h"
#include "device/inventory.h"
#include "device/mig_caps.h"

namespace nvdp::resource {

struct AllocatableDevice {
  std::string id;             // what the kubelet sees: GPU UUID, MIG UUID, or either + "::<n>"
  std::string gpu_uuid;       // the physical GPU behind it (the parent of a MIG device)
  std::string mig_uuid;       // a MIG device's own UUID ("" for a GPU)
  unsigned gpu_instance = 0;  // a MIG device's GPU and compute instance IDs
  unsigned compute_instance = 0;
  std::string index;               // NVML index: "3" for a GPU, "3:1" for a MIG device
  std::vector<std::string> paths;  // device nodes, e.g. /dev/nvidia3
  std::optional<int> numa_node;
  size_t gpu_position = 0;  // position in Inventory::gpus (and the link matrix)
  bool mig = false;
  // No topology-aware choice: a Tegra GPU (no device nodes) or WSL's one "all" device.
  bool integrated = false;
  int replicas = 0;  // > 0 for a time-sliced replica
};

struct Resource {
  std::string name;  // e.g. nvidia.com/gpu
  std::vector<AllocatableDevice> devices;

  const AllocatableDevice* Find(std::string_view id) const;
};

// Start-up is impossible with this inventory and configuration (spec §3.3's fatal cases).
class ResourceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ResourceSettings {
  config::MigStrategy mig_strategy = config::MigStrategy::kNone;
  config::Resources rules;  // after DefaultResourceRules
  const config::ReplicatedResources* replicated = nullptr;
  const device::MigCaps* mig_caps = nullptr;  // nullptr: MIG devices get only the parent node
  // --resource-pattern-matching: v0.18's substrings by default, v0.20's whole-text matches.
  config::PatternMatching pattern_matching = config::PatternMatching::kSubstring;
};

// The most devices one resource may advertise. Each is about 70 bytes in a ListAndWatch
// response, so this keeps the list near 1.1 MiB, well under the 4 MiB that the kubelet's gRPC
// client accepts by default (a larger list is rejected and the resource disappears).
inline constexpr size_t kMaxAdvertisedDevices = 16384;

// §3.1: {"*" -> nvidia.com/gpu} for GPUs; for MIG, "*" -> nvidia.com/gpu with single, and with
// mixed one rule per distinct profile the GPUs support, named nvidia.com/mig-<profile> ('+'
// becomes '.'), in NVML order.
config::Resources DefaultResourceRules(config::MigStrategy mig_strategy,
                                       const device::Inventory& inventory);
// The rules to build resources with: the defaults, or with --sharing-per-device the config's own
// `resources.gpus` and `resources.mig` where it has them.
config::Resources ResourceRules(config::MigStrategy mig_strategy,
                                const device::Inventory& inventory, const config::Config& config);
// The mixed strategy's resource for a MIG profile: 1g.5gb+me -> nvidia.com/mig-1g.5gb.me.
std::string MixedMigResourceName(std::string_view profile);

// §3.3 and §3.4. Resources are sorted by name, devices in NVML order; resources without devices
// are left out. Throws ResourceError.
std::vector<Resource> BuildResources(const device::Inventory& inventory,
                                     const ResourceSettings& settings);

}  // namespace nvdp::resource
