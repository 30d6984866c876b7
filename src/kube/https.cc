#include "kube/https.h"

#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>

#include "common/version.h"
#include "kube/tls_policy.h"

namespace nvdp::kube {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {
class Session;
}

struct HttpsClient::Tls {
  ssl::context context{ssl::context::tls_client};
  // Connections the server kept open after a response, newest last, for the next Send.
  std::mutex idle_mutex;
  std::vector<std::pair<std::unique_ptr<Session>, Clock::time_point>> idle;
};

namespace {

// Kept-alive connections: at most this many idle ones, each reused for at most this long after
// its last response (API servers close idle connections after a minute or more).
constexpr std::size_t kMaxIdleConnections = 8;  // as many as the DRA plugin reads claims at once
constexpr std::chrono::seconds kIdleReuse{20};

constexpr std::chrono::milliseconds kSlice{100};  // how often a blocked call checks `cancel`

// One connection driven on its own io_context: every step is asynchronous so that deadlines and
// cancellation work, and the caller waits for each step in turn.
class Session {
 public:
  Session(ssl::context& context, const std::string& host) : stream_(ioc_, context), host_(host) {}

  // Starts an operation (given a completion handler) and runs until it completes. Past the
  // deadline, or once `cancel` is set, the socket is cancelled and the result is
  // asio::error::timed_out or operation_aborted.
  template <typename Start>
  error_code Await(Start&& start, Clock::time_point deadline,
                   const std::atomic<bool>* cancel = nullptr) {
    bool done = false;
    error_code result;
    start([&](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    bool expired = false, cancelled = false;
    Clock::time_point gave_up{};
    // `done` is set by the handler, which run_one() below invokes.
    while (!done) {  // NOLINT(bugprone-infinite-loop)
      const auto now = Clock::now();
      if (!expired && !cancelled && (now >= deadline || (cancel && *cancel))) {
        (now >= deadline ? expired : cancelled) = true;
        gave_up = now;
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().cancel(ignored);
      } else if ((expired || cancelled) && now - gave_up > std::chrono::seconds(1)) {
        // Still running a second after the cancel (e.g. inside the TLS engine): close the socket,
        // which ends every operation on it; as a last resort abandon the handlers.
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
        if (now - gave_up > std::chrono::seconds(2)) {
          ioc_.stop();
          break;
        }
      }
      if (ioc_.stopped()) ioc_.restart();
      const auto left = expired || cancelled ? Clock::duration(std::chrono::milliseconds(10))
                                             : std::max<Clock::duration>(deadline - now, {});
      ioc_.run_for(std::clamp<Clock::duration>(left, std::chrono::milliseconds(1), kSlice));
    }
    if (expired) return asio::error::timed_out;
    if (cancelled) return asio::error::operation_aborted;
    return result;
  }

  void Connect(const std::string& port, Clock::time_point deadline) {
    SSL* native = stream_.native_handle();
    error_code not_ip;
    asio::ip::make_address(host_, not_ip);
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    if (not_ip) {
      SSL_set_tlsext_host_name(native, host_.c_str());
      X509_VERIFY_PARAM_set1_host(param, host_.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str());
    }
    tcp::resolver resolver(ioc_);
    tcp::resolver::results_type endpoints;
    error_code ec = Await(
        [&](auto done) {
          resolver.async_resolve(host_, port, [&, done](error_code e, auto results) {
            endpoints = results;
            done(e);
          });
        },
        deadline);
    Check(ec, "cannot resolve " + host_);
    ec = Await([&](auto done) { beast::get_lowest_layer(stream_).async_connect(endpoints, done); },
               deadline);
    Check(ec, "cannot connect to " + host_ + ":" + port);
    // A request's header and body are separate writes: no Nagle wait for the server's ACK.
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
    ec = Await([&](auto done) { stream_.async_handshake(ssl::stream_base::client, done); },
               deadline);
    Check(ec, "TLS handshake with " + host_ + " failed");
  }

  void Write(const HttpRequest& request, Clock::time_point deadline) {
    http::request<http::string_body> message{http::string_to_verb(request.method), request.target,
                                             11};
    message.set(http::field::host, host_);
    message.set(http::field::user_agent, std::string("nvdp/") + Version());
    for (const auto& [name, value] : request.headers) message.set(name, value);
    message.body() = request.body;
    message.prepare_payload();
    error_code ec = Await([&](auto done) { http::async_write(stream_, message, done); }, deadline);
    Check(ec, "cannot send " + request.method + " " + request.target);
  }

  // `keep_alive`: whether the server leaves the connection open for another request.
  HttpResponse Read(Clock::time_point deadline, bool* keep_alive = nullptr) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    error_code ec =
        Await([&](auto done) { http::async_read(stream_, buffer_, parser, done); }, deadline);
    Check(ec, "no valid response from " + host_);
    if (keep_alive) *keep_alive = parser.get().keep_alive();
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
  }

  int ReadStream(const std::function<bool(int)>& on_headers,
                 const std::function<bool(std::string_view)>& on_data,
                 const std::atomic<bool>& cancel, std::chrono::milliseconds idle_timeout) {
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    error_code ec =
        Await([&](auto done) { http::async_read_header(stream_, buffer_, parser, done); },
              Clock::now() + idle_timeout, &cancel);
    if (ec == asio::error::operation_aborted) return 0;
    Check(ec, "no valid response from " + host_);
    const int status = static_cast<int>(parser.get().result_int());
    if (!on_headers(status)) return status;
    char chunk[16384];
    while (!parser.is_done()) {
      parser.get().body().data = chunk;
      parser.get().body().size = sizeof chunk;
      // read_some: a watch event is a small chunk that must not wait for the buffer to fill.
      ec = Await([&](auto done) { http::async_read_some(stream_, buffer_, parser, done); },
                 Clock::now() + idle_timeout, &cancel);
      if (ec == http::error::need_buffer) ec = {};
      const size_t got = sizeof chunk - parser.get().body().size;
      if (got > 0 && !on_data(std::string_view(chunk, got))) return status;
      if (ec == asio::error::operation_aborted) return status;
      if (ec == asio::error::timed_out) {
        throw HttpError("no data from " + host_ + " for " + std::to_string(idle_timeout.count()) +
                        " ms");
      }
      Check(ec, "stream from " + host_ + " broke");
    }
    return status;
  }

  // No TLS close_notify exchange: the server does not need it, and a peer that never answers
  // would only add a wait. Closing the socket ends the connection.
  void Close() {
    error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

 private:
  static void Check(const error_code& ec, const std::string& what) {
    if (ec) throw HttpError(what + ": " + ec.message());
  }

  asio::io_context ioc_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  std::string host_;
};

// Restricts the context to the build's TLS policy. A policy OpenSSL cannot apply is an error: the
// FIPS build must never fall back to the defaults.
void ApplyPolicy(SSL_CTX* context, const TlsPolicy& policy) {
  if (policy.require_fips_provider) {
    static const bool fips =
        OSSL_PROVIDER_available(nullptr, "fips") || OSSL_PROVIDER_load(nullptr, "fips") != nullptr;
    if (fips && EVP_default_properties_enable_fips(nullptr, 1) != 1) {
      throw HttpError("cannot enable the OpenSSL FIPS provider");
    }
  }
  if (!policy.cipher_list.empty() &&
      SSL_CTX_set_cipher_list(context, policy.cipher_list.c_str()) != 1) {
    throw HttpError("TLS policy " + policy.name + ": no usable TLS 1.2 cipher");
  }
  if (!policy.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(context, policy.ciphersuites.c_str()) != 1) {
    throw HttpError("TLS policy " + policy.name + ": no usable TLS 1.3 cipher suite");
  }
  if (!policy.groups.empty() && SSL_CTX_set1_groups_list(context, policy.groups.c_str()) != 1) {
    throw HttpError("TLS policy " + policy.name + ": no usable key exchange group");
  }
  if (!policy.sigalgs.empty() && SSL_CTX_set1_sigalgs_list(context, policy.sigalgs.c_str()) != 1) {
    throw HttpError("TLS policy " + policy.name + ": no usable signature algorithm");
  }
}

}  // namespace

HttpsClient::HttpsClient(std::string host, std::string port, TlsSettings tls)
    : host_(std::move(host)), port_(std::move(port)), tls_(std::make_unique<Tls>()) {
  ssl::context& context = tls_->context;
  context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                      ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  context.set_verify_mode(ssl::verify_peer);
  ApplyPolicy(context.native_handle(), ActiveTlsPolicy());
  error_code ec;
  if (tls.ca_pem.empty()) {
    context.set_default_verify_paths(ec);
  } else {
    context.add_certificate_authority(asio::buffer(tls.ca_pem), ec);
  }
  if (ec) throw HttpError("invalid certificate authority: " + ec.message());
  if (!tls.client_cert_pem.empty()) {
    context.use_certificate_chain(asio::buffer(tls.client_cert_pem), ec);
    if (ec) throw HttpError("invalid client certificate: " + ec.message());
    context.use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem, ec);
    if (ec) throw HttpError("invalid client key: " + ec.message());
  }
}

HttpsClient::~HttpsClient() = default;

HttpResponse HttpsClient::Send(const HttpRequest& request, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // A kept-alive connection first; if the server closed it meanwhile, once more on a new one
  // (the request never reached a server that had closed, so sending it again is safe).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Session> session;
    if (attempt == 0) {
      std::lock_guard lock(tls_->idle_mutex);
      while (!tls_->idle.empty() && !session) {
        auto [idle, since] = std::move(tls_->idle.back());
        tls_->idle.pop_back();
        if (Clock::now() - since < kIdleReuse) {
          session = std::move(idle);
        } else {
          idle->Close();
        }
      }
    }
    const bool reused = session != nullptr;
    if (!session) {
      session = std::make_unique<Session>(tls_->context, host_);
      session->Connect(port_, deadline);
    }
    HttpResponse response;
    bool keep_alive = false;
    try {
      session->Write(request, deadline);
      response = session->Read(deadline, &keep_alive);
    } catch (const HttpError&) {
      session->Close();
      if (reused && Clock::now() < deadline) continue;
      throw;
    }
    if (keep_alive) {
      std::lock_guard lock(tls_->idle_mutex);
      if (tls_->idle.size() < kMaxIdleConnections) {
        tls_->idle.emplace_back(std::move(session), Clock::now());
        return response;
      }
    }
    session->Close();
    return response;
  }
}

int HttpsClient::Stream(const HttpRequest& request, const std::function<bool(int)>& on_headers,
                        const std::function<bool(std::string_view)>& on_data,
                        const std::atomic<bool>& cancel, std::chrono::milliseconds idle_timeout) {
  const auto deadline = Clock::now() + idle_timeout;
  Session session(tls_->context, host_);
  session.Connect(port_, deadline);
  session.Write(request, deadline);
  const int status = session.ReadStream(on_headers, on_data, cancel, idle_timeout);
  session.Close();
  return status;
}

}  // namespace nvdp::kube
