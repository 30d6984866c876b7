#include "common/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

namespace nvdp {
namespace {

// Sends `request` raw to 127.0.0.1:port and returns the whole answer.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "connect failed";
  }
  send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string answer;
  char buffer[4096];
  for (ssize_t got; (got = recv(fd, buffer, sizeof buffer, 0)) > 0;) answer.append(buffer, got);
  close(fd);
  return answer;
}

// A connected client socket, closed on destruction.
class Client {
 public:
  explicit Client(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  }
  ~Client() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& data) { send(fd_, data.data(), data.size(), MSG_NOSIGNAL); }
  // True while the server keeps the connection open (no data, no FIN, no reset yet).
  bool OpenNow() const {
    char byte;
    ssize_t got = recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
  // Waits up to `seconds` for the server to close; true when it did.
  bool ClosedByServer(int seconds) const {
    timeval timeout{seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    char buffer[256];
    while (true) {
      ssize_t got = recv(fd_, buffer, sizeof buffer, 0);
      if (got == 0 || (got < 0 && errno == ECONNRESET)) return true;
      if (got < 0) return false;  // timed out
    }
  }

 private:
  int fd_;
  bool connected_ = false;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  HttpServer server_{"127.0.0.1:0", [](std::string_view path) -> HttpResponse {
                       if (path == "/ok") return {200, "text/plain", "fine\n"};
                       if (path == "/throw") throw std::runtime_error("boom");
                       return {404, "text/plain", "nope\n"};
                     }};
};

TEST_F(HttpServerTest, AnswersGetWithStatusHeadersAndBody) {
  ASSERT_GT(server_.port(), 0);
  std::string answer = Exchange(server_.port(), "GET /ok?x=1 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(answer,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
            "Connection: close\r\n\r\nfine\n");
  EXPECT_EQ(Exchange(server_.port(), "GET /missing HTTP/1.0\r\n\r\n").substr(0, 22),
            "HTTP/1.1 404 Not Found");
}

TEST_F(HttpServerTest, HeadHasNoBody) {
  std::string answer = Exchange(server_.port(), "HEAD /ok HTTP/1.1\r\n\r\n");
  EXPECT_NE(answer.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_TRUE(answer.ends_with("\r\n\r\n")) << answer;
}

TEST_F(HttpServerTest, BadRequestsAreRefusedAndTheServerKeepsServing) {
  EXPECT_EQ(Exchange(server_.port(), "POST /ok HTTP/1.1\r\n\r\n").substr(0, 31),
            "HTTP/1.1 405 Method Not Allowed");
  EXPECT_EQ(Exchange(server_.port(), "garbage\r\n\r\n").substr(0, 24), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(Exchange(server_.port(), std::string(20000, 'x')).substr(0, 24),
            "HTTP/1.1 400 Bad Request");
  EXPECT_NE(Exchange(server_.port(), "GET /throw HTTP/1.1\r\n\r\n").find("500"), std::string::npos);
  EXPECT_EQ(Exchange(server_.port(), "GET /ok HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
}

// A client dripping its request a byte at a time used to hold the only serving thread, and so
// every liveness probe, for as long as it liked.
TEST_F(HttpServerTest, ADrippingClientDoesNotDelayOthers) {
  Client dripper(server_.port());
  ASSERT_TRUE(dripper.connected());
  dripper.Send("GET /ok HTTP/1.1\r\nHo");
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Exchange(server_.port(), "GET /ok HTTP/1.1\r\n\r\n").substr(0, 15),
              "HTTP/1.1 200 OK");
    dripper.Send("s");
  }
  EXPECT_TRUE(dripper.OpenNow());  // answered others while it was still sending
}

TEST_F(HttpServerTest, IdleConnectionsBeyondTheLimitCloseTheOldest) {
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<Client>(server_.port()));
    ASSERT_TRUE(idle.back()->connected());
  }
  EXPECT_EQ(Exchange(server_.port(), "GET /ok HTTP/1.1\r\n\r\n").substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_TRUE(idle.front()->ClosedByServer(5));  // the oldest made room
  EXPECT_TRUE(idle.back()->OpenNow());
}

TEST(HttpServerLimitsTest, TheDeadlineCutsOffASlowClient) {
  HttpServerLimits limits;
  limits.deadline = std::chrono::milliseconds(300);
  HttpServer server(
      "127.0.0.1:0", [](std::string_view) { return HttpResponse{}; }, limits);
  server.Start();
  Client slow(server.port());
  slow.Send("GET / HTTP/1.1\r\n");
  EXPECT_TRUE(slow.ClosedByServer(5));
  Client silent(server.port());
  EXPECT_TRUE(silent.ClosedByServer(5));
}

TEST_F(HttpServerTest, ConcurrentClientsAreAllAnswered) {
  std::atomic<int> ok{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (Exchange(server_.port(), "GET /ok HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 200 OK"))
          ++ok;
      }
    });
  }
  for (std::thread& client : clients) client.join();
  EXPECT_EQ(ok, 400);
}

TEST_F(HttpServerTest, StopsWithClientsConnected) {
  Client idle(server_.port());
  Client partial(server_.port());
  partial.Send("GET /ok HTTP/1.1\r\n");
  server_.Stop();
  EXPECT_TRUE(idle.ClosedByServer(5));
  EXPECT_TRUE(partial.ClosedByServer(5));
  EXPECT_EQ(Exchange(server_.port(), "GET /ok HTTP/1.1\r\n\r\n"), "connect failed");
}

TEST_F(HttpServerTest, ABodyOrAHugeHeaderIsRefused) {
  EXPECT_EQ(
      Exchange(server_.port(), "GET /ok HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello").substr(0, 24),
      "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(
      Exchange(server_.port(), "GET /ok HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n")
          .substr(0, 24),
      "HTTP/1.1 400 Bad Request");
}

TEST(HttpAddressTest, GoStyleListenAddresses) {
  std::string host, port;
  ASSERT_TRUE(SplitHostPort(":8080", &host, &port));
  EXPECT_EQ(host, "");
  EXPECT_EQ(port, "8080");
  ASSERT_TRUE(SplitHostPort("[::1]:9", &host, &port));
  EXPECT_EQ(host, "::1");
  ASSERT_TRUE(SplitHostPort("localhost:0", &host, &port));
  EXPECT_EQ(host, "localhost");
  for (const char* bad : {"8080", "::1:80", ":", ":http", ":70000", "[::1:80"}) {
    EXPECT_FALSE(SplitHostPort(bad, &host, &port)) << bad;
  }
}

TEST(HttpAddressTest, BindFailuresNameTheAddress) {
  HttpServer first("127.0.0.1:0", [](std::string_view) { return HttpResponse{}; });
  first.Start();
  HttpServer second("127.0.0.1:" + std::to_string(first.port()),
                    [](std::string_view) { return HttpResponse{}; });
  try {
    second.Start();
    FAIL() << "bound twice";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("cannot listen on 127.0.0.1:"), std::string::npos);
  }
  HttpServer bad("8080", [](std::string_view) { return HttpResponse{}; });
  EXPECT_THROW(bad.Start(), std::runtime_error);
}

}  // namespace
}  // namespace nvdp
