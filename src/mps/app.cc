#include "mps/app.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/backoff.h"
#include "common/fs.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/permissions.h"
#include "common/signals.h"
#include "common/unique_fd.h"
#include "common/version.h"
#include "config/effective.h"
#include "config/parse.h"
#include "discovery/discovery.h"
#include "mps/daemon.h"
#include "mps/shm.h"
#include "mps/tools.h"
#include "nvml/library.h"
#include "nvml/nvml.h"
#include "resource/resource.h"

namespace nvdp::mps {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

using Next = SignalAction;

// A problem that waiting does not fix: the configuration must change (SIGHUP).
class ConfigProblem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<DaemonPlan> Plan(const Options& options) {
  std::unique_ptr<nvml::Nvml> nvml;
  try {
    nvml = std::make_unique<nvml::Nvml>(nvml::Library::Open(options.container_driver_root));
  } catch (const std::exception& error) {
    throw MpsError(std::string("cannot load NVML: ") + error.what());
  }
  device::Inventory inventory;
  try {
    nvml::Session session(*nvml);
    discovery::DiscoveryOptions discovery;
    discovery.sysfs_roots = HostRoots(options.container_driver_root, "/sys");
    inventory = discovery::Discover(*nvml, discovery);
  } catch (const std::exception& error) {
    throw MpsError(std::string("nvml init failed: ") + error.what());
  }
  resource::ResourceSettings settings;
  settings.mig_strategy = options.mig_strategy;
  settings.rules = resource::ResourceRules(options.mig_strategy, inventory, options.config);
  settings.replicated = options.config.sharing.replicated();
  try {
    return PlanDaemons(resource::BuildResources(inventory, settings), inventory);
  } catch (const resource::ResourceError& error) {
    throw ConfigProblem(error.what());
  } catch (const MpsError& error) {
    throw ConfigProblem(error.what());
  }
}

class Daemons {
 public:
  explicit Daemons(std::string root) : ready_(std::move(root) + "/.ready") {}
  ~Daemons() { StopAll(); }

  void StartAll(const Options& options, const std::vector<DaemonPlan>& plans) {
    if (plans.empty()) {
      LOG_INFO("No devices are configured for MPS sharing; Waiting indefinitely.");
    } else {
      const char* path_env = std::getenv("PATH");
      Tools tools{FindTool(kNvidiaSmi, path_env ? path_env : "", options.container_driver_root),
                  FindTool(kMpsControl, path_env ? path_env : "", options.container_driver_root)};
      LOG_INFO("Using {} and {}", tools.nvidia_smi, tools.mps_control);
      for (const DaemonPlan& plan : plans) {
        daemons_.push_back(std::make_unique<ResourceDaemon>(plan, options.root, tools));
        daemons_.back()->Start();
      }
    }
    try {
      WriteFileAtomically(ready_, "");
    } catch (const FsError& error) {
      if (IsPermissionError(error.error_number())) {
        throw PermissionDenied(std::string(error.what()) + ", " + PermissionHint());
      }
      throw MpsError(error.what());
    }
    LOG_INFO("Created {}", ready_);
  }

  void StopAll() {
    std::error_code error;
    if (std::filesystem::remove(ready_, error)) LOG_INFO("Removed {}", ready_);
    for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) (*it)->Stop();
    daemons_.clear();
  }

 private:
  std::string ready_;
  std::vector<std::unique_ptr<ResourceDaemon>> daemons_;
};

// One start: load, plan, start, wait for a signal, stop.
Next RunOnce(const CommandLine& command_line, int signal_fd) {
  Options options;
  try {
    options = command_line.Load();
  } catch (const config::ConfigError& error) {
    LOG_ERROR("Invalid configuration: {}; waiting for a new one (SIGHUP)", error.what());
    return *WaitForSignal(signal_fd, std::nullopt);
  }
  for (const std::string& warning : options.warnings) LOG_WARNING("{}", warning);
  LOG_INFO("Running with config:\n{}", config::ToJson(options.config));

  // Transient failures (NVML, the tools, a daemon that does not start) are retried, sooner than
  // upstream's fixed 30 s.
  Backoff backoff({seconds(1), seconds(2), seconds(4), seconds(8), seconds(16)}, seconds(30));
  while (true) {
    Daemons daemons(options.root);
    try {
      std::vector<DaemonPlan> plans;
      if (options.config.sharing.strategy() == config::Sharing::Strategy::kMps) {
        plans = Plan(options);
      }
      daemons.StartAll(options, plans);
      return *WaitForSignal(signal_fd, std::nullopt);
    } catch (const PermissionDenied&) {
      daemons.StopAll();
      throw;  // no retry can fix it
    } catch (const ConfigProblem& error) {
      LOG_ERROR("Cannot share the GPUs with MPS: {}; waiting for a new configuration (SIGHUP)",
                error.what());
      daemons.StopAll();
      return *WaitForSignal(signal_fd, std::nullopt);
    } catch (const std::exception& error) {
      const milliseconds delay = backoff.Failed();
      LOG_ERROR("Failed to start the MPS control daemons: {}; retrying in {} s", error.what(),
                delay.count() / 1000);
      daemons.StopAll();
      if (auto next = WaitForSignal(signal_fd, delay)) return *next;
    }
  }
}

}  // namespace

int RunControlDaemon(const CommandLine& command_line) {
  LOG_INFO("Starting NVIDIA MPS Control Daemon {}", Version());
  UniqueFd signal_fd = OpenSignalFd();
  if (!signal_fd.valid()) {
    LOG_ERROR("cannot create a signalfd: {}", std::strerror(errno));
    return 1;
  }
  try {
    while (RunOnce(command_line, signal_fd.get()) == Next::kRestart) {
    }
  } catch (const PermissionDenied& error) {
    LOG_ERROR("Cannot start the MPS control daemons: {}", error.what());
    return 1;
  }
  return 0;
}

int RunMountShm(const CommandLine& command_line) {
  try {
    MountShm(command_line.root());
    return 0;
  } catch (const std::exception& error) {
    LOG_ERROR("mount-shm failed: {}", error.what());
    return 1;
  }
}

}  // namespace nvdp::mps
