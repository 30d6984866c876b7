// A small HTTPS client for the Kubernetes API: requests on kept-alive connections (a few idle
// ones are reused, so a burst of calls does not pay a TLS handshake each), or one streamed
// response (a watch) on a connection of its own. Boost.Beast does the HTTP/1.1, OpenSSL the TLS;
// the server certificate is always verified against the given CA and the host name. Boost stays
// inside https.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nvdp::kube {

struct TlsSettings {
  std::string ca_pem;  // trusted CA certificates; empty: the system's
  std::string client_cert_pem;
  std::string client_key_pem;
};

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, e.g. /api/v1/nodes?fieldSelector=...
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// The request could not be made or answered: connection, TLS, timeout, malformed response.
class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class HttpsClient {
 public:
  HttpsClient(std::string host, std::string port, TlsSettings tls);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  // Throws HttpError when no complete response arrives within `timeout`. Thread-safe.
  HttpResponse Send(const HttpRequest& request, std::chrono::milliseconds timeout);

  // Streams the response body (chunked encoding removed) to `on_data` as it arrives; returns the
  // status. `on_headers` sees the status first and may decline the body by returning false.
  // Ends when the server ends the body, `on_data` returns false, `cancel` is set (checked every
  // 100 ms) or nothing arrives for `idle_timeout` (HttpError).
  int Stream(const HttpRequest& request, const std::function<bool(int status)>& on_headers,
             const std::function<bool(std::string_view)>& on_data, const std::atomic<bool>& cancel,
             std::chrono::milliseconds idle_timeout);

  const std::string& host() const { return host_; }

 private:
  struct Tls;
  std::string host_, port_;
  std::unique_ptr<Tls> tls_;
};

}  // namespace nvdp::kube
