#include "cdi/generate.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>

#include "cdi/driver_files.h"
#include "common/paths.h"
#include "device/control_nodes.h"
#include "device/pci.h"

namespace nvdp::cdi {
namespace {

// The options NVIDIA's container toolkit gives the same mounts. Sockets and the MPS pipe
// directory stay writable: clients connect to them, also from nested containers.
const std::vector<std::string> kReadOnlyBind = {"ro", "nosuid", "nodev", "rbind", "rprivate"};
const std::vector<std::string> kSocketBind = {"nosuid", "nodev", "rbind", "rprivate", "noexec"};

std::string Trimmed(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

Hook MakeHook(const std::string& hook_path, const std::string& name,
              std::vector<std::string> args) {
  Hook hook{"createContainer", hook_path, HookArgs(hook_path, name), {"NVIDIA_CTK_DEBUG=false"}};
  hook.args.insert(hook.args.end(), args.begin(), args.end());
  return hook;
}

// The hooks the specs hold, by the hook binary's names (IsKnownHook, --cdi-disable-hooks).
constexpr const char* kCreateSymlinks = "create-symlinks";
constexpr const char* kEnableCudaCompat = "enable-cuda-compat";
constexpr const char* kUpdateLdcache = "update-ldcache";
constexpr const char* kDisableDeviceNodeModification = "disable-device-node-modification";
constexpr const char* kHooks[] = {kCreateSymlinks, kEnableCudaCompat, kUpdateLdcache,
                                  kDisableDeviceNodeModification};

// Adds the hook unless --cdi-disable-hooks leaves it out.
void AddHook(const GpuSpecSettings& settings, ContainerEdits& edits, const char* name,
             std::vector<std::string> args) {
  if (!settings.HookDisabled(name)) {
    edits.hooks.push_back(MakeHook(settings.hook_path, name, std::move(args)));
  }
}

DeviceNode Node(const Roots& roots, const std::string& path) {
  return {path, roots.HostDevice(path)};
}

// Matches of a glob such as /dev/nvidia-fs* under the dev root, as container paths.
std::vector<std::string> GlobDevices(const Roots& roots, const std::string& pattern) {
  std::vector<std::string> found;
  glob_t matches{};
  const std::string local = roots.LocalDevice(pattern);
  if (glob(local.c_str(), 0, nullptr, &matches) == 0) {
    const size_t prefix = local.size() - pattern.size();
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      found.push_back(std::string(matches.gl_pathv[i]).substr(prefix));
    }
  }
  globfree(&matches);
  return found;
}

ContainerEdits DriverEdits(const device::Inventory& inventory, const GpuSpecSettings& settings) {
  const Roots& roots = settings.roots;
  ContainerEdits edits;
  edits.env.push_back("NVIDIA_VISIBLE_DEVICES=void");
  for (const std::string& node : device::ControlDeviceNodes()) {
    if (PathExists(roots.LocalDevice(node))) edits.device_nodes.push_back(Node(roots, node));
  }
  const DriverFiles files = FindDriverFiles(roots.driver_root, inventory.driver_version);
  for (const std::string& path : files.ipc) {
    edits.mounts.push_back({roots.HostFile(path), path, kSocketBind});
  }
  for (const auto* list : {&files.libraries, &files.binaries, &files.firmware}) {
    for (const std::string& path : *list) {
      edits.mounts.push_back({roots.HostFile(path), path, kReadOnlyBind});
    }
  }
  std::vector<std::string> links;
  for (const std::string& library : files.libraries) {
    const std::string dir = library.substr(0, library.rfind('/'));
    const std::string name = library.substr(library.rfind('/') + 1);
    // Programs dlopen the unversioned names that only development packages provide.
    if (name.starts_with("libcuda.so.")) {
      links.insert(links.end(), {"--link", "libcuda.so.1::" + dir + "/libcuda.so"});
    } else if (name.starts_with("libGLX_nvidia.so.")) {
      links.insert(links.end(), {"--link", name + "::" + dir + "/libGLX_indirect.so.0"});
    } else if (name.starts_with("libnvidia-opticalflow.so.")) {
      links.insert(links.end(),
                   {"--link", "libnvidia-opticalflow.so.1::" + dir + "/libnvidia-opticalflow.so"});
    }
  }
  if (!links.empty()) AddHook(settings, edits, kCreateSymlinks, links);
  AddHook(settings, edits, kEnableCudaCompat,
          {"--host-driver-version=" + inventory.driver_version});
  std::vector<std::string> folders;
  for (const std::string& dir : files.LibraryDirectories()) {
    folders.insert(folders.end(), {"--folder", dir});
  }
  AddHook(settings, edits, kUpdateLdcache, folders);
  AddHook(settings, edits, kDisableDeviceNodeModification, {});
  return edits;
}

// A GPU's nvidia-drm nodes that exist under the dev root, and the hook that recreates their
// /dev/dri/by-path links in the container, as the container toolkit's spec has them.
void AddDrmEdits(const device::GpuInfo& gpu, const GpuSpecSettings& settings,
                 ContainerEdits& edits) {
  std::vector<std::string> present;
  for (const std::string& node : gpu.drm_nodes) {
    if (!PathExists(settings.roots.LocalDevice(node))) continue;
    edits.device_nodes.push_back(Node(settings.roots, node));
    present.push_back(node);
  }
  if (present.empty()) return;
  std::vector<std::string> links;
  const std::string bus = device::NormalizeBusId(gpu.pci_bus_id);
  for (const char* suffix : {"-card", "-render"}) {
    const std::string link = "/dev/dri/by-path/pci-" + bus + suffix;
    char target[256];
    const ssize_t size =
        readlink(settings.roots.LocalDevice(link).c_str(), target, sizeof target - 1);
    if (size <= 0) continue;
    const std::string to(target, static_cast<size_t>(size));
    const std::string node = to.starts_with("../") ? "/dev/dri/" + to.substr(3) : to;
    if (std::find(present.begin(), present.end(), node) == present.end()) continue;
    links.insert(links.end(), {"--link", to + "::" + link});
  }
  if (!links.empty()) AddHook(settings, edits, kCreateSymlinks, links);
}

}  // namespace

Roots Roots::Resolve(const std::string& driver_root, const std::string& host_driver_root,
                     const std::string& host_dev_root) {
  Roots roots;
  roots.driver_root = driver_root.empty() ? "/" : Trimmed(driver_root);
  roots.dev_root = IsDirectory(JoinRoot(roots.driver_root, "/dev")) ? roots.driver_root : "/";
  roots.host_driver_root = host_driver_root.empty() ? "/" : Trimmed(host_driver_root);
  roots.host_dev_root = host_dev_root.empty() ? roots.host_driver_root : Trimmed(host_dev_root);
  return roots;
}

std::string Roots::HostFile(const std::string& path) const {
  return JoinRoot(host_driver_root, path);
}
std::string Roots::HostDevice(const std::string& path) const {
  return JoinRoot(host_dev_root, path);
}
std::string Roots::LocalDevice(const std::string& path) const { return JoinRoot(dev_root, path); }

bool GpuSpecSettings::HookDisabled(const std::string& name) const {
  return std::find(disabled_hooks.begin(), disabled_hooks.end(), name) != disabled_hooks.end() ||
         std::find(disabled_hooks.begin(), disabled_hooks.end(), "all") != disabled_hooks.end();
}

bool IsKnownHook(const std::string& name) {
  return name == "all" || std::find(std::begin(kHooks), std::end(kHooks), name) != std::end(kHooks);
}

std::vector<std::string> HookArgs(const std::string& hook_path, const std::string& hook) {
  const std::string base = hook_path.substr(hook_path.rfind('/') + 1);
  if (base == "nvidia-ctk") return {base, "hook", hook};
  return {base, hook};
}

Spec GpuSpec(const device::Inventory& inventory, const std::optional<device::MigCaps>& caps,
             const GpuSpecSettings& settings) {
  Spec spec;
  spec.kind = std::string(kVendor) + "/gpu";
  Device all{"all", {}};
  for (const device::GpuInfo& gpu : inventory.gpus) {
    const std::string node = "/dev/nvidia" + std::to_string(gpu.minor);
    Device device{settings.index_names ? std::to_string(gpu.index) : gpu.uuid, {}};
    device.edits.device_nodes.push_back(Node(settings.roots, node));
    AddDrmEdits(gpu, settings, device.edits);
    all.edits.Merge(device.edits);
    spec.devices.push_back(device);
    for (const device::MigDeviceInfo& mig : gpu.mig_devices) {
      std::optional<std::string> gi, ci;
      if (caps) {
        gi = caps->GpuInstancePath(gpu.minor, mig.gpu_instance);
        ci = caps->ComputeInstancePath(gpu.minor, mig.gpu_instance, mig.compute_instance);
      }
      if (!gi || !ci) {
        throw GenerateError(
            "no MIG capability device for " + mig.uuid + " (GPU " + std::to_string(gpu.index) +
            ", GPU instance " + std::to_string(mig.gpu_instance) + ", compute instance " +
            std::to_string(mig.compute_instance) + ") in /proc/driver/nvidia-caps/mig-minors");
      }
      Device mig_device{settings.index_names
                            ? std::to_string(gpu.index) + ":" + std::to_string(mig.index)
                            : mig.uuid,
                        {}};
      for (const std::string& path : {node, *gi, *ci}) {
        mig_device.edits.device_nodes.push_back(Node(settings.roots, path));
      }
      // As the toolkit since NVIDIA/nvidia-container-toolkit#1818: +gfx instances render too.
      if (mig.graphics) AddDrmEdits(gpu, settings, mig_device.edits);
      all.edits.Merge(mig_device.edits);
      spec.devices.push_back(mig_device);
    }
  }
  spec.devices.push_back(all);
  spec.edits = DriverEdits(inventory, settings);
  return spec;
}

Spec WslSpec(const device::Inventory& inventory, const GpuSpecSettings& settings) {
  const Roots& roots = settings.roots;
  Spec spec;
  spec.kind = std::string(kVendor) + "/gpu";
  Device all{"all", {}};
  if (PathExists(roots.LocalDevice("/dev/dxg"))) {
    all.edits.device_nodes.push_back(Node(roots, "/dev/dxg"));
  }
  spec.devices.push_back(all);
  spec.edits = DriverEdits(inventory, settings);
  std::vector<std::string> folders;
  for (const char* dir : {"/usr/lib/wsl/lib", "/usr/lib/wsl/drivers"}) {
    if (!IsDirectory(JoinRoot(roots.driver_root, dir))) continue;
    spec.edits.mounts.push_back({roots.HostFile(dir), dir, kReadOnlyBind});
    folders.insert(folders.end(), {"--folder", dir});
  }
  if (!folders.empty()) AddHook(settings, spec.edits, kUpdateLdcache, folders);
  return spec;
}

Spec TegraSpec(const CsvMounts& csv, const std::string& device_name,
               const GpuSpecSettings& settings) {
  const Roots& roots = settings.roots;
  Spec spec;
  spec.kind = std::string(kVendor) + "/gpu";
  Device device{device_name, {}};
  for (const std::string& node : csv.devices) {
    if (PathExists(roots.LocalDevice(node))) device.edits.device_nodes.push_back(Node(roots, node));
  }
  spec.devices = {device, Device{"all", device.edits}};
  ContainerEdits& edits = spec.edits;
  edits.env.push_back("NVIDIA_VISIBLE_DEVICES=void");
  auto mount = [&](const std::string& path) {
    edits.mounts.push_back({roots.HostFile(path), path, kReadOnlyBind});
  };
  for (const std::string& dir : csv.directories) {
    if (IsDirectory(JoinRoot(roots.driver_root, dir))) mount(dir);
  }
  std::vector<std::string> folders, links;
  for (const std::string& library : csv.libraries) {
    if (!PathExists(JoinRoot(roots.driver_root, library))) continue;
    mount(library);
    const std::string dir = library.substr(0, library.rfind('/'));
    if (std::find(folders.begin(), folders.end(), dir) == folders.end()) {
      folders.insert(folders.end(), {"--folder", dir});
    }
    if (library.substr(dir.size() + 1).starts_with("libcuda.so.")) {
      links.insert(links.end(), {"--link", "libcuda.so.1::" + dir + "/libcuda.so"});
    }
  }
  // The listed links are made in the container, pointing where they point on the host.
  for (const std::string& link : csv.symlinks) {
    char target[4096];
    const ssize_t size =
        readlink(JoinRoot(roots.driver_root, link).c_str(), target, sizeof target - 1);
    if (size <= 0) continue;
    const std::string entry = std::string(target, static_cast<size_t>(size)) + "::" + link;
    if (std::find(links.begin(), links.end(), entry) == links.end()) {
      links.insert(links.end(), {"--link", entry});
    }
  }
  for (const char* path : {"/etc/nv_tegra_release", "/sys/devices/soc0/family"}) {
    if (PathExists(JoinRoot(roots.driver_root, path))) mount(path);
  }
  if (!links.empty()) AddHook(settings, edits, kCreateSymlinks, links);
  if (!folders.empty()) AddHook(settings, edits, kUpdateLdcache, folders);
  return spec;
}

Spec ImexChannelSpec(const std::vector<std::string>& channels, const Roots& roots) {
  Spec spec;
  spec.kind = std::string(kVendor) + "/imex-channel";
  for (const std::string& channel : channels) {
    Device device{channel, {}};
    device.edits.device_nodes.push_back(
        Node(roots, "/dev/nvidia-caps-imex-channels/channel" + channel));
    spec.devices.push_back(device);
  }
  return spec;
}

std::optional<Spec> ModeSpec(const std::string& mode, const Roots& roots) {
  ContainerEdits edits;
  auto add_nodes = [&](const std::string& pattern) {
    for (const std::string& path : GlobDevices(roots, pattern)) {
      edits.device_nodes.push_back(Node(roots, path));
    }
  };
  if (mode == "gdrcopy") {
    add_nodes("/dev/gdrdrv");
  } else if (mode == "gds") {
    add_nodes("/dev/nvidia-fs*");
    if (!edits.device_nodes.empty()) {  // the files only matter with the devices
      for (const char* path : {"/run/udev", "/etc/cufile.json"}) {
        if (PathExists(JoinRoot(roots.driver_root, path))) {
          edits.mounts.push_back({roots.HostFile(path), path, kReadOnlyBind});
        }
      }
    }
  } else if (mode == "mofed") {
    add_nodes("/dev/infiniband/uverbs*");
    add_nodes("/dev/infiniband/rdma_cm");
  } else {
    throw GenerateError("unknown CDI mode: " + mode);
  }
  if (edits.empty()) return std::nullopt;
  Spec spec;
  spec.kind = std::string(kVendor) + "/" + mode;
  spec.devices.push_back({"all", edits});
  return spec;
}

}  // namespace nvdp::cdi
