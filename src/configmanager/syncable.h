// The node label's latest value, handed from the watcher thread to the main loop (spec §8.4):
// only the latest value counts, and Get blocks until it differs from the last one returned.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

namespace nvdp::configmanager {

class SyncableValue {
 public:
  void Set(const std::string& value) {
    std::lock_guard lock(mutex_);
    value_ = value;
    changed_.notify_all();
  }
  void MarkSynced() {
    std::lock_guard lock(mutex_);
    synced_ = true;
    changed_.notify_all();
  }
  void Wake() {
    std::lock_guard lock(mutex_);
    changed_.notify_all();
  }

  // The first call waits for the first sync, at most `first_wait` (upstream returns at once, so
  // an init container could apply the default before the label was read); later calls wait for
  // a different value. nullopt once `stop` is set.
  std::optional<std::string> Get(std::chrono::milliseconds first_wait,
                                 const std::atomic<bool>& stop) {
    std::unique_lock lock(mutex_);
    if (!returned_) {
      changed_.wait_for(lock, first_wait, [&] { return synced_ || stop.load(); });
    } else {
      changed_.wait(lock, [&] { return value_ != *returned_ || stop.load(); });
    }
    if (stop) return std::nullopt;
    returned_ = value_;
    return value_;
  }

  bool synced() {
    std::lock_guard lock(mutex_);
    return synced_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::string value_;
  std::optional<std::string> returned_;
  bool synced_ = false;
};

}  // namespace nvdp::configmanager
