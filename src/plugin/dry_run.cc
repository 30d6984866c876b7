#include "plugin/dry_run.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "config/effective.h"
#include "plugin/allocate/preferred.h"
#include "plugin/server/kubelet_registration.h"

namespace nvdp::plugin {
namespace {

using Json = nlohmann::ordered_json;

bool Healthy(const Plan& plan, const AllocatableDevice& device) {
  return plan.inventory.gpus[device.gpu_position].problem.empty();
}

// How GetPreferredAllocation chooses for this resource.
std::string PreferencePolicy(const Plan& plan, const Resource& resource) {
  if (PreferredAllocator(resource, plan.preference).aligned()) return "best-effort";
  return std::string(alloc::SharedPolicyName(plan.preference.shared_policy));
}

Json NumaJson(const std::optional<int>& node) { return node ? Json(*node) : Json(nullptr); }

}  // namespace

std::string DescribeAsText(const Plan& plan) {
  const device::Inventory& inventory = plan.inventory;
  std::string out;
  if (inventory.tegra) {
    out = "Tegra: one integrated GPU, served without NVML\n";
  } else {
    out = fmt::format("NVIDIA driver {}, CUDA driver {}.{}, NVML from {}\n",
                      inventory.driver_version, inventory.cuda_driver_version / 1000,
                      inventory.cuda_driver_version % 1000 / 10, inventory.nvml_library);
    out += fmt::format("{} GPU(s):\n", inventory.gpus.size());
    if (inventory.wsl)
      out += "WSL2: the GPUs share /dev/dxg and are advertised as one device \"all\"\n";
  }
  for (const device::GpuInfo& gpu : inventory.gpus) {
    if (inventory.tegra) break;
    std::string drm;
    for (const std::string& node : gpu.drm_nodes) drm += " " + node;
    out += fmt::format(
        "  GPU {}: {} {} {} MiB, compute {}.{}, PCI {}, /dev/nvidia{}{}, NUMA {}{}{}\n", gpu.index,
        gpu.uuid, gpu.name, gpu.memory_mib(), gpu.cc_major, gpu.cc_minor, gpu.pci_bus_id, gpu.minor,
        drm, gpu.numa_node ? std::to_string(*gpu.numa_node) : "unknown",
        gpu.mig_enabled ? ", MIG enabled" : "",
        gpu.problem.empty() ? "" : " [UNHEALTHY: " + gpu.problem + "]");
    for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
      out += fmt::format("    MIG {}:{} {} {} (GPU instance {}, compute instance {}{})\n",
                         gpu.index, mig.index, mig.uuid, mig.profile, mig.gpu_instance,
                         mig.compute_instance, mig.graphics ? ", graphics" : "");
    }
  }
  for (const std::string& problem : inventory.unreadable) out += "  unreadable " + problem + "\n";
  if (plan.resources.empty()) out += "No devices found: nothing would be advertised.\n";
  for (const Resource& resource : plan.resources) {
    out += fmt::format("Resource {} ({} devices, socket {}, preferred allocation {}):\n",
                       resource.name, resource.devices.size(), SocketName(resource.name),
                       PreferencePolicy(plan, resource));
    for (const AllocatableDevice& device : resource.devices) {
      out += "  " + device.id + (Healthy(plan, device) ? "" : " (Unhealthy)") + "\n";
    }
  }
  return out;
}

std::string DescribeAsJson(const Plan& plan) {
  const device::Inventory& inventory = plan.inventory;
  Json doc;
  doc["platform"] = inventory.tegra ? "tegra" : "nvml";
  doc["driverVersion"] = inventory.driver_version;
  doc["cudaDriverVersion"] = inventory.cuda_driver_version;
  doc["nvmlLibrary"] = inventory.nvml_library;
  doc["gpus"] = Json::array();
  for (const device::GpuInfo& gpu : inventory.gpus) {
    Json g;
    g["index"] = gpu.index;
    g["uuid"] = gpu.uuid;
    g["name"] = gpu.name;
    g["memoryMiB"] = gpu.memory_mib();
    g["pciBusId"] = gpu.pci_bus_id;
    g["pciDeviceId"] = fmt::format("0x{:08X}", gpu.pci_device_id);
    g["minor"] = gpu.minor;
    g["computeCapability"] = {gpu.cc_major, gpu.cc_minor};
    g["numaNode"] = NumaJson(gpu.numa_node);
    g["migCapable"] = gpu.mig_capable;
    g["migEnabled"] = gpu.mig_enabled;
    g["migDevices"] = Json::array();
    for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
      g["migDevices"].push_back({{"index", mig.index},
                                 {"uuid", mig.uuid},
                                 {"profile", mig.profile},
                                 {"gpuInstance", mig.gpu_instance},
                                 {"computeInstance", mig.compute_instance},
                                 {"memoryMiB", mig.memory_bytes >> 20}});
    }
    if (!gpu.problem.empty()) g["problem"] = gpu.problem;
    doc["gpus"].push_back(std::move(g));
  }
  doc["unreadable"] = inventory.unreadable;
  const device::LinkMatrix& links = inventory.links;
  doc["links"] = Json::array();
  for (size_t a = 0; a < links.size(); ++a) {
    for (size_t b = 0; b < links.size(); ++b) {
      if (a == b) continue;
      doc["links"].push_back({{"from", a},
                              {"to", b},
                              {"pcie", std::string(device::P2PLinkName(links.p2p(a, b)))},
                              {"nvlinks", links.nvlinks(a, b)}});
    }
  }
  doc["switchNvLinks"] = Json::array();
  for (size_t a = 0; a < links.size(); ++a) doc["switchNvLinks"].push_back(links.switch_nvlinks(a));
  doc["config"] = Json::parse(config::ToJson(plan.config));
  doc["resources"] = Json::array();
  for (const Resource& resource : plan.resources) {
    Json r;
    r["name"] = resource.name;
    r["socket"] = SocketName(resource.name);
    r["preferredAllocation"] = PreferencePolicy(plan, resource);
    r["devices"] = Json::array();
    for (const AllocatableDevice& device : resource.devices) {
      r["devices"].push_back({{"id", device.id},
                              {"index", device.index},
                              {"health", Healthy(plan, device) ? "Healthy" : "Unhealthy"},
                              {"numaNode", NumaJson(device.numa_node)},
                              {"paths", device.paths}});
    }
    doc["resources"].push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

}  // namespace nvdp::plugin
