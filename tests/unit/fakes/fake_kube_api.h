// An in-memory Kubernetes API for unit tests: objects by path, collection lists with a
// metadata.name field selector, watches fed by the changes tests make, and injected failures.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/api.h"

namespace nvdp::testing {

class FakeKubeApi final : public kube::Api {
 public:
  using Json = nlohmann::json;

  // Stores (or replaces) an object at `path` (a collection path + "/" + name) and tells watchers.
  void Put(const std::string& path, Json object) {
    std::lock_guard lock(mutex_);
    const bool existed = objects_.count(path) != 0;
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    objects_[path] = object;
    events_.push_back({existed ? Event::kModified : Event::kAdded, path, object});
    changed_.notify_all();
  }
  void Remove(const std::string& path) {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(path);
    if (it == objects_.end()) return;
    Json object = it->second;
    objects_.erase(it);
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    events_.push_back({Event::kDeleted, path, object});
    changed_.notify_all();
  }
  std::optional<Json> Object(const std::string& path) const {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(path);
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }
  // The next call of `method` ("GET", "POST", "PUT", "WATCH") fails with `status`.
  void FailNext(const std::string& method, int status) {
    std::lock_guard lock(mutex_);
    failures_[method].push_back(status);
  }
  // Ends every open watch (as a server timeout does).
  void EndWatches() {
    std::lock_guard lock(mutex_);
    ++watch_generation_;
    changed_.notify_all();
  }
  int Calls(const std::string& method) const {
    std::lock_guard lock(mutex_);
    auto it = calls_.find(method);
    return it == calls_.end() ? 0 : it->second;
  }

  Json Get(const std::string& path) override {
    std::unique_lock lock(mutex_);
    Called("GET");
    const size_t query = path.find('?');
    if (query == std::string::npos) {
      auto it = objects_.find(path);
      if (it == objects_.end()) throw kube::ApiError(404, "not found: " + path);
      return it->second;
    }
    const std::string collection = path.substr(0, query);
    const std::string name = SelectedName(path);
    Json list = {{"metadata", {{"resourceVersion", std::to_string(version_)}}},
                 {"items", Json::array()}};
    for (const auto& [object_path, object] : objects_) {
      if (!object_path.starts_with(collection + "/")) continue;
      if (!name.empty() && object["metadata"].value("name", "") != name) continue;
      list["items"].push_back(object);
    }
    return list;
  }

  Json Create(const std::string& path, const Json& object) override {
    {
      std::unique_lock lock(mutex_);
      Called("POST");
      if (objects_.count(path + "/" + object["metadata"].value("name", ""))) {
        throw kube::ApiError(409, "already exists");
      }
    }
    Put(path + "/" + object["metadata"].value("name", ""), object);
    return *Object(path + "/" + object["metadata"].value("name", ""));
  }

  Json Update(const std::string& path, const Json& object) override {
    {
      std::unique_lock lock(mutex_);
      Called("PUT");
      auto it = objects_.find(path);
      if (it == objects_.end()) throw kube::ApiError(404, "not found: " + path);
      const std::string expected = object["metadata"].value("resourceVersion", "");
      if (!expected.empty() && expected != it->second["metadata"].value("resourceVersion", "")) {
        throw kube::ApiError(409, "the object has been modified");
      }
    }
    Put(path, object);
    return *Object(path);
  }

  // Honours preconditions on uid and resourceVersion (409 when they do not match).
  Json Delete(const std::string& path, const Json& options) override {
    {
      std::unique_lock lock(mutex_);
      Called("DELETE");
      auto it = objects_.find(path);
      if (it == objects_.end()) throw kube::ApiError(404, "not found: " + path);
      const Json& meta = it->second["metadata"];
      const Json pre = options.value("preconditions", Json::object());
      if ((pre.contains("uid") && pre["uid"] != meta.value("uid", "")) ||
          (pre.contains("resourceVersion") &&
           pre["resourceVersion"] != meta.value("resourceVersion", ""))) {
        throw kube::ApiError(409, "precondition failed");
      }
    }
    Remove(path);
    return Json{{"kind", "Status"}, {"status", "Success"}};
  }

  void Watch(const std::string& path, const std::string& resource_version,
             const EventHandler& on_event, const std::atomic<bool>& cancel) override {
    std::unique_lock lock(mutex_);
    Called("WATCH");
    const std::string collection = path.substr(0, path.find('?'));
    const std::string name = SelectedName(path);
    const unsigned long long from = resource_version.empty() ? 0 : std::stoull(resource_version);
    const int generation = watch_generation_;
    size_t next = 0;
    while (!cancel && generation == watch_generation_) {
      for (; next < events_.size(); ++next) {
        const Change change = events_[next];
        if (!change.path.starts_with(collection + "/")) continue;
        if (!name.empty() && change.object["metadata"].value("name", "") != name) continue;
        if (std::stoull(change.object["metadata"].value("resourceVersion", "0")) <= from) continue;
        lock.unlock();
        const bool more = on_event(change.event, change.object);
        lock.lock();
        if (!more) return;
      }
      changed_.wait_for(lock, std::chrono::milliseconds(20));
    }
  }

 private:
  struct Change {
    Event event;
    std::string path;
    Json object;
  };

  // The name of a metadata.name field selector in `path`'s query, or "".
  static std::string SelectedName(const std::string& path) {
    const std::string selector = "fieldSelector=" + kube::QueryEscape("metadata.name=");
    const size_t at = path.find(selector);
    if (at == std::string::npos) return "";
    const std::string rest = path.substr(at + selector.size());
    return rest.substr(0, rest.find('&'));
  }

  // Under mutex_. Throws an injected failure.
  void Called(const std::string& method) {
    ++calls_[method];
    auto& pending = failures_[method];
    if (pending.empty()) return;
    const int status = pending.front();
    pending.pop_front();
    throw kube::ApiError(status, "injected " + method + " failure " + std::to_string(status));
  }

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, Json> objects_;
  std::deque<Change> events_;
  std::map<std::string, std::deque<int>> failures_;
  std::map<std::string, int> calls_;
  unsigned long long version_ = 0;
  int watch_generation_ = 0;
};

}  // namespace nvdp::testing
