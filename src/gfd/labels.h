// gpu-feature-discovery's node labels (spec §7.3–7.7), computed from facts read once per pass.
// Pure: the facts come in, a sorted label map comes out, so every rule is unit-tested without
// NVML. Where upstream's output depends on Go map order (several GPU models), ours follows the
// GPUs' NVML order: the last model listed wins, and the output is sorted by key.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "device/architecture.h"
#include "device/inventory.h"

namespace nvdp::gfd {

using Labels = std::map<std::string, std::string>;

// A fact that makes labelling impossible (bad driver version, MPS with MIG, bad MIG strategy).
class LabelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// §7.3: keeps [A-Za-z0-9-_. ] and joins whitespace-separated pieces with '-'.
std::string Sanitise(std::string_view text);
using device::GpuFamily;  // §7.4

struct FabricInfo {
  bool attached = false;  // state COMPLETED, status SUCCESS, a non-zero cluster UUID
  std::string cluster_uuid;
  unsigned clique_id = 0;
};

struct NodeFacts {
  bool tegra = false;           // read through CUDA, not NVML (gfd/cuda_facts.h)
  std::string driver_version;   // e.g. 550.54.15
  int cuda_driver_version = 0;  // e.g. 12040
  std::vector<device::GpuInfo> gpus;
  std::vector<std::optional<unsigned>> pci_classes;  // per GPU; nullopt: unreadable
  std::vector<FabricInfo> fabric;                    // per GPU
  std::optional<std::string> machine_type;           // file contents; nullopt: unreadable
};

// Labels of §7.3 item 2 (machine, versions, capabilities, resources, MIG, mode, clique); empty
// without GPUs. `warnings` collects what upstream logs as warnings. Throws LabelError.
Labels DeviceLabels(const NodeFacts& facts, const std::string& mig_strategy,
                    const config::Sharing& sharing, std::vector<std::string>* warnings);

}  // namespace nvdp::gfd
