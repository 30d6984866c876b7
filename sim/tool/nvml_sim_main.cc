// nvml-sim: inspect and validate simulator profiles, and write their sysfs NUMA files.
//   nvml-sim list                          built-in profiles
//   nvml-sim show <profile> [--json]       GPUs and the link matrix the simulator will report, and
//                                           what programs set (NVML_SIM_STATE: compute mode,
//                                           timeslice)
//   nvml-sim check <profile.yaml>...       validate profiles (exit 1 on the first error)
//   nvml-sim root --out <dir> [--libdir <dir>] [profile]...
//                                           write what the programs read outside NVML for these
//                                           profiles (default: all built-in) under a driver root:
//                                           sys/bus/pci/devices/<id>/{numa_node,class,vendor,drm/}
//                                           (a link into sys/devices/pciDDDD:00/, as on Linux),
//                                           dev/dri nodes and by-path links,
//                                           proc/driver/nvidia-caps/mig-minors, dev/nvidia* nodes,
//                                           the driver's files for CDI (libraries named with each
//                                           profile's driver version under --libdir, GSP
//                                           firmware, the persistenced socket; placeholders),
//                                           and for one profile sys/class/dmi/id/product_name
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../common/sim_state.h"
#include "nvml/nvml_abi.h"
#include "profile.h"

namespace fs = std::filesystem;
using nvdp::sim::Profile;

namespace {

int Usage() {
  std::cerr << "usage: nvml-sim list | show <profile> [--json] | check <file>... | "
               "root --out <dir> [--libdir <dir>] [profile]...\n"
               "A profile is a built-in name (see `nvml-sim list`) or a path to a YAML file.\n";
  return 2;
}

const char* LevelName(int level) {
  switch (level) {
    case NVML_TOPOLOGY_INTERNAL:
      return "BRD";
    case NVML_TOPOLOGY_SINGLE:
      return "PIX";
    case NVML_TOPOLOGY_MULTIPLE:
      return "PXB";
    case NVML_TOPOLOGY_HOSTBRIDGE:
      return "PHB";
    case NVML_TOPOLOGY_NODE:
      return "NODE";
    default:
      return "SYS";
  }
}

std::string NormalizedBusId(std::string id) {
  for (char& c : id) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (id.starts_with("0000")) id.erase(0, 4);
  return id;
}

int List() {
  for (const auto& [name, text] : nvdp::sim::BuiltinProfiles()) {
    Profile p = nvdp::sim::ParseProfile(text, name);
    std::printf("%-20s %s\n", name.c_str(), p.description.c_str());
  }
  return 0;
}

int ShowJson(const Profile& p) {
  nlohmann::ordered_json doc;
  doc["name"] = p.name;
  doc["description"] = p.description;
  doc["machineType"] = p.machine_type;
  doc["driverVersion"] = p.driver_version;
  doc["cudaDriverVersion"] = p.cuda_driver_version;
  doc["initError"] = p.init_error;
  doc["gpus"] = nlohmann::ordered_json::array();
  for (const auto& g : p.gpus) {
    doc["gpus"].push_back(
        {{"uuid", g.uuid},
         {"name", g.name},
         {"memoryMiB", g.memory_mib},
         {"computeCapability", {g.cc_major, g.cc_minor}},
         {"pciBusId", g.bus_id},
         {"minor", g.minor},
         {"numaNode", g.numa_node ? nlohmann::ordered_json(*g.numa_node) : nullptr},
         {"pciClass", g.pci_class},
         {"fabric", g.fabric ? nlohmann::ordered_json{{"clusterUuid", g.fabric->cluster_uuid},
                                                      {"cliqueId", g.fabric->clique_id},
                                                      {"state", g.fabric->state},
                                                      {"status", g.fabric->status}}
                             : nlohmann::ordered_json(nullptr)}});
  }
  doc["nvlinks"] = nlohmann::ordered_json::array();
  for (const auto& link : p.nvlinks) doc["nvlinks"].push_back({link.a, link.b, link.links});
  doc["nvswitchLinksPerGpu"] = p.nvswitch_bus_ids.empty() ? 0 : p.nvswitch_links_per_gpu;
  if (const char* state = nvdp::sim::StateFile()) {
    doc["settings"] = nlohmann::ordered_json::object();
    for (const auto& [key, value] : nvdp::sim::ReadSettings(state)) {
      doc["settings"][key.first][key.second] = value;
    }
  }
  std::cout << doc.dump(2) << "\n";
  return 0;
}

int Show(const std::string& which, bool json) {
  Profile p = nvdp::sim::LoadProfile(which);
  if (json) return ShowJson(p);
  std::printf("%s: %s\ndriver %s, CUDA %d.%d\n", p.name.c_str(), p.description.c_str(),
              p.driver_version.c_str(), p.cuda_driver_version / 1000,
              p.cuda_driver_version % 1000 / 10);
  if (p.init_error != 0) std::printf("nvmlInit fails with NVML error %d\n", p.init_error);
  std::printf("\n%-4s %-42s %-28s %9s %4s %-16s %s\n", "GPU", "UUID", "name", "MiB", "CC", "bus id",
              "NUMA");
  for (size_t i = 0; i < p.gpus.size(); ++i) {
    const auto& g = p.gpus[i];
    std::printf("%-4zu %-42s %-28s %9llu %d.%d  %-16s %s\n", i, g.uuid.c_str(), g.name.c_str(),
                g.memory_mib, g.cc_major, g.cc_minor, g.bus_id.c_str(),
                g.numa_node ? std::to_string(*g.numa_node).c_str() : "-");
  }
  if (const char* state = nvdp::sim::StateFile()) {
    std::printf("\nSet by programs (%s):\n", state);
    for (const auto& [key, value] : nvdp::sim::ReadSettings(state)) {
      std::printf("  %-42s %-13s %s\n", key.first.c_str(), key.second.c_str(), value.c_str());
    }
  }
  if (p.gpus.size() < 2) return 0;
  std::vector<std::vector<int>> nv(p.gpus.size(), std::vector<int>(p.gpus.size(), 0));
  for (const auto& link : p.nvlinks) {
    nv[link.a][link.b] += link.links;
    nv[link.b][link.a] += link.links;
  }
  std::printf("\nLinks (NV<n>: direct NVLinks; otherwise the PCIe relation):\n      ");
  for (size_t j = 0; j < p.gpus.size(); ++j) std::printf("GPU%-4zu", j);
  std::printf("\n");
  for (size_t i = 0; i < p.gpus.size(); ++i) {
    std::printf("GPU%-3zu", i);
    for (size_t j = 0; j < p.gpus.size(); ++j) {
      std::string cell = i == j ? "X"
                         : nv[i][j]
                             ? "NV" + std::to_string(nv[i][j])
                             : LevelName(nvdp::sim::CommonAncestorLevel(p.gpus[i], p.gpus[j]));
      std::printf("%-7s", cell.c_str());
    }
    std::printf("\n");
  }
  if (!p.nvswitch_bus_ids.empty()) {
    std::printf("\nNVSwitch fabric: %zu switches, %d NVLinks per GPU\n", p.nvswitch_bus_ids.size(),
                p.nvswitch_links_per_gpu);
  }
  return 0;
}

// The driver's MIG capability minors, as /proc/driver/nvidia-caps/mig-minors lists them for every
// possible GPU, GPU instance and compute instance.
void WriteMigMinors(const fs::path& root) {
  fs::create_directories(root / "proc/driver/nvidia-caps");
  std::ofstream out(root / "proc/driver/nvidia-caps/mig-minors");
  out << "config 1\nmonitor 2\n";
  int minor = 3;
  for (int gpu = 0; gpu < 16; ++gpu) {
    for (int gi = 0; gi < 15; ++gi) {
      out << "gpu" << gpu << "/gi" << gi << "/access " << minor++ << "\n";
      for (int ci = 0; ci < 8; ++ci) {
        out << "gpu" << gpu << "/gi" << gi << "/ci" << ci << "/access " << minor++ << "\n";
      }
    }
  }
}

// Placeholder device nodes: the control nodes (the plugin checks they exist before passing them
// on) and one per possible GPU minor.
void WriteDeviceNodes(const fs::path& root) {
  fs::create_directories(root / "dev");
  for (const char* node : {"nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"}) {
    std::ofstream(root / "dev" / node);
  }
  for (int minor = 0; minor < 16; ++minor)
    std::ofstream(root / "dev" / ("nvidia" + std::to_string(minor)));
}

// Placeholders for the files a driver installation has, named with the driver version, as the CDI
// spec generator looks for them.
void WriteDriverFiles(const fs::path& root, const std::string& libdir, const std::string& version) {
  fs::create_directories(root / libdir);
  for (const char* library :
       {"libcuda.so.", "libnvidia-ml.so.", "libnvidia-ptxjitcompiler.so.", "libnvidia-nvvm.so.",
        "libcudadebugger.so.", "libnvidia-opencl.so."}) {
    std::ofstream(root / libdir / (library + version))
        << "simulated " << library << version << "\n";
  }
  fs::create_directories(root / "lib/firmware/nvidia" / version);
  for (const char* firmware : {"gsp_ga10x.bin", "gsp_tu10x.bin"}) {
    std::ofstream(root / "lib/firmware/nvidia" / version / firmware) << "simulated\n";
  }
  // As on a host: the socket under /run, /var/run a link to it.
  fs::create_directories(root / "run/nvidia-persistenced");
  std::ofstream socket(root / "run/nvidia-persistenced/socket");  // an empty placeholder
  fs::create_directories(root / "var");
  std::error_code error;
  if (!fs::exists(fs::symlink_status(root / "var/run", error))) {
    fs::create_directory_symlink("../run", root / "var/run");
  }
}

int Sysfs(const fs::path& out, const std::string& libdir, std::vector<std::string> names) {
  const bool one_profile = names.size() == 1;
  if (names.empty()) {
    for (const auto& [name, text] : nvdp::sim::BuiltinProfiles()) names.push_back(name);
  }
  // bus id -> (NUMA node, PCI class, profile): profiles sharing a bus id must agree.
  struct Written {
    std::optional<int> numa;
    unsigned pci_class;
    std::string profile;
  };
  std::map<std::string, Written> written;
  for (const std::string& name : names) {
    Profile p = nvdp::sim::LoadProfile(name);
    if (!p.driver_version.empty()) WriteDriverFiles(out, libdir, p.driver_version);
    for (const auto& gpu : p.gpus) {
      std::string id = NormalizedBusId(gpu.bus_id);
      auto [it, inserted] = written.try_emplace(id, Written{gpu.numa_node, gpu.pci_class, p.name});
      if (!inserted &&
          (it->second.numa != gpu.numa_node || it->second.pci_class != gpu.pci_class)) {
        std::cerr << "nvml-sim: bus id " << id << " has another NUMA node or PCI class in profile "
                  << it->second.profile << " than in profile " << p.name
                  << "; give the profiles distinct bus ids\n";
        return 1;
      }
      // As on Linux: the device under its root complex in sys/devices, linked from the bus.
      const std::string root_complex = "pci" + id.substr(0, 4) + ":00";
      fs::path dir = out / "sys/devices" / root_complex / id;
      fs::create_directories(dir);
      const fs::path bus_link = out / "sys/bus/pci/devices" / id;
      fs::create_directories(bus_link.parent_path());
      if (!fs::is_symlink(bus_link)) fs::remove_all(bus_link);
      if (!fs::exists(bus_link)) {
        fs::create_directory_symlink("../../../devices/" + root_complex + "/" + id, bus_link);
      }
      if (gpu.numa_node) std::ofstream(dir / "numa_node") << *gpu.numa_node << "\n";
      char pci_class[16];
      std::snprintf(pci_class, sizeof pci_class, "0x%06x", gpu.pci_class);
      std::ofstream(dir / "class") << pci_class << "\n";
      std::ofstream(dir / "vendor") << "0x10de\n";
      // 256 bytes of config space: IDs, class, no capability list (not a vGPU).
      std::string config(256, '\0');
      config[0] = '\xde';
      config[1] = '\x10';
      config[2] = static_cast<char>(gpu.pci_device_id >> 16 & 0xFF);
      config[3] = static_cast<char>(gpu.pci_device_id >> 24 & 0xFF);
      config[0x0A] = static_cast<char>(gpu.pci_class >> 8 & 0xFF);
      config[0x0B] = static_cast<char>(gpu.pci_class >> 16 & 0xFF);
      std::ofstream(dir / "config", std::ios::binary) << config;
      // nvidia-drm's nodes: sysfs drm/<name>, /dev/dri/<name> and the udev by-path links.
      for (const std::string& node : gpu.drm) {
        fs::create_directories(dir / "drm" / node);
        fs::create_directories(out / "dev/dri/by-path");
        std::ofstream placeholder(out / "dev/dri" / node);
        const fs::path link = out / "dev/dri/by-path" /
                              ("pci-" + id + (node.starts_with("card") ? "-card" : "-render"));
        fs::remove(link);
        fs::create_symlink("../" + node, link);
      }
    }
    // The machine type (DMI product name) only for a root of one machine.
    if (one_profile && !p.machine_type.empty()) {
      fs::create_directories(out / "sys/class/dmi/id");
      std::ofstream(out / "sys/class/dmi/id/product_name") << p.machine_type << "\n";
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage();
  try {
    const std::string command = args[0];
    if (command == "list" && args.size() == 1) return List();
    if (command == "show" && args.size() == 2) return Show(args[1], false);
    if (command == "show" && args.size() == 3 && args[2] == "--json") return Show(args[1], true);
    if (command == "check" && args.size() >= 2) {
      for (size_t i = 1; i < args.size(); ++i) {
        Profile p = nvdp::sim::LoadProfile(args[i]);
        std::printf("%s: ok (%s, %zu GPUs)\n", args[i].c_str(), p.name.c_str(), p.gpus.size());
      }
      return 0;
    }
    if (command == "root" && args.size() >= 3 && args[1] == "--out") {
      std::string libdir = "usr/lib64";
      size_t first_profile = 3;
      if (args.size() >= 5 && args[3] == "--libdir") {
        libdir = args[4];
        first_profile = 5;
      }
      WriteMigMinors(args[2]);
      WriteDeviceNodes(args[2]);
      return Sysfs(
          args[2], libdir,
          std::vector<std::string>(args.begin() + static_cast<long>(first_profile), args.end()));
    }
  } catch (const std::exception& error) {
    std::cerr << "nvml-sim: " << error.what() << "\n";
    return 1;
  }
  return Usage();
}
