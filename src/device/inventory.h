// What the node has, read once through NVML at start and then treated as immutable: the GPUs and
// the pairwise links between them. Nothing on the allocation path goes back to NVML.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "device/link_matrix.h"

namespace nvdp::device {

// nvmlDeviceAttributes_t of a MIG device.
struct MigAttributes {
  unsigned multiprocessors = 0;
  unsigned copy_engines = 0;
  unsigned decoders = 0;
  unsigned encoders = 0;
  unsigned jpegs = 0;
  unsigned ofas = 0;
  unsigned gpu_instance_slices = 0;
  unsigned compute_instance_slices = 0;
  unsigned long long memory_mib = 0;

  bool operator==(const MigAttributes&) const = default;
};

struct MigDeviceInfo {
  std::string uuid;    // MIG-...
  unsigned index = 0;  // slot for nvmlDeviceGetMigDeviceHandleByIndex
  unsigned gpu_instance = 0;
  unsigned compute_instance = 0;
  // The GPU instance's NVML profile ID and placement (memory slices start..start+size-1).
  unsigned gpu_instance_profile_id = 0;
  unsigned placement_start = 0;
  unsigned placement_size = 0;
  std::string profile;    // e.g. 1g.5gb, 1c.2g.10gb, 1g.5gb+me
  bool graphics = false;  // a +gfx GPU instance: containers get the parent's DRM nodes too
  MigAttributes attributes;
  unsigned long long memory_bytes = 0;
};

struct GpuInfo {
  unsigned index = 0;  // NVML index (display GPUs are skipped, so there can be gaps)
  std::string uuid;    // GPU-xxxxxxxx-...
  std::string name;    // e.g. NVIDIA A100-SXM4-40GB
  unsigned long long memory_bytes = 0;
  std::string pci_bus_id;  // as NVML reports it: 00000000:07:00.0
  unsigned pci_device_id = 0;
  unsigned minor = 0;  // /dev/nvidia<minor>
  int cc_major = 0;
  int cc_minor = 0;
  std::string brand;  // go-nvlib's spelling ("Nvidia", "Tesla", …); "" when NVML cannot say
  std::optional<int> numa_node;  // from sysfs; absent when unknown
  std::string pcie_root;         // e.g. pci0000:00, from sysfs; "" when unknown
  // nvidia-drm's nodes for it (/dev/dri/card1, /dev/dri/renderD128), from sysfs drm/.
  std::vector<std::string> drm_nodes;
  // Non-empty when NVML failed for this GPU at start; it is then advertised as Unhealthy.
  std::string problem;

  bool mig_capable = false;
  bool mig_enabled = false;  // current MIG mode
  std::vector<MigDeviceInfo> mig_devices;
  // Profiles this GPU can create with C == G (no compute sub-partition), in NVML profile order:
  // the mixed strategy's default resource names come from these (spec §3.1).
  std::vector<std::string> mig_profiles;

  unsigned long long memory_mib() const { return memory_bytes >> 20; }
};

struct Inventory {
  // A Tegra (Jetson, IGX) node: one integrated GPU "tegra", not served through NVML
  // (discovery/tegra.h).
  bool tegra = false;
  // A WSL2 node: NVML answers through the Windows driver, every GPU is behind /dev/dxg and cannot
  // be given to a container alone.
  bool wsl = false;
  std::string driver_version;   // e.g. 550.127.05
  int cuda_driver_version = 0;  // e.g. 12040
  std::string nvml_library;     // the file that was loaded
  std::vector<GpuInfo> gpus;    // NVML index order
  LinkMatrix links;             // indexed by position in `gpus`
  // GPUs that could not even be identified (no UUID), as "index N: reason".
  std::vector<std::string> unreadable;
};

}  // namespace nvdp::device
