#include "gfd/app.h"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <optional>

#include "common/fs.h"
#include "common/log.h"
#include "common/paths.h"
#include "common/permissions.h"
#include "common/signals.h"
#include "common/unique_fd.h"
#include "common/version.h"
#include "config/effective.h"
#include "discovery/tegra.h"
#include "gfd/cuda_facts.h"
#include "gfd/facts.h"
#include "gfd/nodefeature.h"
#include "gfd/output.h"
#include "gfd/vfio_facts.h"
#include "gfd/vgpu.h"
#include "kube/client.h"
#include "nvml/library.h"
#include "nvml/nvml.h"

namespace nvdp::gfd {
namespace {

using Next = SignalAction;

class Labeller {
 public:
  explicit Labeller(const Options& options) : options_(options) {
    sysfs_roots_ = HostRoots(options_.container_driver_root, "/sys");
    try {
      nvml_ = std::make_shared<nvml::Nvml>(nvml::Library::Open(options_.container_driver_root));
      LOG_INFO("Loaded NVML from {}", nvml_->library().path());
    } catch (const std::exception& error) {
      load_error_ = error.what();
    }
  }

  // One pass: every label source merged. Throws on errors that end the program.
  Labels Pass(const Labels& timestamp) {
    Labels labels = timestamp;
    std::vector<std::string> warnings;
    for (const auto& [key, value] : DeviceLabelsOrNone(&warnings)) labels[key] = value;
    std::string vgpu_warning;
    for (const auto& [key, value] : VgpuLabels(PickSysfsRoot(sysfs_roots_), &vgpu_warning)) {
      labels[key] = value;
    }
    if (!vgpu_warning.empty()) warnings.push_back(vgpu_warning);
    for (const std::string& warning : warnings) LOG_WARNING("{}", warning);
    if (labels.size() <= 1) LOG_WARNING("No labels generated from any source");
    return labels;
  }

 private:
  // NVML's facts, or CUDA's on a Tegra node: chosen, or (auto) a Tegra driver root where NVML
  // cannot be loaded, or NVML listing only integrated GPUs, as the device plugin resolves it.
  NodeFacts PlatformFacts() {
    using config::DiscoveryStrategy;
    const DiscoveryStrategy strategy = options_.discovery_strategy;
    const std::string& root = options_.container_driver_root;
    if (strategy == DiscoveryStrategy::kTegra) {
      return ReadCudaFacts(root, options_.machine_type_file);
    }
    if (strategy == DiscoveryStrategy::kVfio) {
      return ReadVfioFacts(sysfs_roots_, options_.machine_type_file);
    }
    if (!nvml_) {
      if (strategy == DiscoveryStrategy::kAuto && discovery::HasTegraMarkers(root)) {
        return ReadCudaFacts(root, options_.machine_type_file);
      }
      throw std::runtime_error(load_error_);
    }
    NodeFacts facts;
    {
      nvml::Session session(*nvml_);
      facts = ReadFacts(*nvml_, {sysfs_roots_, options_.machine_type_file});
    }
    if (strategy == DiscoveryStrategy::kAuto && discovery::AllIntegratedGpus(facts.gpus)) {
      return ReadCudaFacts(root, options_.machine_type_file);
    }
    return facts;
  }

  Labels DeviceLabelsOrNone(std::vector<std::string>* warnings) {
    NodeFacts facts;
    try {
      facts = PlatformFacts();
    } catch (const LabelError&) {
      throw;
    } catch (const std::exception& error) {
      if (options_.fail_on_init_error) {
        const bool cuda = dynamic_cast<const CudaError*>(&error) != nullptr;
        throw std::runtime_error(
            std::string(cuda ? "failed to initialize CUDA: " : "failed to initialize NVML: ") +
            error.what());
      }
      // Upstream switches to a manager without devices: only the other sources label.
      LOG_WARNING("NVML unavailable ({}); fail-on-init-error=false: no device labels",
                  error.what());
      return {};
    }
    return DeviceLabels(facts, options_.mig_strategy, options_.config.sharing, warnings);
  }

  const Options& options_;
  std::vector<std::string> sysfs_roots_;
  std::shared_ptr<nvml::Nvml> nvml_;
  std::string load_error_;
};

// `file_output`: this run wrote the feature file (the NodeFeature object stays, as upstream
// leaves it).
void RemoveOutput(const Options& options, bool file_output) {
  if (options.oneshot || options.output_file.empty() || !file_output) return;
  std::error_code error;
  std::filesystem::remove(options.output_file, error);
  std::filesystem::remove_all(std::filesystem::path(options.output_file).parent_path() / "gfd-tmp",
                              error);
}

void FallBackToTheFile(const Options& options, const std::string& reason) {
  LOG_WARNING(
      "The NodeFeature API cannot take the labels ({}); writing the feature file {} instead "
      "(GFD_USE_NODE_FEATURE_API=true or false chooses)",
      reason, options.output_file.empty() ? "to stdout" : options.output_file);
}

// One configuration until a signal; returns what to do next or throws on an error.
// `file_output` says whether the feature file is written (also when it throws).
Next Run(const Options& options, int signal_fd, bool* file_output) {
  Labeller labeller(options);
  std::unique_ptr<kube::Client> client;
  std::unique_ptr<NodeFeatureWriter> node_feature;
  *file_output = !options.use_node_feature_api;
  if (options.use_node_feature_api) {
    kube::ClientOptions client_options;
    client_options.qps = options.kube_api_qps;
    client_options.burst = options.kube_api_burst;
    try {
      client = std::make_unique<kube::Client>(
          kube::ResolveClusterConfig(options.kubeconfig, flags::ProcessEnvironment()),
          client_options);
      node_feature = std::make_unique<NodeFeatureWriter>(*client, options.namespace_name,
                                                         options.node_name, options.pod_name);
    } catch (const std::exception& error) {
      if (!options.node_feature_api_by_default) throw;
      FallBackToTheFile(options, error.what());  // no cluster to talk to
      *file_output = true;
    }
  }
  Labels timestamp;  // fixed for this run, as upstream
  if (!options.no_timestamp) {
    timestamp["nvidia.com/gfd.timestamp"] = std::to_string(std::time(nullptr));
  }
  while (true) {
    const Labels labels = labeller.Pass(timestamp);
    const std::string text = FeatureFileText(labels);
    if (node_feature) {
      try {
        node_feature->Write(labels);
      } catch (const kube::ApiError& error) {
        // Forbidden (no RBAC for it) or not found (NFD without the NodeFeature resource) mean
        // the cluster was not set up for the API; anything else is an error as when chosen.
        const bool unprepared = error.status() == 403 || error.status() == 404;
        if (!options.node_feature_api_by_default || !unprepared) throw;
        FallBackToTheFile(options, error.what());
        node_feature.reset();
        *file_output = true;
      }
    }
    if (!node_feature && options.output_file.empty()) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    } else if (!node_feature) {
      WriteFileAtomically(options.output_file, text);
      LOG_INFO("Wrote {} labels to {}", labels.size(), options.output_file);
    }
    if (options.oneshot) return Next::kExit;
    if (!options.sleep_interval) LOG_INFO("Sleeping until a signal (--sleep-interval=infinite)");
    if (auto next = WaitForSignal(signal_fd, options.sleep_interval)) return *next;
  }
}

}  // namespace

int RunFeatureDiscovery(const CommandLine& command_line) {
  LOG_INFO("Starting GPU Feature Discovery {}", Version());
  UniqueFd signals = OpenSignalFd();
  std::optional<Options> last_good;  // a reload that fails keeps it (upstream exits)
  while (true) {
    Options options;
    try {
      options = command_line.Load();
    } catch (const std::exception& error) {
      if (!last_good) {
        LOG_ERROR("error: unable to load config: {}", error.what());
        return 1;
      }
      LOG_ERROR("Not reloading: the new configuration is invalid: {}; keeping the last good one",
                error.what());
      options = *last_good;
    }
    last_good = options;
    for (const std::string& warning : options.warnings) LOG_WARNING("{}", warning);
    LOG_INFO("Running with config:\n{}", config::ToJson(options.config));
    Next next;
    bool file_output = false;
    try {
      next = Run(options, signals.get(), &file_output);
    } catch (const FsError& error) {
      if (IsPermissionError(error.error_number())) {
        LOG_ERROR("error: {}; {}", error.what(), PermissionHint());
      } else {
        LOG_ERROR("error: {}", error.what());
      }
      RemoveOutput(options, file_output);
      return 1;
    } catch (const std::exception& error) {
      LOG_ERROR("error: {}", error.what());
      RemoveOutput(options, file_output);
      return 1;
    }
    RemoveOutput(options, file_output);
    if (next == Next::kExit) return 0;
  }
}

}  // namespace nvdp::gfd
