// Keeps this node's pool of ResourceSlices in the API server equal to the devices found at start:
// lists the node's slices of this driver, updates, creates (generateName) and deletes (with uid
// and resourceVersion preconditions) so that exactly the wanted slices exist with one pool
// generation, then watches them and does it again whenever someone else changes or deletes one
// (the kubelet deletes a node's slices at its start), after a dropped watch and after 410 Gone,
// and when the wanted slices change (SetChunks: device taints). Failures are retried with backoff.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace nvdp::kube {
class Api;
}

namespace nvdp::dra {

class SlicePublisher {
 public:
  // `chunks`: the spec.devices of each wanted slice (slices.h DeviceChunks).
  SlicePublisher(kube::Api& api, std::string node_name, std::vector<nlohmann::json> chunks);

  // Until `cancel` (then call Wake). `on_sync(ok)` after every sync: true when it left the pool
  // as wanted, false when it failed (it is retried with backoff).
  void Run(const std::atomic<bool>& cancel, const std::function<void(bool ok)>& on_sync = {});
  // New wanted slices, published by Run soon. Thread-safe.
  void SetChunks(std::vector<nlohmann::json> chunks);
  // Ends Run's wait for watch events (a cancel, or new chunks).
  void Wake() { wake_ = true; }

  // One list and sync; returns the list's resourceVersion. Throws what the API calls throw.
  std::string SyncOnce();
  long long generation() const { return generation_; }
  // The last sync left the pool as wanted (and nothing failed since).
  bool synced() const { return synced_; }

 private:
  bool Matches(const nlohmann::json& slice) const;  // one of the wanted slices, as written
  void WatchUntilChanged(const std::string& version, const std::atomic<bool>& cancel);

  kube::Api& api_;
  std::string node_name_;
  std::string node_uid_;
  std::mutex chunks_mutex_;
  std::vector<nlohmann::json> chunks_;     // wanted; under chunks_mutex_
  std::vector<nlohmann::json> published_;  // what the current sync publishes (Run's thread)
  std::atomic<bool> wake_{false};
  long long generation_ = 0;
  std::set<std::string> deleted_;  // UIDs this process deleted: their DELETED events are expected
  std::atomic<bool> synced_{false};
};

}  // namespace nvdp::dra
