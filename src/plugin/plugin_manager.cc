#include "plugin/plugin_manager.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>

#include "cdi/writer.h"
#include "common/log.h"
#include "common/permissions.h"
#include "config/effective.h"
#include "discovery/tegra.h"
#include "discovery/wsl.h"
#include "mps/control.h"
#include "plugin/server/kubelet_registration.h"

namespace nvdp::plugin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRegisterTimeout{5000};
constexpr milliseconds kMaxRetry{2000};
constexpr milliseconds kPeriodicCheck{5000};
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

Backoff PluginManager::RegistrationBackoff() {
  return Backoff({milliseconds(20), milliseconds(50), milliseconds(100), milliseconds(250),
                  milliseconds(500), milliseconds(1000)},
                 kMaxRetry);
}

// Checks of an MPS control daemon that is not up yet; upstream retries every 30 s.
Backoff PluginManager::MpsBackoff() {
  return Backoff({milliseconds(250), milliseconds(500), milliseconds(1000)}, kMaxRetry);
}

PluginManager::~PluginManager() { Stop(); }

std::shared_ptr<nvml::Nvml> PluginManager::OpenNvml() {
  if (!nvml_ || nvml_root_ != options_.container_driver_root) {
    nvml_ = std::make_shared<nvml::Nvml>(nvml::Library::Open(options_.container_driver_root));
    nvml_root_ = options_.container_driver_root;
    LOG_INFO("Loaded NVML from {}", nvml_->library().path());
  }
  return nvml_;
}

NodeFacts PluginManager::ReadFacts() {
  using config::DiscoveryStrategy;
  const DiscoveryStrategy strategy = options_.discovery_strategy;
  if (strategy == DiscoveryStrategy::kTegra) return ReadTegraNodeFacts(options_);
  std::shared_ptr<nvml::Nvml> nvml;
  try {
    nvml = OpenNvml();
  } catch (const nvml::NvmlError& failure) {
    if (strategy == DiscoveryStrategy::kAuto &&
        discovery::HasTegraMarkers(options_.container_driver_root)) {
      LOG_INFO("NVML cannot be loaded ({}) and {} is a Tegra driver root: serving its GPU as Tegra",
               failure.what(), options_.container_driver_root);
      return ReadTegraNodeFacts(options_);
    }
    throw AsNvmlUnavailable(failure, options_.container_driver_root);
  }
  NodeFacts facts = ReadNodeFacts(options_, *nvml);
  if (strategy == DiscoveryStrategy::kAuto && discovery::AllIntegratedGpus(facts.inventory.gpus)) {
    LOG_INFO("Every GPU NVML lists is an integrated one: serving the node as Tegra");
    return ReadTegraNodeFacts(options_);
  }
  if (discovery::HasWslMarkers(options_.container_driver_root) && !facts.inventory.gpus.empty()) {
    facts.inventory.wsl = true;
    LOG_INFO(
        "WSL2 (libdxcore.so under {}): the {} GPU(s) are advertised as one device \"all\" "
        "on {}",
        options_.container_driver_root, facts.inventory.gpus.size(), discovery::kWslDeviceNode);
  }
  return facts;
}

Plan PluginManager::Prepare() {
  const NodeFacts facts = ReadFacts();
  Plan plan = BuildPlan(options_, facts);
  PlanCdiSpecs(options_, facts, plan);
  return plan;
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
  return Serve(std::move(plan), error);
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
    return Serve(std::move(plan), error);
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

PluginManager::StartResult PluginManager::Serve(Plan plan, std::string* error) {
  plan_ = std::move(plan);
  prepared_ = true;
  fatal_.clear();
  const device::Inventory& inventory = plan_.inventory;
  if (inventory.tegra) {
    LOG_INFO("Tegra: one integrated GPU, advertised as \"tegra\" (no NVML health checks)");
  } else {
    LOG_INFO("NVIDIA driver {}, CUDA {}.{}, {} GPU(s)", inventory.driver_version,
             inventory.cuda_driver_version / 1000, inventory.cuda_driver_version % 1000 / 10,
             inventory.gpus.size());
  }
  LOG_INFO("Running with config:\n{}", config::ToJson(plan_.config));

  for (const device::GpuInfo& gpu : inventory.gpus) {
    if (!gpu.problem.empty()) {
      health_->MarkUnhealthy(gpu.uuid, health::HealthCause::kStartup, gpu.problem);
    }
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
  if (!inventory.tegra) {  // upstream's Tegra health check does nothing either
    monitor_ = std::make_shared<HealthMonitor>(nvml_, WatchedGpus(plan_), health_,
                                               HealthSettingsFrom(options_), metrics_->health);
    monitor_->Start();
  }
  Reconcile(true);
  if (!fatal_.empty()) {
    *error = fatal_;
    return StartResult::kFatal;
  }
  return StartResult::kServing;
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
      if (plugin.serve_log.count() > 0) {
        LOG_INFO("Serving '{}' after {} failed attempt(s)", name, plugin.serve_log.count());
      }
      plugin.serve_log.Reset();
      plugin.serve_problem.clear();
    } catch (const PermissionDenied& failure) {
      fatal_ = failure.what();  // the main loop ends the process with it
      plugin.serve_problem = failure.what();
      return;
    } catch (const std::exception& failure) {
      if (plugin.serve_log.ShouldLog(failure.what())) {
        LOG_ERROR("Could not serve '{}' (attempt {}, retrying): {}", name, plugin.serve_log.count(),
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
    plugin.registration.Succeeded();
    plugin.registration_log.Reset();
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
    plugin.registration.Succeeded();
    plugin.registration_log.Reset();
    return;
  }
  metrics_->registration_failures.Inc({name});
  const milliseconds delay = plugin.registration.Failed();
  plugin.next_attempt = Clock::now() + delay;
  if (plugin.registration_log.ShouldLog()) {
    LOG_WARNING(
        "Could not register '{}' with the kubelet at {} (attempt {}): {}; retrying in {} ms", name,
        options_.kubelet_socket, plugin.registration.failures(), failure, delay.count());
  }
}

bool PluginManager::MpsDaemonReady(Plugin& plugin) {
  if (options_.mps_root.empty() || plugin.mps_ready) return true;
  if (Clock::now() < plugin.next_attempt) return false;
  const std::string& name = plugin.resource->name;
  const std::string problem = mps::DaemonProblem(options_.mps_container_root, name,
                                                 options_.container_driver_root, kMpsCheckTimeout);
  if (problem.empty()) {
    LOG_INFO("MPS control daemon for '{}' answers at {}", name,
             mps::ResourcePaths(options_.mps_container_root, name).pipe);
    plugin.mps_ready = true;
    plugin.mps_problem.clear();
    plugin.mps_backoff.Succeeded();
    plugin.mps_log.Reset();
    plugin.next_attempt = {};
    return true;
  }
  const milliseconds delay = plugin.mps_backoff.Failed();
  plugin.next_attempt = Clock::now() + delay;
  plugin.mps_problem = "waiting for the MPS control daemon: " + problem;
  if (plugin.mps_log.ShouldLog()) {
    LOG_WARNING(
        "'{}' is not served until its MPS control daemon answers (is mps-control-daemon running "
        "on this node?): {}; checking again in {} ms",
        name, problem, delay.count());
  }
  return false;
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
