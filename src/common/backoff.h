// Retrying: how long to wait after each failure (Backoff), and which repeated failures are worth
// a log line (LogThrottle). Every retry loop of the programs uses these two.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp {

class Backoff {
 public:
  using milliseconds = std::chrono::milliseconds;
  // The delays after the first, second, … failure, then `ceiling` after every later one.
  Backoff(std::vector<milliseconds> steps, milliseconds ceiling);
  // `first`, doubling after each failure up to `ceiling`.
  static Backoff Doubling(milliseconds first, milliseconds ceiling);

  // Counts a failure; the delay before the next attempt.
  milliseconds Failed();
  // Back to the first step.
  void Succeeded() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  std::vector<milliseconds> steps_;
  milliseconds ceiling_;
  int failures_ = 0;
};

// A repeated failure is logged the first time, then every `every`-th time, and whenever its
// message changes; Reset() once it succeeds.
class LogThrottle {
 public:
  explicit LogThrottle(int every) : every_(every) {}
  bool ShouldLog(std::string_view message = {});
  void Reset();
  int count() const { return count_; }

 private:
  int every_;
  int count_ = 0;
  std::string last_;
};

}  // namespace nvdp
