// Where the Kubernetes API is and how to authenticate: kubeconfig files and in-cluster settings.
#include "kube/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/strings.h"
#include "fake_env.h"
#include "kube/client.h"
#include "temp_dir.h"

namespace nvdp::kube {
namespace {

using testing::TempDir;

class KubeconfigTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& text) {
    std::string path = dir_ / name;
    std::ofstream(path) << text;
    return path;
  }
  std::string Kubeconfig(const std::string& cluster, const std::string& user) {
    return Write("config",
                 "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                 "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
                 "clusters: [{name: k, cluster: " +
                     cluster +
                     "}]\n"
                     "users: [{name: u, user: " +
                     user + "}]\n");
  }
  TempDir dir_;
};

TEST_F(KubeconfigTest, TokenAndCaFileRelativeToTheKubeconfig) {
  Write("ca.crt", "CA PEM");
  ClusterConfig config = LoadKubeconfig(Kubeconfig(
      "{server: 'https://10.0.0.1:6443', certificate-authority: ca.crt}", "{token: abc}"));
  EXPECT_EQ(config.host, "10.0.0.1");
  EXPECT_EQ(config.port, "6443");
  EXPECT_EQ(config.tls.ca_pem, "CA PEM");
  EXPECT_EQ(config.token, "abc");
  EXPECT_TRUE(config.token_file.empty());
}

TEST_F(KubeconfigTest, InlineCertificatesAndTokenFile) {
  ClusterConfig config = LoadKubeconfig(
      Kubeconfig("{server: 'https://api.example.com', certificate-authority-data: Q0EgUEVN}",
                 "{client-certificate-data: Q0VSVA==, client-key-data: S0VZ, tokenFile: token}"));
  EXPECT_EQ(config.host, "api.example.com");
  EXPECT_EQ(config.port, "443");
  EXPECT_EQ(config.tls.ca_pem, "CA PEM");
  EXPECT_EQ(config.tls.client_cert_pem, "CERT");
  EXPECT_EQ(config.tls.client_key_pem, "KEY");
  EXPECT_EQ(config.token_file, dir_ / "token");
}

TEST_F(KubeconfigTest, RefusesWhatWouldWeakenOrNeedPlugins) {
  struct Case {
    std::string cluster, user, message;
  };
  for (const Case& c : std::vector<Case>{
           {"{server: 'https://a', insecure-skip-tls-verify: true}", "{token: t}",
            "insecure-skip-tls-verify is not supported"},
           {"{server: 'http://a'}", "{token: t}", "only https:// is supported"},
           {"{server: 'https://a'}", "{exec: {command: aws}}", "exec and auth-provider"},
           {"{server: 'https://a', certificate-authority: missing.crt}", "{token: t}",
            "missing.crt: cannot be read: No such file"},
           {"{server: 'https://a', certificate-authority-data: '%%%'}", "{token: t}",
            "certificate-authority-data is not base64"},
       }) {
    try {
      LoadKubeconfig(Kubeconfig(c.cluster, c.user));
      ADD_FAILURE() << c.message;
    } catch (const KubeConfigError& error) {
      EXPECT_NE(std::string(error.what()).find(c.message), std::string::npos) << error.what();
    }
  }
  EXPECT_THROW(LoadKubeconfig(Write("bad", "current-context: nope\n")), KubeConfigError);
  EXPECT_THROW(LoadKubeconfig(dir_ / "absent"), KubeConfigError);
}

TEST_F(KubeconfigTest, InClusterReadsTheServiceAccount) {
  Write("token", "sa-token\n");
  Write("ca.crt", "SA CA");
  ClusterConfig config = InClusterConfig(testing::FakeEnv({{"KUBERNETES_SERVICE_HOST", "10.96.0.1"},
                                                           {"KUBERNETES_SERVICE_PORT", "443"}}),
                                         dir_.path().string());
  EXPECT_EQ(config.host, "10.96.0.1");
  EXPECT_EQ(config.port, "443");
  EXPECT_EQ(config.tls.ca_pem, "SA CA");
  EXPECT_EQ(config.token_file, dir_ / "token");
  try {
    InClusterConfig(testing::FakeEnv({}), dir_.path().string());
    FAIL();
  } catch (const KubeConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("KUBERNETES_SERVICE_HOST/PORT unset"),
              std::string::npos);
  }
}

TEST(ServerUrlTest, HostsAndPorts) {
  std::string host, port;
  ParseServerUrl("https://[fd00::1]:6443/prefix", &host, &port);
  EXPECT_EQ(host, "fd00::1");
  EXPECT_EQ(port, "6443");
  for (const char* bad : {"https://", "https://a:0", "https://a:x", "ftp://a", "https://[::1"}) {
    EXPECT_THROW(ParseServerUrl(bad, &host, &port), KubeConfigError) << bad;
  }
}

TEST(KubeHelpersTest, Base64AndQueryEscaping) {
  std::string out;
  ASSERT_TRUE(DecodeBase64("aGVsbG8gd29ybGQ=", &out));
  EXPECT_EQ(out, "hello world");
  ASSERT_TRUE(DecodeBase64("aGVs\nbG8=", &out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(DecodeBase64("aGV*", &out));
  EXPECT_FALSE(DecodeBase64("aG==Vs", &out));
  EXPECT_EQ(QueryEscape("metadata.name=gpu-node/1"), "metadata.name%3Dgpu-node%2F1");
}

TEST(RateLimiterTest, BeyondTheBurstRequestsArePaced) {
  RateLimiter limiter(50, 3);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) limiter.Acquire();  // 3 at once, 2 more at 50/s
  // A lower bound only: waiting can take longer on a busy machine, never shorter.
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(39));
}

}  // namespace
}  // namespace nvdp::kube
