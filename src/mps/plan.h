// What mps-control-daemon starts for a configuration (spec §9.1-9.2), computed from plain data:
// one control daemon per replicated resource, with the GPUs to put in exclusive-process mode, the
// pinned-memory limit per device and the active thread percentage.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/inventory.h"
#include "resource/resource.h"

namespace nvdp::mps {

// Most MPS clients a GPU accepts: 48 from compute capability 7.5 (Volta MPS), 16 below.
int MaxClients(int cc_major, int cc_minor);

struct PinnedMemoryLimit {
  std::string index;  // NVML index, as nvidia-cuda-mps-control takes it
  unsigned long long mib = 0;
  bool operator==(const PinnedMemoryLimit&) const = default;
};

struct DaemonPlan {
  std::string resource;                          // e.g. nvidia.com/gpu
  std::vector<std::string> uuids;                // distinct GPUs, first-seen order
  std::vector<PinnedMemoryLimit> pinned_limits;  // device memory / replicas on it, NVML order
  std::optional<int> active_thread_percentage;   // 100 / the most replicas on one GPU
  // The daemon's CUDA_VISIBLE_DEVICES; "": every GPU (the device plugin's daemons). With it,
  // pinned_limits' index is a position in this list.
  std::string visible_devices;
};

// Plans for every resource whose devices are replicas. Throws MpsError (control.h) when a GPU
// would get more replicas than MaxClients, or a resource holds MIG devices (MPS shares whole GPUs
// only; upstream starts a daemon anyway, which the plugin then refuses).
std::vector<DaemonPlan> PlanDaemons(const std::vector<resource::Resource>& resources,
                                    const device::Inventory& inventory);

}  // namespace nvdp::mps
