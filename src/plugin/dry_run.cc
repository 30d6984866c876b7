#include "plugin/dry_run.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace nvdp::plugin {

std::string DescribeAsText(const device::Inventory& inventory,
                           const std::vector<Resource>& resources) {
  std::string out = fmt::format("NVIDIA driver {}, CUDA driver {}.{}, NVML from {}\n",
                                inventory.driver_version, inventory.cuda_driver_version / 1000,
                                inventory.cuda_driver_version % 1000 / 10, inventory.nvml_library);
  out += fmt::format("{} GPU(s):\n", inventory.gpus.size());
  for (const device::GpuInfo& gpu : inventory.gpus) {
    out += fmt::format("  GPU {}: {} {} {} MiB, compute {}.{}, PCI {}, /dev/nvidia{}, NUMA {}{}\n",
                       gpu.index, gpu.uuid, gpu.name, gpu.memory_mib(), gpu.cc_major, gpu.cc_minor,
                       gpu.pci_bus_id, gpu.minor,
                       gpu.numa_node ? std::to_string(*gpu.numa_node) : "unknown",
                       gpu.problem.empty() ? "" : " [UNHEALTHY: " + gpu.problem + "]");
  }
  for (const std::string& problem : inventory.unreadable)
    out += "  unreadable GPU " + problem + "\n";
  if (resources.empty()) out += "No devices found: nothing would be advertised.\n";
  for (const Resource& resource : resources) {
    out += fmt::format("Resource {} ({} devices, socket {}):\n", resource.name,
                       resource.devices.size(), SocketName(resource.name));
    for (const AllocatableDevice& device : resource.devices) {
      bool healthy = inventory.gpus[device.gpu_position].problem.empty();
      out += "  " + device.id + (healthy ? "" : " (Unhealthy)") + "\n";
    }
  }
  return out;
}

std::string DescribeAsJson(const device::Inventory& inventory,
                           const std::vector<Resource>& resources) {
  nlohmann::ordered_json doc;
  doc["driverVersion"] = inventory.driver_version;
  doc["cudaDriverVersion"] = inventory.cuda_driver_version;
  doc["nvmlLibrary"] = inventory.nvml_library;
  doc["gpus"] = nlohmann::ordered_json::array();
  for (const device::GpuInfo& gpu : inventory.gpus) {
    nlohmann::ordered_json g;
    g["index"] = gpu.index;
    g["uuid"] = gpu.uuid;
    g["name"] = gpu.name;
    g["memoryMiB"] = gpu.memory_mib();
    g["pciBusId"] = gpu.pci_bus_id;
    g["pciDeviceId"] = fmt::format("0x{:08X}", gpu.pci_device_id);
    g["minor"] = gpu.minor;
    g["computeCapability"] = {gpu.cc_major, gpu.cc_minor};
    g["numaNode"] = gpu.numa_node ? nlohmann::ordered_json(*gpu.numa_node) : nullptr;
    if (!gpu.problem.empty()) g["problem"] = gpu.problem;
    doc["gpus"].push_back(std::move(g));
  }
  doc["unreadableGpus"] = inventory.unreadable;
  const device::LinkMatrix& links = inventory.links;
  doc["links"] = nlohmann::ordered_json::array();
  for (size_t a = 0; a < links.size(); ++a) {
    for (size_t b = 0; b < links.size(); ++b) {
      if (a == b) continue;
      doc["links"].push_back({{"from", a},
                              {"to", b},
                              {"pcie", std::string(device::P2PLinkName(links.p2p(a, b)))},
                              {"nvlinks", links.nvlinks(a, b)}});
    }
  }
  doc["switchNvLinks"] = nlohmann::ordered_json::array();
  for (size_t a = 0; a < links.size(); ++a) doc["switchNvLinks"].push_back(links.switch_nvlinks(a));
  doc["resources"] = nlohmann::ordered_json::array();
  for (const Resource& resource : resources) {
    nlohmann::ordered_json r;
    r["name"] = resource.name;
    r["socket"] = SocketName(resource.name);
    r["devices"] = nlohmann::ordered_json::array();
    for (const AllocatableDevice& device : resource.devices) {
      bool healthy = inventory.gpus[device.gpu_position].problem.empty();
      r["devices"].push_back(
          {{"id", device.id},
           {"index", device.index},
           {"health", healthy ? "Healthy" : "Unhealthy"},
           {"numaNode", device.numa_node ? nlohmann::ordered_json(*device.numa_node) : nullptr}});
    }
    doc["resources"].push_back(std::move(r));
  }
  return doc.dump(2) + "\n";
}

}  // namespace nvdp::plugin
