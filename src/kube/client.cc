#include "kube/client.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "common/fs.h"
#include "common/strings.h"

namespace nvdp::kube {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Projected service account tokens rotate; client-go re-reads them about once a minute.
constexpr std::chrono::seconds kTokenReread{60};

ApiError ErrorFrom(int status, const std::string& body, const std::string& what) {
  std::string message = what + ": HTTP " + std::to_string(status);
  try {
    Json status_object = Json::parse(body);
    if (status_object.contains("message")) {
      message += ": " + status_object["message"].get<std::string>();
    }
  } catch (const std::exception&) {
    if (!body.empty()) message += ": " + body.substr(0, 200);
  }
  return ApiError(status, message);
}

}  // namespace

RateLimiter::RateLimiter(double qps, int burst)
    : qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_(Clock::now()) {}

void RateLimiter::Acquire() {
  if (qps_ <= 0) return;
  std::unique_lock lock(mutex_);
  while (true) {
    const auto now = Clock::now();
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * qps_);
    last_ = now;
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return;
    }
    const auto wait = std::chrono::duration<double>((1 - tokens_) / qps_);
    lock.unlock();
    std::this_thread::sleep_for(wait);
    lock.lock();
  }
}

Client::Client(ClusterConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(options),
      https_(std::make_unique<HttpsClient>(config_.host, config_.port, config_.tls)),
      limiter_(options.qps, options.burst) {}

Client::~Client() = default;

std::string Client::Token() {
  if (config_.token_file.empty()) return config_.token;
  std::lock_guard lock(token_mutex_);
  if (token_.empty() || Clock::now() - token_read_ > kTokenReread) {
    std::string token(TrimSpace(ReadAttribute(config_.token_file).value_or("")));
    if (!token.empty()) token_ = token;  // keep the last good one across a rotation
    token_read_ = Clock::now();
  }
  return token_;
}

HttpRequest Client::Request(const std::string& method, const std::string& path, std::string body) {
  HttpRequest request;
  request.method = method;
  request.target = path;
  request.headers.emplace_back("Accept", "application/json");
  const std::string token = Token();
  if (!token.empty()) request.headers.emplace_back("Authorization", "Bearer " + token);
  if (!body.empty()) request.headers.emplace_back("Content-Type", "application/json");
  request.body = std::move(body);
  return request;
}

Json Client::Call(const std::string& method, const std::string& path, std::string body) {
  limiter_.Acquire();
  HttpResponse response = https_->Send(Request(method, path, std::move(body)), options_.timeout);
  if (response.status < 200 || response.status >= 300) {
    throw ErrorFrom(response.status, response.body, method + " " + path);
  }
  try {
    return Json::parse(response.body);
  } catch (const Json::exception& error) {
    throw ApiError(response.status, method + " " + path + ": invalid JSON: " + error.what());
  }
}

Json Client::Get(const std::string& path) { return Call("GET", path); }

Json Client::Create(const std::string& path, const Json& object) {
  return Call("POST", path, object.dump());
}

Json Client::Update(const std::string& path, const Json& object) {
  return Call("PUT", path, object.dump());
}

Json Client::Delete(const std::string& path, const Json& options) {
  return Call("DELETE", path, options.dump());
}

void Client::Watch(const std::string& path, const std::string& resource_version,
                   const EventHandler& on_event, const std::atomic<bool>& cancel) {
  limiter_.Acquire();
  const std::string separator = path.find('?') == std::string::npos ? "?" : "&";
  const std::string target =
      path + separator + "watch=1&allowWatchBookmarks=true" +
      (resource_version.empty() ? "" : "&resourceVersion=" + resource_version);
  std::string pending, error_body;
  int status = 0;
  bool stop = false;
  auto on_data = [&](std::string_view data) {
    if (status != 200) {
      error_body.append(data);
      return error_body.size() < 65536;
    }
    pending.append(data);
    for (size_t newline; !stop && (newline = pending.find('\n')) != std::string::npos;) {
      const std::string line = pending.substr(0, newline);
      pending.erase(0, newline + 1);
      if (TrimSpace(line).empty()) continue;
      Json event = Json::parse(line);  // a malformed event is the server's bug: throw
      const std::string type = event.value("type", "");
      const Json& object = event["object"];
      if (type == "ERROR") {
        throw ApiError(object.value("code", 500),
                       "watch " + path + ": " + object.value("message", std::string("error")));
      }
      Event kind = type == "ADDED"      ? Event::kAdded
                   : type == "MODIFIED" ? Event::kModified
                   : type == "DELETED"  ? Event::kDeleted
                                        : Event::kBookmark;
      if (type != "ADDED" && type != "MODIFIED" && type != "DELETED" && type != "BOOKMARK")
        continue;
      if (!on_event(kind, object)) stop = true;
    }
    return !stop;
  };
  https_->Stream(
      Request("GET", target), [&](int s) { return (status = s), true; }, on_data, cancel,
      options_.watch_idle_timeout);
  if (status != 200 && status != 0) throw ErrorFrom(status, error_body, "watch " + path);
}

}  // namespace nvdp::kube
