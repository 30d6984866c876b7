#include "common/backoff.h"

#include <algorithm>

namespace nvdp {

Backoff::Backoff(std::vector<milliseconds> steps, milliseconds ceiling)
    : steps_(std::move(steps)), ceiling_(ceiling) {}

Backoff Backoff::Doubling(milliseconds first, milliseconds ceiling) {
  std::vector<milliseconds> steps;
  for (milliseconds delay = first; delay < ceiling; delay *= 2) steps.push_back(delay);
  return Backoff(std::move(steps), ceiling);
}

Backoff::milliseconds Backoff::Failed() {
  const size_t step = static_cast<size_t>(failures_);
  if (failures_ < (1 << 30)) ++failures_;
  return step < steps_.size() ? steps_[step] : ceiling_;
}

bool LogThrottle::ShouldLog(std::string_view message) {
  ++count_;
  const bool changed = message != last_;
  last_ = message;
  return count_ == 1 || (every_ > 0 && count_ % every_ == 0) || changed;
}

void LogThrottle::Reset() {
  count_ = 0;
  last_.clear();
}

}  // namespace nvdp
