// The Kubernetes API as the programs use it: get, create, update and watch objects by path. The
// HTTPS client (client.h) implements it for a real API server; tests use an in-memory fake
// (tests/unit/fakes/fake_kube_api.h).
#pragma once

#include <atomic>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>

namespace nvdp::kube {

// The API server answered with an error status (the message is the Status object's).
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

class Api {
 public:
  virtual ~Api() = default;

  virtual nlohmann::json Get(const std::string& path) = 0;
  virtual nlohmann::json Create(const std::string& path, const nlohmann::json& object) = 0;
  virtual nlohmann::json Update(const std::string& path, const nlohmann::json& object) = 0;
  // DELETE with a body (DeleteOptions, e.g. preconditions on uid and resourceVersion).
  virtual nlohmann::json Delete(const std::string& path, const nlohmann::json& options) = 0;

  // Event types of a watch.
  enum class Event { kAdded, kModified, kDeleted, kBookmark };
  using EventHandler = std::function<bool(Event, const nlohmann::json& object)>;
  // Watches `path` (a collection, with its query) from `resource_version`, with bookmarks. Returns
  // when the server ends the stream, `cancel` is set or the handler returns false; throws
  // ApiError (status 410 when the version is too old: list again) or another std::exception
  // when the connection fails.
  virtual void Watch(const std::string& path, const std::string& resource_version,
                     const EventHandler& on_event, const std::atomic<bool>& cancel) = 0;
};

// Percent-encodes a query value (label and field selectors).
std::string QueryEscape(const std::string& value);

}  // namespace nvdp::kube
