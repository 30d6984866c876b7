#include "configmanager/app.h"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/log.h"
#include "common/signals.h"
#include "common/version.h"
#include "configmanager/syncable.h"
#include "kube/client.h"
#include "kube/node_watcher.h"

namespace nvdp::configmanager {
namespace {

constexpr std::chrono::seconds kFirstSyncWait{30};
constexpr std::chrono::milliseconds kStopPoll{100};  // how soon a stop request is seen

// Tells the consumer to reload. A failure is logged, not fatal: the link is in place, and the
// consumer reads it when it (re)starts.
void Signal(const Options& options) {
  const int pid = FindProcess("/proc", options.process_to_signal);
  if (pid == 0) {
    LOG_ERROR(
        "Unable to find a process named {} to signal; it reads the new config when it "
        "starts",
        options.process_to_signal);
  } else if (kill(pid, options.signal) != 0) {
    LOG_ERROR("Cannot signal {} (pid {}): {}", options.process_to_signal, pid,
              std::strerror(errno));
  } else {
    LOG_INFO("Sent signal {} to {} (pid {})", options.signal, options.process_to_signal, pid);
  }
}

std::string Describe(const std::string& label, const std::string& value) {
  return value.empty() ? label + " (unset)" : label + "=" + value;
}

}  // namespace

int ManageConfig(const Options& options, kube::Api& api, std::atomic<bool>& stop) {
  SyncableValue label;
  kube::NodeLabelWatcher watcher(api, options.node_name, options.node_label);
  std::thread watching([&] {
    watcher.Run([&](const std::string& value) { label.Set(value); }, [&] { label.MarkSynced(); },
                stop);
  });
  // Wakes the loop below when `stop` is set from outside (a signal).
  std::thread waker([&] {
    while (!stop) std::this_thread::sleep_for(kStopPoll);
    label.Wake();
  });
  auto finish = [&](int code) {
    stop = true;
    label.Wake();
    watching.join();
    waker.join();
    return code;
  };

  std::string current;  // the config we last pointed the link at
  while (auto value = label.Get(kFirstSyncWait, stop)) {
    if (current.empty() && !label.synced()) {
      LOG_WARNING("Could not read node {} within {} s; deciding without its label",
                  options.node_name, kFirstSyncWait.count());
    }
    try {
      const std::string source = ChooseConfig(options.update, *value);
      if (!UpdateLink(source, options.update.destination)) {
        LOG_INFO("Already configured: {} -> {}", options.update.destination, source);
      } else {
        LOG_INFO("Updated {} -> {} for {}", options.update.destination, source,
                 Describe(options.node_label, *value));
        if (options.send_signal) Signal(options);
      }
      current = source;
    } catch (const UpdateError& error) {
      if (options.oneshot) {
        LOG_ERROR("error updating the config for {}: {}", Describe(options.node_label, *value),
                  error.what());
        return finish(1);
      }
      // Upstream exits here and the sidecar crash-loops; keeping the last config is safer.
      LOG_ERROR("Not applying the config for {}: {}; keeping {} and waiting for the next change",
                Describe(options.node_label, *value), error.what(),
                current.empty() ? "the current config" : current);
    }
    if (options.oneshot) return finish(0);
  }
  return finish(0);
}

int RunConfigManager(const Options& options, const flags::EnvLookup& env) {
  LOG_INFO("Starting config-manager {}: node {}, label {}, configs in {}, link {}", Version(),
           options.node_name, options.node_label, options.update.source_dir,
           options.update.destination);
  UniqueFd signals = OpenSignalFd();  // every one of them ends config-manager

  std::unique_ptr<kube::Client> client;
  try {
    client = std::make_unique<kube::Client>(kube::ResolveClusterConfig(options.kubeconfig, env));
  } catch (const std::exception& error) {
    LOG_ERROR("error creating the Kubernetes client: {}", error.what());
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread signal_waiter([&] {
    while (!stop) {
      const Wakeup wakeup = WaitForEvents(signals.get(), kStopPoll);
      if (!wakeup.signal) continue;
      LOG_INFO("Received signal \"{}\", shutting down.", strsignal(*wakeup.signal));
      stop = true;
    }
  });
  const int code = ManageConfig(options, *client, stop);
  stop = true;
  signal_waiter.join();
  return code;
}

}  // namespace nvdp::configmanager
