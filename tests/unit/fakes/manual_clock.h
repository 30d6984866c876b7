// A clock that moves only when the test says so.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace nvdp::testing {

class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_.load())); }
  void Advance(std::chrono::nanoseconds by) { now_ += by.count(); }

 private:
  std::atomic<long long> now_{
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::hours(1000)).count()};
};

}  // namespace nvdp::testing
