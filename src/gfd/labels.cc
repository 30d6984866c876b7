#include "gfd/labels.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "common/strings.h"
#include "config/strategies.h"
#include "resource/resource.h"

namespace nvdp::gfd {
namespace {

constexpr const char* kPrefix = "nvidia.com/";

// The sharing settings of one resource (§7.4): replicas, whether it is renamed, the strategy.
struct Shared {
  int replicas = 0;  // 0: sharing not considered (MIG-enabled GPUs in the full-GPU labels)
  bool renamed = false;
  std::string strategy = "none";
};

// With --sharing-per-device an entry counts only where it lists a device of this node.
bool EntryApplies(const config::ReplicatedResource& entry,
                  const std::vector<device::GpuInfo>& gpus) {
  if (entry.devices.kind != config::ReplicatedDevices::Kind::kList) return true;
  for (const std::string& reference : entry.devices.list) {
    for (const device::GpuInfo& gpu : gpus) {
      if (reference == gpu.uuid || reference == std::to_string(gpu.index)) return true;
      for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
        if (reference == mig.uuid ||
            reference == std::to_string(gpu.index) + ":" + std::to_string(mig.index)) {
          return true;
        }
      }
    }
  }
  return false;
}

// The resource's entries that apply: the most replicas any of them gives (per-device sharing
// can give GPUs of one resource different counts), renamed when all of them are.
Shared SharingOf(const config::Sharing* sharing, const std::string& resource,
                 const std::vector<device::GpuInfo>& gpus) {
  Shared shared;
  if (sharing == nullptr) return shared;
  shared.replicas = 1;
  if (const config::ReplicatedResources* block = sharing->replicated()) {
    bool any = false, all_renamed = true;
    for (const config::ReplicatedResource& entry : block->resources) {
      if (entry.name != resource) continue;
      if (sharing->per_device && !EntryApplies(entry, gpus)) continue;
      if (entry.replicas > 0) shared.replicas = std::max(shared.replicas, entry.replicas);
      all_renamed = all_renamed && entry.rename.has_value();
      any = true;
      if (!sharing->per_device) break;
    }
    shared.renamed = any && all_renamed;
  }
  if (shared.replicas > 1) {
    switch (sharing->strategy()) {
      case config::Sharing::Strategy::kMps:
        shared.strategy = "mps";
        break;
      case config::Sharing::Strategy::kTimeSlicing:
        shared.strategy = "time-slicing";
        break;
      case config::Sharing::Strategy::kNone:
        break;
    }
  }
  return shared;
}

std::string Product(const std::string& base, const Shared& shared) {
  return shared.replicas > 1 && !shared.renamed ? base + "-SHARED" : base;
}

// `resource` is e.g. nvidia.com/gpu; keys are "<resource>.<name>".
void PutSharing(Labels& labels, const std::string& resource, const std::string& product_base,
                int count, const Shared& shared) {
  labels[resource + ".product"] = Product(product_base, shared);
  labels[resource + ".count"] = std::to_string(count);
  labels[resource + ".replicas"] = std::to_string(shared.replicas);
  labels[resource + ".sharing-strategy"] = shared.strategy;
}

void FullGpuLabels(Labels& labels, const device::GpuInfo& gpu, int count,
                   const config::Sharing* sharing, const std::vector<device::GpuInfo>& gpus) {
  if (count == 0) return;
  const std::string resource = std::string(kPrefix) + "gpu";
  PutSharing(labels, resource, Sanitise(gpu.name), count, SharingOf(sharing, resource, gpus));
  if (gpu.memory_mib() > 0) labels[resource + ".memory"] = std::to_string(gpu.memory_mib());
  if (gpu.cc_major != 0) {  // upstream labels -1 (vfio) too
    labels[resource + ".family"] = GpuFamily(gpu.cc_major, gpu.cc_minor);
    labels[resource + ".compute.major"] = std::to_string(gpu.cc_major);
    labels[resource + ".compute.minor"] = std::to_string(gpu.cc_minor);
  }
}

// §7.4: MIG-enabled models first without sharing, then MIG-disabled ones with it; models in
// NVML order, a later one overriding an earlier one.
void ResourceLabels(Labels& labels, const std::vector<device::GpuInfo>& gpus,
                    const config::Sharing& sharing, std::vector<std::string>* warnings) {
  std::map<std::string, int> count;
  std::vector<const device::GpuInfo*> models[2];  // [0] MIG enabled, [1] MIG disabled
  for (const device::GpuInfo& gpu : gpus) {
    ++count[gpu.name];
    auto& group = models[gpu.mig_enabled ? 0 : 1];
    if (std::none_of(group.begin(), group.end(),
                     [&](const device::GpuInfo* g) { return g->name == gpu.name; })) {
      group.push_back(&gpu);
    }
  }
  if (count.size() > 1) {
    warnings->push_back(fmt::format(
        "Multiple device types detected: the labels describe {} (the last in NVML order)",
        gpus.back().name));
  }
  for (const device::GpuInfo* gpu : models[0])
    FullGpuLabels(labels, *gpu, count[gpu->name], nullptr, gpus);
  for (const device::GpuInfo* gpu : models[1]) {
    FullGpuLabels(labels, *gpu, count[gpu->name], &sharing, gpus);
  }
}

struct MigGroup {
  const device::GpuInfo* parent = nullptr;
  const device::MigDeviceInfo* first = nullptr;
  int count = 0;
};

std::string ProfileName(const std::string& profile) {
  std::string name = profile;
  std::replace(name.begin(), name.end(), '+', '.');
  return name;
}

void MigResourceLabels(Labels& labels, const std::string& resource, const MigGroup& group,
                       const config::Sharing& sharing, const std::vector<device::GpuInfo>& gpus) {
  const std::string base =
      Sanitise(group.parent->name) + "-MIG-" + Sanitise(ProfileName(group.first->profile));
  PutSharing(labels, resource, base, group.count, SharingOf(&sharing, resource, gpus));
  const device::MigAttributes& a = group.first->attributes;
  labels[resource + ".memory"] = std::to_string(a.memory_mib);
  labels[resource + ".multiprocessors"] = std::to_string(a.multiprocessors);
  labels[resource + ".slices.gi"] = std::to_string(a.gpu_instance_slices);
  labels[resource + ".slices.ci"] = std::to_string(a.compute_instance_slices);
  labels[resource + ".engines.copy"] = std::to_string(a.copy_engines);
  labels[resource + ".engines.decoder"] = std::to_string(a.decoders);
  labels[resource + ".engines.encoder"] = std::to_string(a.encoders);
  labels[resource + ".engines.jpeg"] = std::to_string(a.jpegs);
  labels[resource + ".engines.ofa"] = std::to_string(a.ofas);
}

// §7.5. The MIG devices grouped by profile (as NVML names it), in NVML order.
std::vector<std::pair<std::string, MigGroup>> MigGroups(const std::vector<device::GpuInfo>& gpus) {
  std::vector<std::pair<std::string, MigGroup>> groups;
  for (const device::GpuInfo& gpu : gpus) {
    if (!gpu.mig_enabled) continue;
    for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const auto& entry) { return entry.first == mig.profile; });
      if (it == groups.end()) {
        groups.push_back({mig.profile, MigGroup{&gpu, &mig, 0}});
        it = groups.end() - 1;
      }
      ++it->second.count;
    }
  }
  return groups;
}

void MigLabels(Labels& labels, const std::vector<device::GpuInfo>& gpus,
               const std::string& strategy_name, const config::Sharing& sharing) {
  const auto strategy = config::ParseMigStrategy(strategy_name);
  if (!strategy) {
    throw LabelError("error creating MIG labeler: unknown strategy: " + strategy_name);
  }
  if (*strategy == config::MigStrategy::kNone) return;
  labels[std::string(kPrefix) + "mig.strategy"] = strategy_name;
  auto groups = MigGroups(gpus);
  if (*strategy == config::MigStrategy::kMixed) {
    for (const auto& [profile, group] : groups) {
      MigResourceLabels(labels, resource::MixedMigResourceName(profile), group, sharing, gpus);
    }
    return;
  }
  const device::GpuInfo* first_enabled = nullptr;
  bool any_disabled = false, empty_enabled = false;
  for (const device::GpuInfo& gpu : gpus) {
    if (!gpu.mig_enabled) {
      any_disabled = true;
      continue;
    }
    if (!first_enabled) first_enabled = &gpu;
    if (gpu.mig_devices.empty()) empty_enabled = true;
  }
  if (first_enabled == nullptr) return;
  const std::string resource = std::string(kPrefix) + "gpu";
  if (empty_enabled || any_disabled || groups.size() != 1) {
    labels[resource + ".product"] = Sanitise(first_enabled->name) + "-MIG-INVALID";
    labels[resource + ".count"] = "0";
    labels[resource + ".replicas"] = "0";
    labels[resource + ".sharing-strategy"] = "";
    labels[resource + ".memory"] = "0";
    return;
  }
  MigResourceLabels(labels, resource, groups.front().second, sharing, gpus);
}

void ModeLabel(Labels& labels, const NodeFacts& facts, std::vector<std::string>* warnings) {
  std::optional<unsigned> common;
  bool known = true;
  for (size_t i = 0; i < facts.gpus.size(); ++i) {
    const auto& pci_class = i < facts.pci_classes.size() ? facts.pci_classes[i] : std::nullopt;
    if (!pci_class) {
      warnings->push_back("cannot read the PCI class of GPU " + facts.gpus[i].pci_bus_id);
      known = false;
      break;
    }
    if (common && *common != *pci_class) {
      warnings->push_back("GPUs of different PCI classes: gpu.mode is unknown");
      known = false;
      break;
    }
    common = pci_class;
  }
  std::string mode = "unknown";
  if (known && common == 0x030000u) mode = "graphics";
  if (known && common == 0x030200u) mode = "compute";
  labels[std::string(kPrefix) + "gpu.mode"] = mode;
}

void CliqueLabel(Labels& labels, const NodeFacts& facts, std::vector<std::string>* warnings) {
  std::set<std::string> clusters;
  std::set<unsigned> cliques;
  for (const FabricInfo& fabric : facts.fabric) {
    if (!fabric.attached) continue;
    clusters.insert(fabric.cluster_uuid);
    cliques.insert(fabric.clique_id);
  }
  if (clusters.empty()) return;
  if (clusters.size() > 1 || cliques.size() > 1) {
    warnings->push_back("GPUs in more than one fabric cluster or clique: no gpu.clique label");
    return;
  }
  labels[std::string(kPrefix) + "gpu.clique"] =
      *clusters.begin() + "." + std::to_string(*cliques.begin());
}

}  // namespace

std::string Sanitise(std::string_view text) {
  std::string kept;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
        c == ' ') {
      kept += c;
    }
  }
  std::vector<std::string> pieces;
  for (const std::string& piece : Split(kept, ' ')) {
    if (!piece.empty()) pieces.push_back(piece);
  }
  return Join(pieces, "-");
}

Labels DeviceLabels(const NodeFacts& facts, const std::string& mig_strategy,
                    const config::Sharing& sharing, std::vector<std::string>* warnings) {
  Labels labels;
  if (facts.gpus.empty()) return labels;

  labels[std::string(kPrefix) + "gpu.machine"] =
      facts.machine_type ? Sanitise(TrimSpace(*facts.machine_type)) : "unknown";

  const std::vector<std::string> version = Split(facts.driver_version, '.');
  if (version.size() != 2 && version.size() != 3) {
    throw LabelError("error creating version labeler: invalid driver version \"" +
                     facts.driver_version + "\": expected 2 or 3 numbers separated by '.'");
  }
  const std::string revision = version.size() == 3 ? version[2] : "";
  const std::string cuda_major = std::to_string(facts.cuda_driver_version / 1000);
  // Upstream's Tegra path takes the minor from the last two digits (12060 and 12100 both .6/.0).
  const std::string cuda_minor = std::to_string(
      facts.tegra ? facts.cuda_driver_version % 100 / 10 : facts.cuda_driver_version % 1000 / 10);
  const std::string p = kPrefix;
  labels[p + "cuda.driver.major"] = version[0];
  labels[p + "cuda.driver.minor"] = version[1];
  labels[p + "cuda.driver.rev"] = revision;
  labels[p + "cuda.driver-version.major"] = version[0];
  labels[p + "cuda.driver-version.minor"] = version[1];
  labels[p + "cuda.driver-version.revision"] = revision;
  labels[p + "cuda.driver-version.full"] = facts.driver_version;
  labels[p + "cuda.runtime.major"] = cuda_major;
  labels[p + "cuda.runtime.minor"] = cuda_minor;
  labels[p + "cuda.runtime-version.major"] = cuda_major;
  labels[p + "cuda.runtime-version.minor"] = cuda_minor;
  labels[p + "cuda.runtime-version.full"] = cuda_major + "." + cuda_minor;

  const bool mig_capable = std::any_of(facts.gpus.begin(), facts.gpus.end(),
                                       [](const device::GpuInfo& g) { return g.mig_capable; });
  labels[p + "mig.capable"] = mig_capable ? "true" : "false";
  bool mps = sharing.strategy() == config::Sharing::Strategy::kMps;
  if (mps && std::any_of(facts.gpus.begin(), facts.gpus.end(),
                         [](const device::GpuInfo& g) { return g.mig_enabled; })) {
    throw LabelError("error creating MPS labeler: MPS sharing is not supported for mig devices");
  }
  labels[p + "mps.capable"] = mps ? "true" : "false";

  ResourceLabels(labels, facts.gpus, sharing, warnings);
  MigLabels(labels, facts.gpus, mig_strategy, sharing);
  ModeLabel(labels, facts, warnings);
  CliqueLabel(labels, facts, warnings);
  return labels;
}

}  // namespace nvdp::gfd
