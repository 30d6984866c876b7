// RunSubprocess: stdin, chosen environment, exit status, deadline, and programs that leave a
// background child holding their output.
#include "common/subprocess.h"

#include <gtest/gtest.h>

#include <system_error>

namespace nvdp {
namespace {

using std::chrono::milliseconds;

TEST(SubprocessTest, WritesStdinExactlyAndCapturesStdout) {
  SubprocessResult result = RunSubprocess({"/bin/cat", {}, std::nullopt, "no newline"});
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "no newline");
}

TEST(SubprocessTest, TheEnvironmentHoldsOnlyWhatIsGiven) {
  SubprocessResult result =
      RunSubprocess({"/usr/bin/env", {}, std::vector<std::string>{"A=1", "B=two"}, ""});
  EXPECT_EQ(result.out, "A=1\nB=two\n");
}

TEST(SubprocessTest, ExitStatusAndStderr) {
  SubprocessResult result =
      RunSubprocess({"/bin/sh", {"-c", "echo oops >&2; exit 3"}, std::nullopt, ""});
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.err, "oops\n");
  EXPECT_EQ(result.Describe(), "exit status 3: oops");
}

TEST(SubprocessTest, KilledAtTheDeadline) {
  auto start = std::chrono::steady_clock::now();
  SubprocessResult result =
      RunSubprocess({"/bin/sleep", {"10"}, std::nullopt, "", milliseconds(100)});
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(SubprocessTest, ABackgroundChildHoldingStdoutDoesNotBlock) {
  auto start = std::chrono::steady_clock::now();
  SubprocessResult result =
      RunSubprocess({"/bin/sh", {"-c", "sleep 5 & echo started"}, std::nullopt, ""});
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(result.out, "started\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

TEST(SubprocessTest, AProgramThatIgnoresStdinStillFinishes) {
  std::string big(1 << 20, 'x');  // more than a pipe holds
  SubprocessResult result = RunSubprocess({"/bin/true", {}, std::nullopt, big});
  EXPECT_TRUE(result.ok());
}

TEST(SubprocessTest, AMissingProgramThrows) {
  EXPECT_THROW(RunSubprocess({"/nonexistent/tool", {}, std::nullopt, ""}), std::system_error);
}

TEST(SubprocessTest, SignalsAreReported) {
  SubprocessResult result = RunSubprocess({"/bin/sh", {"-c", "kill -9 $$"}, std::nullopt, ""});
  EXPECT_EQ(result.signal, 9);
  EXPECT_NE(result.Describe().find("killed by signal"), std::string::npos);
}

}  // namespace
}  // namespace nvdp
