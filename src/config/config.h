// The config file v1 schema (spec §2.2) as plain data. Every flag-backed field is optional:
// "unset" matters, because a config value survives unless its flag was given explicitly (§2.1).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
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
  bool fail_requests_greater_than_one_given = false;  // the file set it (true or false)
  std::vector<ReplicatedResource> resources;
};

struct Sharing {
  std::optional<ReplicatedResources> time_slicing;
  std::optional<ReplicatedResources> mps;
  // --sharing-per-device: entries replicate only their `devices`; the rest stay unshared.
  bool per_device = false;

  enum class Strategy { kNone, kTimeSlicing, kMps };
  // §2.5: MPS if its block is present and any resource has replicas > 1, else time-slicing if any
  // of its resources has, else none.
  Strategy strategy() const;
  // §2.5: the MPS block when present (even unreplicated), else the time-slicing block.
  const ReplicatedResources* replicated() const;
};

// A flag-backed key's value (file_keys.h): strings, bools, integers and durations (nanoseconds)
// as long long, and lists.
using FileValue =
    std::variant<std::string, bool, long long, std::vector<std::string>, std::vector<long long>>;

struct Config {
  std::string version = "v1";
  // Flag-backed keys by their dotted path (keys::k…): what the file set, then what the merge with
  // the command line set. A key that is absent was set by neither.
  std::map<std::string, FileValue, std::less<>> values;
  // The objects the file wrote (flags, flags.plugin, flags.gfd, imex), even when empty.
  std::set<std::string, std::less<>> sections;
  Resources resources;
  Sharing sharing;

  // Typed reads of `values`; nullopt when the key is absent.
  std::optional<std::string> String(std::string_view key) const;
  std::optional<bool> Bool(std::string_view key) const;
  std::optional<long long> Int(std::string_view key) const;  // also durations, in nanoseconds
  std::optional<std::vector<std::string>> Strings(std::string_view key) const;
  std::optional<std::vector<long long>> Ints(std::string_view key) const;
  bool Has(std::string_view key) const { return values.find(key) != values.end(); }
  void Set(std::string_view key, FileValue value) { values[std::string(key)] = std::move(value); }
};

}  // namespace nvdp::config
