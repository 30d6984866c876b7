// The devices gpu-kubelet-plugin publishes in its ResourceSlices, named and described as NVIDIA's
// DRA driver (gpu.nvidia.com) does: `gpu-<minor>` for a whole GPU, and for a MIG device
// `gpu-<minor>-mig-<profile without dots>-<GPU instance profile ID>-<placement start>`, so names
// stay the same across restarts and releases. Pure: built from the inventory read at start.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "device/inventory.h"

namespace nvdp::dra {

inline constexpr const char* kDriverName = "gpu.nvidia.com";

// A ResourceSlice device attribute: exactly one of string, int, bool or version (semver).
struct Attribute {
  enum class Type { kString, kInt, kBool, kVersion };
  Type type = Type::kString;
  std::string text;  // string and version
  long long number = 0;
  bool flag = false;

  static Attribute String(std::string value) { return {Type::kString, std::move(value)}; }
  static Attribute Version(std::string value) { return {Type::kVersion, std::move(value)}; }
  static Attribute Int(long long value) { return {Type::kInt, "", value}; }
  bool operator==(const Attribute&) const = default;
};

struct Device {
  std::string name;
  bool mig = false;
  std::string uuid;      // GPU-... or MIG-...
  std::string gpu_uuid;  // the GPU's (a MIG device's parent's)
  std::string problem;   // non-empty: NVML failed for it at start; never prepared
  std::map<std::string, Attribute> attributes;
  std::map<std::string, std::string> capacity;  // name -> Kubernetes quantity
};

// The node's devices: every GPU without MIG enabled, and the MIG devices of those with it.
// Tegra and WSL nodes have none (gpu-kubelet-plugin refuses them at start).
std::vector<Device> PublishedDevices(const device::Inventory& inventory);

std::string GpuDeviceName(unsigned minor);
std::string MigDeviceName(unsigned parent_minor, const device::MigDeviceInfo& mig);

// Bytes as a Kubernetes binary-SI quantity: 42949672960 -> "40Gi", 1000 -> "1000".
std::string Quantity(unsigned long long bytes);
// A dotted version as semver: "550.127.05" -> "550.127.5", "8.0" -> "8.0.0"; "" when it is not
// one to three dot-separated numbers.
std::string SemVer(std::string_view version);
// NVML's CUDA driver version (12040) as semver ("12.4.0").
std::string CudaVersion(int cuda_driver_version);
// NVML's bus ID (00000000:07:00.0) as Kubernetes' pciBusID attribute wants it (0000:07:00.0).
std::string PciBusIdAttribute(std::string_view nvml_bus_id);

}  // namespace nvdp::dra
