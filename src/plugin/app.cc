#include "plugin/app.h"

#include <malloc.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "common/http_server.h"
#include "common/log.h"
#include "common/signals.h"
#include "common/unique_fd.h"
#include "common/version.h"
#include "plugin/dry_run.h"
#include "plugin/observability.h"
#include "plugin/plugin_manager.h"

namespace nvdp::plugin {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kNvmlRetry{30000};
constexpr milliseconds kHeartbeat{5000};  // the main loop wakes at least this often

// Watches the kubelet socket directory. The watch can fail (directory not there yet); the
// caller retries.
class DirectoryWatch {
 public:
  explicit DirectoryWatch(std::string dir) : dir_(std::move(dir)) {
    fd_ = UniqueFd(inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    TryWatch();
  }
  int fd() const { return fd_.get(); }
  bool watching() const { return watch_ >= 0; }
  void TryWatch() {
    if (watch_ >= 0 || !fd_.valid()) return;
    watch_ = inotify_add_watch(
        fd_.get(), dir_.c_str(),
        IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF | IN_MOVE_SELF);
    if (watch_ >= 0) LOG_INFO("Watching {} for kubelet restarts", dir_);
  }
  // Drains events; returns true if `name` was created in the directory.
  bool Drain(const std::string& name) {
    bool created = false;
    alignas(struct inotify_event) char buffer[4096];
    while (true) {
      ssize_t length = read(fd_.get(), buffer, sizeof(buffer));
      if (length <= 0) break;
      for (char* p = buffer; p < buffer + length;) {
        auto* event = reinterpret_cast<struct inotify_event*>(p);
        if ((event->mask & (IN_CREATE | IN_MOVED_TO)) && event->len > 0 && name == event->name) {
          created = true;
        }
        if (event->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF)) watch_ = -1;
        if (event->mask & IN_Q_OVERFLOW) created = true;  // events lost: assume the worst
        p += sizeof(struct inotify_event) + event->len;
      }
    }
    return created;
  }

 private:
  std::string dir_;
  UniqueFd fd_;
  int watch_ = -1;
};

// The options after SIGHUP, or nullopt (logged) when the new configuration is invalid.
std::optional<Options> Reload(const CommandLine& command_line) {
  try {
    return command_line.Load();
  } catch (const std::exception& invalid) {
    LOG_ERROR(
        "Not restarting: the new configuration is invalid: {}; still serving the last good "
        "configuration",
        invalid.what());
    return std::nullopt;
  }
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int DryRun(const Options& options) {
  for (const std::string& warning : options.warnings) LOG_WARNING("{}", warning);
  PluginManager manager(options);
  try {
    Plan plan = manager.Prepare();
    std::string text = options.output == "json" ? DescribeAsJson(plan) : DescribeAsText(plan);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
  } catch (const std::exception& error) {
    LOG_ERROR("error starting plugins: {}", error.what());
    return 1;
  }
}

int RunDevicePlugin(const CommandLine& command_line) {
  // gRPC's threads would each get a malloc arena of their own; two keep the heap small (a few
  // hundred KiB of a 10 MiB process) at no cost for a plugin's request rate.
  mallopt(M_ARENA_MAX, 2);
  Options options;
  try {
    options = command_line.Load();
  } catch (const std::exception& error) {
    LOG_ERROR("error starting plugins: {}", error.what());
    return 1;
  }
  if (options.dry_run) return DryRun(options);
  LOG_INFO("Starting NVIDIA device plugin {} (kubelet socket {}, container driver root {})",
           Version(), options.kubelet_socket.empty() ? "none" : options.kubelet_socket,
           options.container_driver_root);
  UniqueFd signals = OpenSignalFd();
  DirectoryWatch watch(options.PluginDirectory());
  const std::string kubelet_socket_name = BaseName(options.kubelet_socket);

  PluginManager manager(options);
  Observability observability(manager);
  std::optional<HttpServer> http;
  if (!options.metrics_address.empty()) {
    http.emplace(options.metrics_address,
                 [&observability](std::string_view path) { return observability.Handle(path); });
    try {
      http->Start();
    } catch (const std::exception& failure) {
      LOG_ERROR("error starting the metrics endpoint: {}", failure.what());
      return 1;
    }
    LOG_INFO("Serving /healthz, /readyz and /metrics on {} (port {})", options.metrics_address,
             http->port());
  }
  // A health thread stuck in NVML may still be running: end without static destructors.
  auto finish = [&](int code) {
    if (http) http->Stop();
    if (!manager.threads_clean()) {
      std::fflush(nullptr);
      _exit(code);
    }
    return code;
  };
  std::string error;
  auto start = [&] {
    PluginManager::StartResult result = manager.Start(&error);
    if (result == PluginManager::StartResult::kFatal)
      LOG_ERROR("error starting plugins: {}", error);
    return result;
  };
  PluginManager::StartResult state = start();
  if (state == PluginManager::StartResult::kFatal) return finish(1);
  auto last_start = std::chrono::steady_clock::now();

  while (true) {
    observability.Beat();
    milliseconds timeout = std::min(manager.NextReconcileDelay(), kHeartbeat);
    if (state == PluginManager::StartResult::kNvmlUnavailable) timeout = kNvmlRetry;
    if (!watch.watching()) timeout = std::min(timeout, milliseconds(1000));
    std::vector<int> fds;
    if (watch.fd() >= 0) fds.push_back(watch.fd());
    const Wakeup wakeup = WaitForEvents(signals.get(), timeout, fds);

    if (wakeup.signal && *wakeup.signal != SIGHUP) {
      LOG_INFO("Received signal \"{}\", shutting down.", strsignal(*wakeup.signal));
      manager.Stop();
      return finish(0);
    }
    if (wakeup.signal) {
      LOG_INFO("Received signal \"hangup\", restarting.");
      if (std::optional<Options> reloaded = Reload(command_line)) {
        manager.metrics()->restarts.Inc({"sighup"});
        const PluginManager::StartResult result = manager.Restart(std::move(*reloaded), &error);
        if (result == PluginManager::StartResult::kKept) {
          LOG_ERROR(
              "Not restarting: the new configuration cannot be served: {}; still serving the "
              "last good configuration",
              error);
        } else {
          state = result;
          if (state == PluginManager::StartResult::kFatal) {
            LOG_ERROR("error starting plugins: {}", error);
            return finish(1);
          }
          last_start = std::chrono::steady_clock::now();
        }
      }
    }

    bool kubelet_restarted = false;
    if (!wakeup.readable.empty() && wakeup.readable[0]) {
      kubelet_restarted = watch.Drain(kubelet_socket_name);
      if (kubelet_restarted) {
        LOG_INFO("inotify: {} created", options.kubelet_socket);
        manager.metrics()->restarts.Inc({"kubelet"});
      }
    }
    watch.TryWatch();

    if (state == PluginManager::StartResult::kNvmlUnavailable &&
        std::chrono::steady_clock::now() - last_start >= kNvmlRetry) {
      LOG_INFO("Retrying NVML initialisation");
      manager.metrics()->restarts.Inc({"nvml_retry"});
      state = start();
      if (state == PluginManager::StartResult::kFatal) return finish(1);
      last_start = std::chrono::steady_clock::now();
    }
    if (state == PluginManager::StartResult::kServing) {
      manager.Reconcile(kubelet_restarted);
      if (!manager.fatal().empty()) {
        LOG_ERROR("error serving plugins: {}", manager.fatal());
        manager.Stop();
        return finish(1);
      }
    }
  }
}

}  // namespace nvdp::plugin
