// The wait every main loop uses: signals, readable descriptors, timeouts.
#include "common/signals.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

namespace nvdp {
namespace {

using namespace std::chrono_literals;

TEST(WaitForEventsTest, ASignalIsSeenEvenWhenThePeriodIsAlreadyOver) {
  UniqueFd signals = OpenSignalFd();
  ASSERT_TRUE(signals.valid());
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);  // blocked: pending on the signalfd
  const Wakeup wakeup = WaitForEvents(signals.get(), 0ms);
  ASSERT_TRUE(wakeup.signal);
  EXPECT_EQ(*wakeup.signal, SIGHUP);
  EXPECT_FALSE(WaitForEvents(signals.get(), 1ms).signal);  // consumed
}

TEST(WaitForEventsTest, ReadableDescriptorsAndTimeouts) {
  UniqueFd signals = OpenSignalFd();
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  Wakeup quiet = WaitForEvents(signals.get(), 10ms, {read_end.get()});
  EXPECT_FALSE(quiet.signal);
  EXPECT_EQ(quiet.readable, std::vector<bool>{false});
  ASSERT_EQ(write(write_end.get(), "x", 1), 1);
  Wakeup ready = WaitForEvents(signals.get(), std::nullopt, {read_end.get()});
  EXPECT_EQ(ready.readable, std::vector<bool>{true});
}

TEST(WaitForSignalTest, HangupRestartsAndTerminateExits) {
  UniqueFd signals = OpenSignalFd();
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_EQ(WaitForSignal(signals.get(), 1s), SignalAction::kExit);
  ASSERT_EQ(kill(getpid(), SIGHUP), 0);
  EXPECT_EQ(WaitForSignal(signals.get(), 1s), SignalAction::kRestart);
  EXPECT_FALSE(WaitForSignal(signals.get(), 1ms));
}

}  // namespace
}  // namespace nvdp
