// The time source of logic that depends on how long ago something happened (recovery periods),
// replaceable in tests so they advance time instead of sleeping through it.
#pragma once

#include <chrono>

namespace nvdp {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

// std::chrono::steady_clock.
const Clock& SteadyClock();

}  // namespace nvdp
