// A small HTTP/1.1 server for probes and metrics scrapes: GET and HEAD only, each answered and the
// connection closed. Connections are served concurrently on one thread (Boost.Beast's parser over
// Asio), each under a deadline and in a bounded number, so no client, slow or idle or many, can
// keep a liveness probe from being answered. Not for anything with a body.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace nvdp {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server thread with the path (query string removed).
using HttpHandler = std::function<HttpResponse(std::string_view path)>;

struct HttpServerLimits {
  // Open connections at most; a new one beyond it closes the oldest, which can only be a client
  // that has not finished its request (answering takes microseconds).
  size_t max_connections = 64;
  // From accept to the answer sent: a client dripping its request is cut off here.
  std::chrono::milliseconds deadline{5000};
  size_t max_request_head = 8192;  // request line and headers; more is a 400
};

class HttpServer {
 public:
  // `address` as Go's net.Listen takes it: ":8080" (every interface), "127.0.0.1:8080",
  // "[::1]:8080", "localhost:0" (any free port).
  HttpServer(std::string address, HttpHandler handler, HttpServerLimits limits = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Throws std::runtime_error naming the address and the problem.
  void Start();
  void Stop();
  int port() const { return port_; }  // the bound port, once started

 private:
  struct Impl;
  std::string address_;
  HttpHandler handler_;
  HttpServerLimits limits_;
  int port_ = 0;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" / "[v6]:port" / ":port". Returns false when malformed.
bool SplitHostPort(std::string_view address, std::string* host, std::string* port);

}  // namespace nvdp
