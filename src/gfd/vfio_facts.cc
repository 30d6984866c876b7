#include "gfd/vfio_facts.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

#include "common/fs.h"
#include "common/paths.h"
#include "common/strings.h"
#include "gfd/pci_names.h"

namespace nvdp::gfd {
namespace {

std::optional<unsigned long long> Hex(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  const std::string value(TrimSpace(*text));
  char* end = nullptr;
  const unsigned long long parsed = std::strtoull(value.c_str(), &end, 16);
  if (value.empty() || end == nullptr || *end != '\0') return std::nullopt;
  return parsed;
}

std::string DriverOf(const std::string& device_dir) {
  char target[4096];
  const ssize_t size = readlink((device_dir + "/driver").c_str(), target, sizeof target - 1);
  if (size <= 0) return "";
  const std::string link(target, static_cast<size_t>(size));
  return link.substr(link.rfind('/') + 1);
}

unsigned long long NextPowerOfTwo(unsigned long long n) {
  if (n == 0) return 0;
  unsigned long long power = 1;
  while (power < n && power != 0) power <<= 1;
  return power;
}

}  // namespace

std::string NvidiaPciName(unsigned device_id) {
  for (const PciName& entry : NvidiaPciNames()) {
    if (entry.device_id == device_id) return entry.name;
  }
  return "";
}

unsigned long long VfioAddressableMemory(const std::string& resource_file_text) {
  unsigned long long total = 0;
  int bar = 0;
  for (const std::string& line : Split(resource_file_text, '\n')) {
    if (bar == 6) break;
    ++bar;
    const std::vector<std::string> fields = Split(std::string(TrimSpace(line)), ' ');
    if (fields.size() != 3) continue;
    const auto start = Hex(fields[0]), end = Hex(fields[1]), flags = Hex(fields[2]);
    if (!start || !end || !flags || *end < *start) continue;
    if ((*flags & 0x06) == 0x04) total += *end - *start + 1;  // PCI_BASE_ADDRESS_MEM_TYPE_64
  }
  return NextPowerOfTwo(total);
}

NodeFacts ReadVfioFacts(const std::vector<std::string>& sysfs_roots,
                        const std::string& machine_type_file) {
  NodeFacts facts;
  facts.driver_version = "unknown.unknown.unknown";
  facts.cuda_driver_version = 0;
  if (auto machine = ReadAttribute(machine_type_file)) facts.machine_type = *machine;
  for (const std::string& root : sysfs_roots) {
    const std::string devices = root + "/bus/pci/devices";
    std::unique_ptr<DIR, int (*)(DIR*)> listing(opendir(devices.c_str()), closedir);
    if (!listing) continue;
    std::vector<std::string> addresses;
    while (const dirent* entry = readdir(listing.get())) {
      if (entry->d_name[0] != '.') addresses.push_back(entry->d_name);
    }
    std::sort(addresses.begin(), addresses.end());
    for (const std::string& address : addresses) {
      const std::string dir = devices + "/" + address;
      const auto vendor = Hex(ReadAttribute(dir + "/vendor"));
      const auto pci_class = Hex(ReadAttribute(dir + "/class"));
      if (vendor != 0x10de || !pci_class) continue;
      if ((*pci_class & 0xffff00) != 0x030000 && (*pci_class & 0xffff00) != 0x030200) continue;
      if (DriverOf(dir) != "vfio-pci") continue;
      device::GpuInfo gpu;
      gpu.index = static_cast<unsigned>(facts.gpus.size());
      gpu.pci_bus_id = address;
      gpu.name =
          NvidiaPciName(static_cast<unsigned>(Hex(ReadAttribute(dir + "/device")).value_or(0)));
      gpu.cc_major = gpu.cc_minor = -1;
      // Upstream labels this figure as the memory in MiB; memory_mib() gives it back.
      gpu.memory_bytes = VfioAddressableMemory(ReadAttribute(dir + "/resource").value_or("")) << 20;
      facts.gpus.push_back(gpu);
      facts.pci_classes.push_back(static_cast<unsigned>(*pci_class));
      facts.fabric.emplace_back();
    }
    break;
  }
  return facts;
}

}  // namespace nvdp::gfd
