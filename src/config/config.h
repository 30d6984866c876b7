// The config file v1 schema (spec §2.2) as plain data. Every flag-backed field is optional:
// "unset" matters, because a config value survives unless its flag was given explicitly (§2.1).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace nvdp::config {

// A resource name rule: devices whose name (GPU) or profile (MIG) matches `pattern` go to `name`.
struct ResourceRule {
  std::string pattern;  // '*' is a wildcard
  std::string name;     // full resource name, e.g. nvidia.com/gpu
};

struct Resources {
  std::vector<ResourceRule> gpus;
  std::vector<ResourceRule> mig;
};

// `devices` of a shared resource: "all", a count of the first GPUs, or explicit references.
struct ReplicatedDevices {
  enum class Kind { kAll, kCount, kList };
  Kind kind = Kind::kAll;
  int count = 0;
  // Canonical text of each reference: "3", "3:1", "GPU-<uuid>", "MIG-<uuid>", "MIG-GPU-<uuid>/1/0".
  std::vector<std::string> list;
};

struct ReplicatedResource {
  std::string name;                   // full resource name
  std::optional<std::string> rename;  // full resource name
  ReplicatedDevices devices;
  int replicas = 0;
};

struct ReplicatedResources {
  bool rename_by_default = false;
  bool fail_requests_greater_than_one = false;
  std::vector<ReplicatedResource> resources;
};

struct Sharing {
  std::optional<ReplicatedResources> time_slicing;
  std::optional<ReplicatedResources> mps;

  enum class Strategy { kNone, kTimeSlicing, kMps };
  // §2.5: MPS if its block is present and any resource has replicas > 1, else time-slicing if any
  // of its resources has, else none.
  Strategy strategy() const;
  // §2.5: the MPS block when present (even unreplicated), else the time-slicing block.
  const ReplicatedResources* replicated() const;
};

struct PluginFlags {
  std::optional<bool> pass_device_specs;
  std::optional<std::vector<std::string>> device_list_strategy;
  std::optional<std::string> device_id_strategy;
  std::optional<std::string> cdi_annotation_prefix;
  std::optional<std::string> nvidia_ctk_path;
  std::optional<std::string> container_driver_root;
};

struct GfdFlags {
  std::optional<bool> oneshot;
  std::optional<bool> no_timestamp;
  std::optional<long long> sleep_interval_ns;
  std::optional<std::string> output_file;
  std::optional<std::string> machine_type_file;
};

struct Flags {
  std::optional<std::string> mig_strategy;
  std::optional<bool> fail_on_init_error;
  std::optional<std::string> mps_root;
  std::optional<std::string> nvidia_driver_root;
  std::optional<std::string> nvidia_dev_root;
  std::optional<bool> gdrcopy_enabled;
  std::optional<bool> gds_enabled;
  std::optional<bool> mofed_enabled;
  std::optional<bool> use_node_feature_api;
  std::optional<std::string> device_discovery_strategy;
  std::optional<PluginFlags> plugin;
  std::optional<GfdFlags> gfd;
};

struct Imex {
  std::vector<long long> channel_ids;
  bool required = false;
};

struct Config {
  std::string version = "v1";
  Flags flags;
  Resources resources;
  Sharing sharing;
  Imex imex;
};

}  // namespace nvdp::config
