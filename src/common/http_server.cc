#include "common/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/log.h"

namespace nvdp {
namespace {

constexpr size_t kMaxRequestHead = 8192;
constexpr int kIoTimeoutMs = 2000;

std::string_view StatusText(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t written = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return;  // the client went away or timed out
    data.remove_prefix(static_cast<size_t>(written));
  }
}

}  // namespace

bool SplitHostPort(std::string_view address, std::string* host, std::string* port) {
  size_t colon = address.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view h = address.substr(0, colon);
  std::string_view p = address.substr(colon + 1);
  if (!h.empty() && h.front() == '[') {
    if (h.size() < 2 || h.back() != ']') return false;
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string_view::npos) {
    return false;  // an IPv6 address needs brackets
  }
  if (p.empty() || p.find_first_not_of("0123456789") != std::string_view::npos || p.size() > 5)
    return false;
  if (std::stoi(std::string(p)) > 65535) return false;
  *host = h;
  *port = p;
  return true;
}

HttpServer::HttpServer(std::string address, HttpHandler handler)
    : address_(std::move(address)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  std::string host, port;
  if (!SplitHostPort(address_, &host, &port)) {
    throw std::runtime_error("invalid listen address \"" + address_ +
                             "\": expected [host]:port, e.g. :8080");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  // An empty host: every interface, IPv6 first (dual stack), as Go does.
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    throw std::runtime_error("cannot listen on " + address_ + ": " + gai_strerror(rc));
  }
  std::string failure = "no usable address";
  for (addrinfo* ai = found; ai != nullptr && !listener_.valid(); ai = ai->ai_next) {
    UniqueFd fd(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      failure = std::strerror(errno);
      continue;
    }
    int one = 1, zero = 0;
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ai->ai_family == AF_INET6 && host.empty()) {
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd.get(), 16) != 0) {
      failure = std::strerror(errno);
      continue;
    }
    listener_ = std::move(fd);
  }
  freeaddrinfo(found);
  if (!listener_.valid()) throw std::runtime_error("cannot listen on " + address_ + ": " + failure);

  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  wake_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  stop_ = false;
  thread_ = std::thread([this] { Serve(); });
}

void HttpServer::Stop() {
  stop_ = true;
  if (wake_.valid()) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t ignored = write(wake_.get(), &one, sizeof one);
  }
  if (thread_.joinable()) thread_.join();
  listener_.Reset();
  wake_.Reset();
}

void HttpServer::Serve() {
  while (!stop_) {
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LOG_ERROR("HTTP server on {}: poll failed: {}", address_, std::strerror(errno));
      return;
    }
    if (stop_ || (fds[1].revents & POLLIN)) return;
    if (!(fds[0].revents & POLLIN)) continue;
    UniqueFd connection(accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!connection.valid()) continue;
    timeval timeout{kIoTimeoutMs / 1000, 0};
    setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(connection.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    Answer(connection.get());
  }
}

void HttpServer::Answer(int connection) {
  std::string head;
  char buffer[1024];
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < kMaxRequestHead) {
    ssize_t got = recv(connection, buffer, sizeof buffer, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    head.append(buffer, static_cast<size_t>(got));
  }
  HttpResponse response;
  bool head_only = false;
  size_t line_end = head.find("\r\n");
  std::string_view line =
      std::string_view(head).substr(0, line_end == std::string::npos ? 0 : line_end);
  size_t first = line.find(' '), second = line.rfind(' ');
  if (line.empty() || first == std::string_view::npos || second == first ||
      line.substr(second + 1).substr(0, 5) != "HTTP/") {
    response = {400, "text/plain; charset=utf-8", "malformed request\n"};
  } else {
    std::string_view method = line.substr(0, first);
    std::string_view target = line.substr(first + 1, second - first - 1);
    target = target.substr(0, target.find('?'));
    head_only = method == "HEAD";
    if (method != "GET" && method != "HEAD") {
      response = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
    } else {
      try {
        response = handler_(target);
      } catch (const std::exception& error) {
        response = {500, "text/plain; charset=utf-8", std::string(error.what()) + "\n"};
      }
    }
  }
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(StatusText(response.status)) +
                    "\r\nContent-Type: " + response.content_type +
                    "\r\nContent-Length: " + std::to_string(response.body.size()) +
                    "\r\nConnection: close\r\n\r\n";
  if (!head_only) out += response.body;
  WriteAll(connection, out);
  // Read what the client still sends before closing, so unread input does not turn the close
  // into a reset that could discard the answer on its way.
  shutdown(connection, SHUT_WR);
  for (size_t drained = 0; drained < 65536;) {
    ssize_t got = recv(connection, buffer, sizeof buffer, 0);
    if (got <= 0) break;
    drained += static_cast<size_t>(got);
  }
}

}  // namespace nvdp
