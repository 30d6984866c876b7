#include "common/clock.h"

namespace nvdp {
namespace {

class Steady final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

}  // namespace

const Clock& SteadyClock() {
  static const Steady kClock;
  return kClock;
}

}  // namespace nvdp
