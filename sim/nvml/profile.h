// A simulated machine, as described by a YAML profile (format: docs/simulator.md).
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace nvdp::sim {

// A GPU instance profile the GPU supports (nvmlDeviceGetGpuInstanceProfileInfo).
struct MigProfileSpec {
  unsigned index = 0;  // NVML profile index, e.g. 0x7 for 1_SLICE_REV1
  unsigned id = 0;     // the profile id NVML reports (nvidia-smi's "Profile ID")
  std::string label;   // e.g. 1g.5gb+me: how mig_devices refer to it
  unsigned slices = 0;
  unsigned instances = 0;
  unsigned multiprocessors = 0;
  unsigned copy_engines = 0;
  unsigned decoders = 0;
  unsigned encoders = 0;
  unsigned jpegs = 0;
  unsigned ofas = 0;
  unsigned long long memory_mib = 0;
};

// One GPU instance and its compute instances (each compute instance is one MIG device).
struct MigInstanceSpec {
  std::string profile;                   // label of a MigProfileSpec
  std::vector<unsigned> compute_slices;  // empty: one compute instance covering the GPU instance
};

// What nvmlDeviceGetGpuFabricInfo reports; absent: NVML_ERROR_NOT_SUPPORTED (pre-Hopper).
struct FabricSpec {
  std::string cluster_uuid;  // canonical UUID text; all zeros when not in a cluster
  unsigned clique_id = 0;
  unsigned state = 3;  // NVML_GPU_FABRIC_STATE_*: 0 not supported ... 3 completed
  int status = 0;      // nvmlReturn_t of the fabric registration
};

struct GpuProfile {
  std::string uuid;
  std::string name;
  unsigned long long memory_mib = 0;
  int cc_major = 0;
  int cc_minor = 0;
  std::string bus_id;  // NVML form, 00000000:07:00.0
  unsigned pci_device_id = 0;
  unsigned pci_subsystem_id = 0;
  unsigned minor = 0;
  std::optional<int> numa_node;
  unsigned pci_class = 0x030200;  // sysfs class: 0x030200 3D controller, 0x030000 VGA
  int brand = 14;                 // nvmlBrandType_t: NVML_BRAND_NVIDIA (data-center GPUs today)
  std::optional<FabricSpec> fabric;
  // PCIe path from the CPU down to the GPU's own switch: [cpu, host bridge, switch, ...].
  std::vector<std::string> pcie;
  std::string board;  // GPUs on the same board (e.g. K80) share it
  // Its DRM nodes (nvidia-drm loaded): card<N>, renderD<N> under /dev/dri and in sysfs drm/.
  std::vector<std::string> drm;
  bool mig_capable = false;
  unsigned long long supported_events = 0;
  std::vector<MigProfileSpec> mig_profiles;
  bool mig_enabled = false;
  unsigned max_mig_devices = 7;
  std::vector<MigInstanceSpec> mig_devices;
};

struct NvLinkPair {
  size_t a = 0;
  size_t b = 0;
  int links = 0;
};

struct Profile {
  std::string name;
  std::string description;
  std::string machine_type;  // DMI product name (/sys/class/dmi/id/product_name)
  std::string driver_version;
  int cuda_driver_version = 0;
  std::string nvml_version;
  int init_error = 0;  // nvmlReturn_t for nvmlInit; 0 = succeeds
  std::vector<GpuProfile> gpus;
  std::vector<NvLinkPair> nvlinks;            // direct GPU-GPU links
  std::vector<std::string> nvswitch_bus_ids;  // NVSwitch fabric, if any
  int nvswitch_links_per_gpu = 0;
};

class ProfileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates; errors name the profile, the field and what was expected.
Profile ParseProfile(const std::string& yaml_text, const std::string& origin);

// Profiles built into the simulator, by name (sim/profiles/*.yaml).
const std::map<std::string, std::string>& BuiltinProfiles();

// Resolves NVML_SIM_PROFILE: a built-in name, or a path to a YAML file.
Profile LoadProfile(const std::string& name_or_path);

// The GPU instance profile labelled `label`, or nullptr.
const MigProfileSpec* FindMigProfile(const GpuProfile& gpu, const std::string& label);

// nvmlDeviceGetTopologyCommonAncestor for two GPUs of a profile (an nvmlGpuTopologyLevel_t).
int CommonAncestorLevel(const GpuProfile& a, const GpuProfile& b);

}  // namespace nvdp::sim
