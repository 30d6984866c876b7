// Follows one label of one Node, as upstream's informer does for config-manager (spec §8.2):
// list with a field selector, then watch from the list's version; reconnect with backoff after a
// disconnect, list again after 410 Gone.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/backoff.h"
#include "kube/api.h"

namespace nvdp::kube {

class NodeLabelWatcher {
 public:
  NodeLabelWatcher(Api& client, std::string node, std::string label)
      : client_(client), node_(std::move(node)), label_(std::move(label)) {}

  // Runs until `cancel`. `on_value` gets the label's value ("" when unset or the node is gone)
  // after every list and every change; `on_synced` once, after the first successful list.
  void Run(const std::function<void(const std::string&)>& on_value,
           const std::function<void()>& on_synced, const std::atomic<bool>& cancel);

 private:
  // Logs the failure and waits the backoff's next delay; false once cancelled.
  bool Retry(Backoff& backoff, const char* why, const std::atomic<bool>& cancel) const;

  Api& client_;
  std::string node_, label_;
};

}  // namespace nvdp::kube
