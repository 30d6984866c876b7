// A small HTTP/1.1 server for probes and metrics scrapes: GET and HEAD only, one connection at a
// time on one thread, each answered and closed. Not for anything with a body or many clients.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "common/unique_fd.h"

namespace nvdp {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Called on the server thread with the path (query string removed).
using HttpHandler = std::function<HttpResponse(std::string_view path)>;

class HttpServer {
 public:
  // `address` as Go's net.Listen takes it: ":8080" (every interface), "127.0.0.1:8080",
  // "[::1]:8080", "localhost:0" (any free port).
  HttpServer(std::string address, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. Throws std::runtime_error naming the address and the problem.
  void Start();
  void Stop();
  int port() const { return port_; }  // the bound port, once started

 private:
  void Serve();
  void Answer(int connection);

  std::string address_;
  HttpHandler handler_;
  UniqueFd listener_;
  UniqueFd wake_;  // eventfd: Stop() wakes the poll
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Splits "host:port" / "[v6]:port" / ":port". Returns false when malformed.
bool SplitHostPort(std::string_view address, std::string* host, std::string* port);

}  // namespace nvdp
