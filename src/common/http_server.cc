#include "common/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <list>
#include <stdexcept>
#include <thread>

#include "common/log.h"
#include "common/unique_fd.h"

namespace nvdp {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

constexpr size_t kMaxDrain = 65536;  // unread request bytes read away before closing
constexpr std::chrono::milliseconds kAcceptRetry{100};

}  // namespace

// Everything lives on the io_context's one thread; Start and Stop reach it only through it.
struct HttpServer::Impl {
  class Session;

  Impl(const HttpHandler& h, const HttpServerLimits& l) : handler(h), limits(l) {}

  void Accept();
  void CloseAll();

  const HttpHandler& handler;
  const HttpServerLimits& limits;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::list<std::shared_ptr<Session>> sessions;  // oldest first
  std::thread thread;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Impl& server, tcp::socket socket) : server_(server), stream_(std::move(socket)) {}

  void Begin(std::list<std::shared_ptr<Session>>::iterator self) {
    self_ = self;
    stream_.expires_after(server_.limits.deadline);
    parser_.header_limit(static_cast<uint32_t>(server_.limits.max_request_head));
    http::async_read(
        stream_, buffer_, parser_,
        [session = shared_from_this()](error_code error, size_t) { session->OnRequest(error); });
  }

  // Idempotent; the pending operations end with operation_aborted and drop their references.
  void Close() {
    if (closed_) return;
    closed_ = true;
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    server_.sessions.erase(self_);
  }

 private:
  void OnRequest(error_code error) {
    if (closed_) return;
    if (error == beast::error::timeout || error == http::error::end_of_stream ||
        error == asio::error::eof || error == asio::error::connection_reset ||
        error == asio::error::operation_aborted) {
      Close();  // nothing (complete) to answer
      return;
    }
    HttpResponse answer;
    bool head_only = false;
    if (error) {
      answer = {400, "text/plain; charset=utf-8", "malformed request\n"};
    } else {
      const auto& request = parser_.get();
      head_only = request.method() == http::verb::head;
      if (request.method() != http::verb::get && !head_only) {
        answer = {405, "text/plain; charset=utf-8", "only GET and HEAD\n"};
      } else {
        std::string_view target(request.target().data(), request.target().size());
        target = target.substr(0, target.find('?'));
        try {
          answer = server_.handler(target);
        } catch (const std::exception& failure) {
          answer = {500, "text/plain; charset=utf-8", std::string(failure.what()) + "\n"};
        }
      }
    }
    response_.result(static_cast<unsigned>(answer.status));
    response_.version(11);
    response_.set(http::field::content_type, answer.content_type);
    response_.content_length(answer.body.size());
    response_.set(http::field::connection, "close");
    if (!head_only) response_.body() = std::move(answer.body);
    http::async_write(stream_, response_,
                      [session = shared_from_this()](error_code, size_t) { session->Drain(); });
  }

  // Reads what the client still sends before closing, so unread input does not turn the close
  // into a reset that could discard the answer on its way. Under the same deadline.
  void Drain() {
    if (closed_) return;
    if (!draining_) {
      draining_ = true;
      error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    if (drained_ >= kMaxDrain) {
      Close();
      return;
    }
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [session = shared_from_this()](error_code error, size_t got) {
                              session->drained_ += got;
                              if (error) {
                                session->Close();
                              } else {
                                session->Drain();
                              }
                            });
  }

  Impl& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  http::response<http::string_body> response_;
  std::list<std::shared_ptr<Session>>::iterator self_;
  char drain_buffer_[4096];
  size_t drained_ = 0;
  bool draining_ = false;
  bool closed_ = false;
};

void HttpServer::Impl::Accept() {
  acceptor.async_accept([this](error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (error) {
      // Out of descriptors, say: wait a little instead of spinning on the error.
      LOG_WARNING("HTTP server: accept failed: {}", error.message());
      accept_retry.expires_after(kAcceptRetry);
      accept_retry.async_wait([this](error_code waited) {
        if (!waited) Accept();
      });
      return;
    }
    while (sessions.size() >= limits.max_connections && !sessions.empty()) {
      std::shared_ptr<Session> oldest = sessions.front();
      oldest->Close();
    }
    auto session = std::make_shared<Session>(*this, std::move(socket));
    sessions.push_back(session);
    session->Begin(std::prev(sessions.end()));
    Accept();
  });
}

void HttpServer::Impl::CloseAll() {
  error_code ignored;
  acceptor.close(ignored);
  accept_retry.cancel();
  while (!sessions.empty()) {
    std::shared_ptr<Session> session = sessions.front();
    session->Close();
  }
}

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

HttpServer::HttpServer(std::string address, HttpHandler handler, HttpServerLimits limits)
    : address_(std::move(address)), handler_(std::move(handler)), limits_(limits) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Start() {
  Stop();
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
  UniqueFd listener;
  int family = AF_INET;
  for (addrinfo* ai = found; ai != nullptr && !listener.valid(); ai = ai->ai_next) {
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
    if (bind(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd.get(), 64) != 0) {
      failure = std::strerror(errno);
      continue;
    }
    family = ai->ai_family;
    listener = std::move(fd);
  }
  freeaddrinfo(found);
  if (!listener.valid()) throw std::runtime_error("cannot listen on " + address_ + ": " + failure);

  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(listener.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  impl_ = std::make_unique<Impl>(handler_, limits_);
  impl_->acceptor.assign(family == AF_INET6 ? tcp::v6() : tcp::v4(), listener.Release());
  impl_->Accept();
  impl_->thread = std::thread([impl = impl_.get()] {
    try {
      impl->io.run();
    } catch (const std::exception& error) {  // a handler bug must not end the process
      LOG_ERROR("HTTP server stopped: {}", error.what());
    }
  });
}

void HttpServer::Stop() {
  if (!impl_) return;
  asio::post(impl_->io, [impl = impl_.get()] { impl->CloseAll(); });
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_.reset();
}

}  // namespace nvdp
