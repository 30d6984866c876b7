// What gpu-kubelet-plugin reads from the node once at start: the inventory through NVML, the MIG
// capability minors, the devices to publish and the GPU CDI spec their claim specs are cut from.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cdi/spec.h"
#include "device/inventory.h"
#include "dra/devices.h"
#include "dra/options.h"

namespace nvdp::nvml {
class Nvml;
}

namespace nvdp::dra {

struct NodeDevices {
  std::shared_ptr<nvml::Nvml> nvml;  // loaded (not initialised), for the health monitor
  device::Inventory inventory;
  std::vector<Device> devices;
  cdi::Spec gpu_spec;  // devices named by UUID
};

// Throws std::runtime_error saying what to check (NVML missing, MIG capabilities unreadable).
NodeDevices ReadNodeDevices(const Options& options);

// /proc/sys/kernel/random/boot_id, or the file NVDP_DRA_BOOT_ID_FILE names (tests).
std::string ReadBootId();

}  // namespace nvdp::dra
