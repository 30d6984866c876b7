// Builds the CDI specs the device plugin writes (spec §4.7-4.9): the `gpu` class with one device
// per GPU and MIG device plus `all`, and the driver's files as common edits; the `imex-channel`
// class; and the gdrcopy, gds and mofed classes. Host paths are rewritten from the driver root as
// mounted in the plugin's container to the host's nvidiaDriverRoot / nvidiaDevRoot.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cdi/spec.h"
#include "cdi/tegra_csv.h"
#include "config/defaults.h"
#include "device/inventory.h"
#include "device/mig_caps.h"

namespace nvdp::cdi {

class GenerateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Roots {
  std::string driver_root = "/";       // the driver root as mounted here (/driver-root)
  std::string dev_root = "/";          // where /dev is read here: driver_root when it has /dev
  std::string host_driver_root = "/";  // nvidiaDriverRoot
  std::string host_dev_root = "/";     // nvidiaDevRoot
  // dev_root follows from what exists under driver_root.
  static Roots Resolve(const std::string& driver_root, const std::string& host_driver_root,
                       const std::string& host_dev_root);

  // The host path of a driver file (a path relative to the driver root).
  std::string HostFile(const std::string& path) const;
  // The host path of a device node such as /dev/nvidia0.
  std::string HostDevice(const std::string& path) const;
  // Where a device node is looked at from here.
  std::string LocalDevice(const std::string& path) const;
};

struct GpuSpecSettings {
  Roots roots;
  std::string hook_path = config::kDefaultCdiHookPath;  // --nvidia-cdi-hook-path
  bool index_names = false;                             // --device-id-strategy=index
  // Hook names left out (--cdi-disable-hooks); "all" leaves out every hook.
  std::vector<std::string> disabled_hooks;

  bool HookDisabled(const std::string& name) const;
};

// One of the hooks the specs can hold, or "all".
bool IsKnownHook(const std::string& name);

// Throws GenerateError when a MIG device's capability nodes are not listed by the driver.
Spec GpuSpec(const device::Inventory& inventory, const std::optional<device::MigCaps>& caps,
             const GpuSpecSettings& settings);

// A WSL2 node's `gpu` spec: one device `all` with /dev/dxg, the driver's files found under the
// driver root, and the WSL library directories (/usr/lib/wsl/lib, /usr/lib/wsl/drivers) mounted.
Spec WslSpec(const device::Inventory& inventory, const GpuSpecSettings& settings);

// A Tegra node's `gpu` spec from the container toolkit's CSV files (tegra_csv.h): the device
// (`device_name`, "tegra" or "0" by the id strategy) and `all` with the listed device nodes that
// exist; the listed directories and libraries mounted, the listed symlinks made by the
// create-symlinks hook, the library folders given to update-ldcache, and the Tegra marker files.
Spec TegraSpec(const CsvMounts& csv, const std::string& device_name,
               const GpuSpecSettings& settings);

// One device per channel ID, named by the ID.
Spec ImexChannelSpec(const std::vector<std::string>& channels, const Roots& roots);

// gdrcopy, gds or mofed: an `all` device with what exists of the mode's device nodes and files;
// nullopt when nothing exists (upstream drops such a mode too).
std::optional<Spec> ModeSpec(const std::string& mode, const Roots& roots);

// The hook args prefix for a hook binary: nvidia-ctk takes hooks under `hook`.
std::vector<std::string> HookArgs(const std::string& hook_path, const std::string& hook);

}  // namespace nvdp::cdi
