#include "common/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

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
