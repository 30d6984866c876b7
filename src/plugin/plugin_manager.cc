#include "plugin/plugin_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "cdi/generate.h"
#include "cdi/writer.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/strings.h"
#include "config/effective.h"
#include "device/discovery.h"
#include "device/mig_caps.h"
#include "mps/control.h"
#include "mps/tools.h"
#include "plugin/imex.h"
#include "plugin/kubelet_registration.h"

namespace nvdp::plugin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRegisterTimeout{5000};
// Retry delays after failed registrations. The first ones are short: a restarting kubelet
// creates its socket a moment before it accepts connections. Upstream waits 30 s.
constexpr milliseconds kRetryDelays[] = {milliseconds(20),  milliseconds(50),  milliseconds(100),
                                         milliseconds(250), milliseconds(500), milliseconds(1000)};
constexpr milliseconds kMaxRetry{2000};
constexpr milliseconds kPeriodicCheck{5000};
// Checks of an MPS control daemon that is not up yet; upstream retries every 30 s.
constexpr milliseconds kMpsRetryDelays[] = {milliseconds(250), milliseconds(500),
                                            milliseconds(1000)};
constexpr milliseconds kMpsMaxRetry{2000};
constexpr milliseconds kMpsCheckTimeout{5000};

ino_t InodeOf(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  return dir.ends_with('/') ? dir + name : dir + "/" + name;
}

}  // namespace

PluginManager::PluginManager(Options options) : options_(std::move(options)) {}

PluginManager::~PluginManager() { Stop(); }

std::shared_ptr<nvml::Nvml> PluginManager::OpenNvml() {
  if (!nvml_ || nvml_root_ != options_.container_driver_root) {
    nvml_ = std::make_shared<nvml::Nvml>(nvml::Library::Open(options_.container_driver_root));
    nvml_root_ = options_.container_driver_root;
    LOG_INFO("Loaded NVML from {}", nvml_->library().path());
  }
  return nvml_;
}

device::Inventory PluginManager::LoadInventory() {
  try {
    return ReadInventory();
  } catch (const nvml::NvmlError& failure) {
    if (failure.code() == NVML_ERROR_LIBRARY_NOT_FOUND) {
      throw NvmlUnavailable(std::string(failure.what()) +
                            ". Is the NVIDIA container runtime configured, and the driver root "
                            "mounted at " +
                            options_.container_driver_root + "?");
    }
    throw NvmlUnavailable(std::string("nvml init failed: ") + failure.what());
  }
}

device::Inventory PluginManager::ReadInventory() {
  auto nvml = OpenNvml();
  nvml::Session session(*nvml);
  device::DiscoveryOptions discovery;
  discovery.sysfs_roots = HostRoots(options_.container_driver_root, "/sys");
  return device::Discover(*nvml, discovery);
}

AllocateOptions PluginManager::MakeAllocateOptions() const {
  AllocateOptions allocate;
  allocate.id_strategy = options_.device_id_strategy;
  allocate.envvar = options_.device_list_strategy.envvar;
  allocate.volume_mounts = options_.device_list_strategy.volume_mounts;
  const config::ReplicatedResources* shared = options_.config.sharing.replicated();
  allocate.fail_requests_greater_than_one = shared && shared->fail_requests_greater_than_one;
  allocate.pass_device_specs = options_.pass_device_specs;
  allocate.dev_root = options_.dev_root;
  allocate.gdrcopy = options_.gdrcopy_enabled;
  allocate.gds = options_.gds_enabled;
  allocate.mofed = options_.mofed_enabled;
  allocate.mps_host_root = options_.mps_root;
  allocate.cdi_annotations = options_.device_list_strategy.cdi_annotations;
  allocate.cdi_cri = options_.device_list_strategy.cdi_cri;
  allocate.cdi_annotation_prefix = options_.cdi_annotation_prefix;
  // Upstream checks these in its own container; the container driver root's /dev shows the same
  // host nodes, and a simulated root carries its own.
  for (const std::string& node : ControlDeviceNodes()) {
    for (const std::string& path : HostRoots(options_.container_driver_root, node)) {
      if (access(path.c_str(), F_OK) == 0) {
        allocate.control_nodes.push_back(node);
        break;
      }
    }
  }
  return allocate;
}

Plan PluginManager::Prepare() {
  Plan plan;
  plan.inventory = LoadInventory();
  plan.config = options_.config;
  plan.config.resources = resource::DefaultResourceRules(options_.mig_strategy, plan.inventory);

  std::optional<device::MigCaps> caps;
  const bool mig_strategy = options_.mig_strategy != config::MigStrategy::kNone;
  if (mig_strategy) {
    caps = device::MigCaps::Load(HostRoots(options_.container_driver_root, ""));
  }
  bool any_mig = std::any_of(plan.inventory.gpus.begin(), plan.inventory.gpus.end(),
                             [](const device::GpuInfo& g) { return !g.mig_devices.empty(); });
  if (options_.pass_device_specs && mig_strategy && any_mig && !caps) {
    throw ResourceError(
        "--pass-device-specs needs the MIG capability devices, but "
        "/proc/driver/nvidia-caps/mig-minors cannot be read");
  }
  resource::ResourceSettings settings;
  settings.mig_strategy = options_.mig_strategy;
  settings.rules = plan.config.resources;
  settings.replicated = options_.config.sharing.replicated();
  settings.mig_caps = caps ? &*caps : nullptr;
  plan.resources = resource::BuildResources(plan.inventory, settings);
  if (!options_.mps_root.empty()) {
    for (const Resource& resource : plan.resources) {
      for (const AllocatableDevice& device : resource.devices) {
        if (device.mig) throw ResourceError("sharing using MPS is not supported for MIG devices");
      }
    }
  }
  plan.allocate = MakeAllocateOptions();
  std::vector<std::string> warnings;
  plan.allocate.imex_channels = ExistingImexChannels(
      options_.imex_channel_ids, options_.imex_required, options_.container_driver_root, &warnings);
  for (const std::string& warning : warnings) LOG_WARNING("{}", warning);
  if (options_.device_list_strategy.any_cdi()) {
    if (!caps && any_mig)
      caps = device::MigCaps::Load(HostRoots(options_.container_driver_root, ""));
    PlanCdi(plan, caps);
  }
  plan.pair_scores = alloc::PairScores(plan.inventory.links);
  plan.preference.shared_policy = options_.shared_devices_allocation_policy;
  return plan;
}

// The CDI specs for this node and configuration (spec §4.7-4.9). Throws ResourceError.
void PluginManager::PlanCdi(Plan& plan, const std::optional<device::MigCaps>& caps) const {
  if (!options_.cdi_feature_flags.empty()) {
    LOG_INFO("CDI feature flags {} have no effect on this generator",
             Join(options_.cdi_feature_flags, ","));
  }
  cdi::GpuSpecSettings settings;
  settings.roots =
      cdi::Roots::Resolve(options_.container_driver_root, options_.driver_root, options_.dev_root);
  settings.hook_path = options_.nvidia_cdi_hook_path;
  settings.index_names = options_.device_id_strategy == DeviceIdStrategy::kIndex;
  try {
    plan.cdi_specs.push_back(cdi::GpuSpec(plan.inventory, caps, settings));
    if (!plan.allocate.imex_channels.empty()) {
      plan.cdi_specs.push_back(cdi::ImexChannelSpec(plan.allocate.imex_channels, settings.roots));
    }
    const std::pair<const char*, bool> modes[] = {{"gdrcopy", options_.gdrcopy_enabled},
                                                  {"gds", options_.gds_enabled},
                                                  {"mofed", options_.mofed_enabled}};
    for (const auto& [mode, enabled] : modes) {
      if (!enabled) continue;
      std::optional<cdi::Spec> spec = cdi::ModeSpec(mode, settings.roots);
      if (!spec) {
        LOG_WARNING("{} is enabled but none of its devices exist; no CDI spec for it", mode);
        continue;
      }
      plan.cdi_specs.push_back(std::move(*spec));
      plan.allocate.cdi_modes.push_back(mode);
    }
  } catch (const cdi::GenerateError& failure) {
    throw ResourceError(std::string("failed to create the CDI specs: ") + failure.what());
  }
}

PluginManager::StartResult PluginManager::Start(std::string* error) {
  Stop();
  prepared_ = false;
  for (const std::string& warning : options_.warnings) LOG_WARNING("{}", warning);
  Plan plan;
  try {
    plan = Prepare();
  } catch (const NvmlUnavailable& failure) {
    if (options_.fail_on_init_error) {
      *error = failure.what();
      return StartResult::kFatal;
    }
    LOG_WARNING("{}", failure.what());
    LOG_WARNING("fail-on-init-error=false: serving no devices until NVML works");
    PublishStatus(std::string("NVML unavailable: ") + failure.what());
    return StartResult::kNvmlUnavailable;
  } catch (const ResourceError& failure) {
    *error = failure.what();
    return StartResult::kFatal;
  }
  try {
    WriteCdiSpecs(plan);
  } catch (const std::exception& failure) {
    *error = failure.what();
    return StartResult::kFatal;
  }
  return Serve(std::move(plan));
}

PluginManager::StartResult PluginManager::Restart(Options options, std::string* error) {
  if (!prepared_) {  // nothing good is running: a restart is a start
    options_ = std::move(options);
    return Start(error);
  }
  // Everything that can fail for the new options happens before the running start is touched.
  Options previous = std::exchange(options_, std::move(options));
  for (const std::string& warning : options_.warnings) LOG_WARNING("{}", warning);
  try {
    Plan plan = Prepare();
    WriteCdiSpecs(plan);
    Stop();
    return Serve(std::move(plan));
  } catch (const std::exception& failure) {
    options_ = std::move(previous);
    *error = failure.what();
    if (!plan_.cdi_specs.empty()) {
      try {
        cdi::WriteSpecs(options_.cdi_spec_dir, plan_.cdi_specs);  // the running start's, again
      } catch (const std::exception& rewrite) {
        LOG_ERROR("Could not restore the running configuration's CDI specs: {}", rewrite.what());
      }
    }
    return StartResult::kKept;
  }
}

void PluginManager::WriteCdiSpecs(const Plan& plan) const {
  if (plan.cdi_specs.empty()) return;
  try {
    for (const std::string& path : cdi::WriteSpecs(options_.cdi_spec_dir, plan.cdi_specs)) {
      LOG_INFO("Wrote the CDI spec {}", path);
    }
  } catch (const std::exception& failure) {
    throw std::runtime_error(std::string("failed to write the CDI specs: ") + failure.what());
  }
}

PluginManager::StartResult PluginManager::Serve(Plan plan) {
  plan_ = std::move(plan);
  plan_.preference.scores = &plan_.pair_scores;  // the plan moved
  prepared_ = true;
  const device::Inventory& inventory = plan_.inventory;
  LOG_INFO("NVIDIA driver {}, CUDA {}.{}, {} GPU(s)", inventory.driver_version,
           inventory.cuda_driver_version / 1000, inventory.cuda_driver_version % 1000 / 10,
           inventory.gpus.size());
  LOG_INFO("Running with config:\n{}", config::ToJson(plan_.config));

  for (const device::GpuInfo& gpu : inventory.gpus) {
    if (!gpu.problem.empty()) health_->MarkUnhealthy(gpu.uuid, HealthCause::kStartup, gpu.problem);
  }
  if (plan_.resources.empty()) {
    LOG_INFO("No devices found. Waiting indefinitely.");
    PublishStatus("no devices to advertise");
    return StartResult::kNoDevices;
  }

  const std::string dir = options_.PluginDirectory();
  plugins_.reserve(plan_.resources.size());
  for (const Resource& resource : plan_.resources) {
    Plugin plugin;
    plugin.resource = &resource;
    plugin.server = std::make_unique<DevicePluginServer>(
        resource, *health_, ServerSettings{plan_.allocate, plan_.preference, metrics_},
        JoinPath(dir, SocketName(resource.name)));
    plugins_.push_back(std::move(plugin));
  }
  HealthSettings health;
  health.filter =
      XidFilter::FromSettings(options_.disable_healthchecks, options_.enable_healthchecks);
  health.recovery_period = options_.health_recovery_period;
  health.probe_interval = options_.health_probe_interval;
  monitor_ =
      std::make_shared<HealthMonitor>(nvml_, WatchedGpus(), health_, std::move(health), metrics_);
  monitor_->Start();
  Reconcile(true);
  return StartResult::kServing;
}

// Every GPU with its MIG devices that are advertised as such (with --mig-strategy=none a
// MIG-enabled GPU is advertised whole, and an event anywhere on it is the GPU's).
std::vector<WatchedGpu> PluginManager::WatchedGpus() const {
  std::vector<WatchedGpu> gpus;
  for (const device::GpuInfo& gpu : plan_.inventory.gpus) gpus.push_back({gpu.uuid, {}});
  for (const Resource& resource : plan_.resources) {
    for (const AllocatableDevice& device : resource.devices) {
      if (!device.mig) continue;
      for (WatchedGpu& gpu : gpus) {
        if (gpu.uuid != device.gpu_uuid) continue;
        bool known = std::any_of(gpu.migs.begin(), gpu.migs.end(),
                                 [&](const WatchedMig& m) { return m.uuid == device.mig_uuid; });
        if (!known)
          gpu.migs.push_back({device.mig_uuid, device.gpu_instance, device.compute_instance});
      }
    }
  }
  return gpus;
}

void PluginManager::Stop() {
  if (monitor_) monitor_->RequestStop();  // winds down while the servers stop
  for (Plugin& plugin : plugins_) plugin.server->Stop();
  if (monitor_ && !monitor_->Stop()) threads_clean_ = false;
  monitor_.reset();
  plugins_.clear();
  plan_.resources.clear();
  PublishStatus("stopped");
}

PluginStatus PluginManager::Status() const {
  std::lock_guard lock(status_mutex_);
  return status_;
}

void PluginManager::PublishStatus(std::string problem) {
  PluginStatus status;
  status.started = true;
  status.problem = std::move(problem);
  status.registers = !options_.kubelet_socket.empty();
  for (const Plugin& plugin : plugins_) {
    PluginStatus::ResourceStatus resource{
        plugin.resource->name,
        plugin.serving,
        plugin.registered,
        {},
        plugin.serve_problem.empty() ? plugin.mps_problem : plugin.serve_problem};
    for (const AllocatableDevice& device : plugin.resource->devices) {
      resource.devices.push_back({device.gpu_uuid, device.mig_uuid});
    }
    status.resources.push_back(std::move(resource));
  }
  status.monitor = monitor_;
  std::lock_guard lock(status_mutex_);
  status_ = std::move(status);
}

void PluginManager::Reconcile(bool kubelet_restarted) {
  const ino_t kubelet_inode =
      options_.kubelet_socket.empty() ? 0 : InodeOf(options_.kubelet_socket);
  for (Plugin& plugin : plugins_) ServeAndRegister(plugin, kubelet_restarted, kubelet_inode);
  PublishStatus("");
}

void PluginManager::ServeAndRegister(Plugin& plugin, bool kubelet_restarted, ino_t kubelet_inode) {
  const std::string& name = plugin.resource->name;
  if (plugin.serving && !plugin.server->SocketIntact()) {
    LOG_INFO("Socket {} was removed; serving '{}' again", plugin.server->socket_path(), name);
    plugin.serving = false;
    plugin.registered = false;
  }
  if (!plugin.serving && !MpsDaemonReady(plugin)) return;
  if (!plugin.serving) {
    try {
      plugin.server->Start();
      plugin.serving = true;
      if (plugin.serve_failures > 0) {
        LOG_INFO("Serving '{}' after {} failed attempt(s)", name, plugin.serve_failures);
      }
      plugin.serve_failures = 0;
      plugin.serve_problem.clear();
    } catch (const std::exception& failure) {
      ++plugin.serve_failures;
      // Once, then every 60th retry (a minute) or when the reason changes: a missing kubelet
      // directory must not log every second.
      if (plugin.serve_failures == 1 || plugin.serve_failures % 60 == 0 ||
          plugin.serve_problem != failure.what()) {
        LOG_ERROR("Could not serve '{}' (attempt {}, retrying): {}", name, plugin.serve_failures,
                  failure.what());
      }
      plugin.serve_problem = failure.what();
      return;
    }
  }
  if (options_.kubelet_socket.empty()) return;
  if (plugin.registered &&
      (kubelet_restarted || kubelet_inode != plugin.registered_kubelet_inode)) {
    if (kubelet_inode == 0) {
      LOG_INFO("Kubelet socket {} is gone; '{}' registers again when it returns",
               options_.kubelet_socket, name);
    } else {
      LOG_INFO("Kubelet socket {} was re-created; registering '{}' again", options_.kubelet_socket,
               name);
    }
    plugin.registered = false;
  }
  if (plugin.registered) return;
  if (kubelet_restarted) {  // the kubelet is back: try at once, then with the short delays
    plugin.next_attempt = {};
    plugin.failed_attempts = 0;
  }
  if (Clock::now() < plugin.next_attempt) return;

  const std::string endpoint = SocketName(name);
  std::string failure =
      RegisterWithKubelet(options_.kubelet_socket, endpoint, name, kRegisterTimeout);
  if (failure.empty()) {
    LOG_INFO("Registered device plugin for '{}' with Kubelet", name);
    metrics_->registrations.Inc({name});
    plugin.registered = true;
    plugin.registered_kubelet_inode = kubelet_inode;
    plugin.failed_attempts = 0;
    return;
  }
  ++plugin.failed_attempts;
  metrics_->registration_failures.Inc({name});
  const size_t step = static_cast<size_t>(plugin.failed_attempts - 1);
  milliseconds delay = step < std::size(kRetryDelays) ? kRetryDelays[step] : kMaxRetry;
  plugin.next_attempt = Clock::now() + delay;
  if (plugin.failed_attempts == 1 || plugin.failed_attempts % 30 == 0) {
    LOG_WARNING(
        "Could not register '{}' with the kubelet at {} (attempt {}): {}; retrying in {} ms", name,
        options_.kubelet_socket, plugin.failed_attempts, failure, delay.count());
  }
}

bool PluginManager::MpsDaemonReady(Plugin& plugin) {
  if (options_.mps_root.empty() || plugin.mps_ready) return true;
  if (Clock::now() < plugin.next_attempt) return false;
  const std::string& name = plugin.resource->name;
  const mps::ResourcePaths paths(options_.mps_container_root, name);
  try {
    const char* path_env = std::getenv("PATH");
    mps::Control control(
        mps::FindTool(mps::kMpsControl, path_env ? path_env : "", options_.container_driver_root),
        paths, kMpsCheckTimeout);
    control.AssertHealthy();
    LOG_INFO("MPS control daemon for '{}' answers at {}", name, paths.pipe);
    plugin.mps_ready = true;
    plugin.mps_problem.clear();
    plugin.mps_failures = 0;
    plugin.next_attempt = {};
    return true;
  } catch (const std::exception& failure) {
    ++plugin.mps_failures;
    const size_t step = static_cast<size_t>(plugin.mps_failures - 1);
    const milliseconds delay =
        step < std::size(kMpsRetryDelays) ? kMpsRetryDelays[step] : kMpsMaxRetry;
    plugin.next_attempt = Clock::now() + delay;
    plugin.mps_problem = "waiting for the MPS control daemon: " + std::string(failure.what());
    if (plugin.mps_failures == 1 || plugin.mps_failures % 30 == 0) {
      LOG_WARNING(
          "'{}' is not served until its MPS control daemon answers (is mps-control-daemon running "
          "on this node?): {}; checking again in {} ms",
          name, failure.what(), delay.count());
    }
    return false;
  }
}

std::chrono::milliseconds PluginManager::NextReconcileDelay() const {
  milliseconds delay = kPeriodicCheck;
  const auto now = Clock::now();
  for (const Plugin& plugin : plugins_) {
    if (plugin.serving && (plugin.registered || options_.kubelet_socket.empty())) continue;
    if (!plugin.serving && !plugin.mps_problem.empty()) {
      auto due = std::chrono::duration_cast<milliseconds>(plugin.next_attempt - now);
      delay = std::min(delay, std::max(due, milliseconds(0)));
      continue;
    }
    if (!plugin.serving) {
      delay = std::min(delay, kMaxRetry);
      continue;
    }
    auto due = std::chrono::duration_cast<milliseconds>(plugin.next_attempt - now);
    delay = std::min(delay, std::max(due, milliseconds(0)));
  }
  return delay;
}

}  // namespace nvdp::plugin
