// Kubernetes API calls over HTTPS: get, create, update, list and watch, authenticated with the
// cluster config's bearer token or client certificate, and rate-limited like client-go
// (--kube-api-qps / --kube-api-burst).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <string>

#include "kube/api.h"
#include "kube/config.h"

namespace nvdp::kube {

struct ClientOptions {
  double qps = 5;  // <= 0: no limit
  int burst = 10;
  std::chrono::milliseconds timeout{30000};
  std::chrono::milliseconds watch_idle_timeout{5 * 60 * 1000};
};

// A token bucket: `burst` requests at once, then `qps` per second.
class RateLimiter {
 public:
  RateLimiter(double qps, int burst);
  void Acquire();

 private:
  std::mutex mutex_;
  double qps_, burst_, tokens_;
  std::chrono::steady_clock::time_point last_;
};

// The API over HTTPS (Boost.Beast, OpenSSL). Watch failures of the connection are HttpError.
class Client final : public Api {
 public:
  Client(ClusterConfig config, ClientOptions options = {});
  ~Client() override;

  nlohmann::json Get(const std::string& path) override;
  nlohmann::json Create(const std::string& path, const nlohmann::json& object) override;  // POST
  nlohmann::json Update(const std::string& path, const nlohmann::json& object) override;  // PUT
  nlohmann::json Delete(const std::string& path, const nlohmann::json& options) override;
  void Watch(const std::string& path, const std::string& resource_version,
             const EventHandler& on_event, const std::atomic<bool>& cancel) override;

  const ClusterConfig& config() const { return config_; }

 private:
  HttpRequest Request(const std::string& method, const std::string& path, std::string body = {});
  nlohmann::json Call(const std::string& method, const std::string& path, std::string body = {});
  std::string Token();

  ClusterConfig config_;
  ClientOptions options_;
  std::unique_ptr<HttpsClient> https_;
  RateLimiter limiter_;
  std::mutex token_mutex_;
  std::string token_;
  std::chrono::steady_clock::time_point token_read_{};
};

}  // namespace nvdp::kube
