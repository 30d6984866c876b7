#include "dra/devices.h"

#include <cctype>

#include "common/strings.h"
#include "device/architecture.h"
#include "device/pci.h"

namespace nvdp::dra {
namespace {

constexpr const char* kPciBusIdAttribute = "resource.kubernetes.io/pciBusID";
constexpr const char* kPcieRootAttribute = "resource.kubernetes.io/pcieRoot";
constexpr const char* kNumaNodeAttribute = "resource.kubernetes.io/numaNode";

// What a MIG device shares with its parent GPU, and the GPU has itself.
void AddGpuAttributes(const device::Inventory& inventory, const device::GpuInfo& gpu,
                      std::map<std::string, Attribute>& out) {
  out["productName"] = Attribute::String(gpu.name);
  if (!gpu.brand.empty()) out["brand"] = Attribute::String(gpu.brand);
  if (std::string arch = device::ArchitectureName(gpu.cc_major, gpu.cc_minor); !arch.empty()) {
    out["architecture"] = Attribute::String(arch);
  }
  out["cudaComputeCapability"] =
      Attribute::Version(std::to_string(gpu.cc_major) + "." + std::to_string(gpu.cc_minor) + ".0");
  if (std::string version = SemVer(inventory.driver_version); !version.empty()) {
    out["driverVersion"] = Attribute::Version(version);
  }
  if (std::string cuda = CudaVersion(inventory.cuda_driver_version); !cuda.empty()) {
    out["cudaDriverVersion"] = Attribute::Version(cuda);
  }
  out[kPciBusIdAttribute] = Attribute::String(PciBusIdAttribute(gpu.pci_bus_id));
  if (!gpu.pcie_root.empty()) out[kPcieRootAttribute] = Attribute::String(gpu.pcie_root);
  if (gpu.numa_node) out[kNumaNodeAttribute] = Attribute::Int(*gpu.numa_node);
}

// What a GPU and its MIG devices share: the GPU's UUID, problem and attributes.
Device DeviceOn(const device::Inventory& inventory, const device::GpuInfo& gpu, std::string name,
                std::string uuid, bool mig) {
  Device device;
  device.name = std::move(name);
  device.mig = mig;
  device.uuid = std::move(uuid);
  device.gpu_uuid = gpu.uuid;
  device.problem = gpu.problem;
  device.attributes["type"] = Attribute::String(mig ? "mig" : "gpu");
  device.attributes["uuid"] = Attribute::String(device.uuid);
  AddGpuAttributes(inventory, gpu, device.attributes);
  return device;
}

Device GpuDevice(const device::Inventory& inventory, const device::GpuInfo& gpu) {
  Device device = DeviceOn(inventory, gpu, GpuDeviceName(gpu.minor), gpu.uuid, false);
  device.capacity["memory"] = Quantity(gpu.memory_bytes);
  return device;
}

Device MigDevice(const device::Inventory& inventory, const device::GpuInfo& gpu,
                 const device::MigDeviceInfo& mig) {
  Device device = DeviceOn(inventory, gpu, MigDeviceName(gpu.minor, mig), mig.uuid, true);
  device.attributes["parentUUID"] = Attribute::String(gpu.uuid);
  device.attributes["profile"] = Attribute::String(mig.profile);
  const device::MigAttributes& a = mig.attributes;
  device.capacity["multiprocessors"] = std::to_string(a.multiprocessors);
  device.capacity["copyEngines"] = std::to_string(a.copy_engines);
  device.capacity["decoders"] = std::to_string(a.decoders);
  device.capacity["encoders"] = std::to_string(a.encoders);
  device.capacity["jpegEngines"] = std::to_string(a.jpegs);
  device.capacity["ofaEngines"] = std::to_string(a.ofas);
  device.capacity["memory"] = Quantity(mig.memory_bytes);
  for (unsigned slice = mig.placement_start; slice < mig.placement_start + mig.placement_size;
       ++slice) {
    device.capacity["memorySlice" + std::to_string(slice)] = "1";
  }
  return device;
}

}  // namespace

std::vector<Device> PublishedDevices(const device::Inventory& inventory) {
  std::vector<Device> devices;
  if (inventory.tegra || inventory.wsl) return devices;
  for (const device::GpuInfo& gpu : inventory.gpus) {
    if (!gpu.mig_enabled) {
      devices.push_back(GpuDevice(inventory, gpu));
      continue;
    }
    for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
      devices.push_back(MigDevice(inventory, gpu, mig));
    }
  }
  return devices;
}

std::string GpuDeviceName(unsigned minor) { return "gpu-" + std::to_string(minor); }

std::string MigDeviceName(unsigned parent_minor, const device::MigDeviceInfo& mig) {
  std::string profile;
  for (char c : mig.profile) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      profile += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return GpuDeviceName(parent_minor) + "-mig-" + profile + "-" +
         std::to_string(mig.gpu_instance_profile_id) + "-" + std::to_string(mig.placement_start);
}

std::string Quantity(unsigned long long bytes) {
  static constexpr const char* kSuffixes[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  if (bytes == 0) return "0";
  int suffix = -1;
  while (suffix < 5 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++suffix;
  }
  return std::to_string(bytes) + (suffix >= 0 ? kSuffixes[suffix] : "");
}

std::string SemVer(std::string_view version) {
  const std::vector<std::string> parts = Split(std::string(version), '.');
  if (parts.empty() || parts.size() > 3) return "";
  std::string out;
  for (std::size_t i = 0; i < 3; ++i) {
    long long number = 0;
    if (i < parts.size()) {
      const std::string& part = parts[i];
      const bool digits = !part.empty() && part.size() <= 9 &&
                          part.find_first_not_of("0123456789") == std::string::npos;
      if (!digits || !ParseInt64(part, &number)) return "";
    }
    if (i) out += '.';
    out += std::to_string(number);
  }
  return out;
}

std::string CudaVersion(int cuda_driver_version) {
  if (cuda_driver_version <= 0) return "";
  return std::to_string(cuda_driver_version / 1000) + "." +
         std::to_string(cuda_driver_version % 1000 / 10) + ".0";
}

std::string PciBusIdAttribute(std::string_view nvml_bus_id) {
  return device::NormalizeBusId(nvml_bus_id);
}

}  // namespace nvdp::dra
