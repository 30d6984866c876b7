// Prometheus text-format metrics (exposition format 0.0.4): counters, gauges and histograms with
// labels. Families are thread-safe; rendering takes a consistent copy of each family.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::metrics {

using LabelValues = std::vector<std::string>;

// Escapes a label value: backslash, double quote and newline.
std::string EscapeLabelValue(std::string_view value);

class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names)
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)) {}
  virtual ~Family() = default;
  virtual std::string Render() const = 0;
  const std::string& name() const { return name_; }

 protected:
  std::string Header(std::string_view type) const;
  // `{a="x",b="y"}`, with `extra` (already formatted, e.g. le="0.1") appended; "" without labels.
  std::string LabelText(const LabelValues& values, std::string_view extra = {}) const;
  void CheckArity(const LabelValues& values) const;

  std::string name_, help_;
  std::vector<std::string> label_names_;
  mutable std::mutex mutex_;
};

class Counter final : public Family {
 public:
  using Family::Family;
  void Inc(const LabelValues& values = {}, double amount = 1);
  double Value(const LabelValues& values = {}) const;
  std::string Render() const override;

 private:
  std::map<LabelValues, double> values_;
};

class Gauge final : public Family {
 public:
  using Family::Family;
  void Set(const LabelValues& values, double value);
  // Replaces every series at once (for gauges computed at scrape time).
  void Replace(std::map<LabelValues, double> values);
  std::string Render() const override;

 private:
  std::map<LabelValues, double> values_;
};

class Histogram final : public Family {
 public:
  // `bounds`: the upper bounds of the buckets, ascending; +Inf is implied.
  Histogram(std::string name, std::string help, std::vector<std::string> label_names,
            std::vector<double> bounds);
  void Observe(const LabelValues& values, double value);
  uint64_t Count(const LabelValues& values) const;
  std::string Render() const override;

 private:
  struct Series {
    std::vector<uint64_t> buckets;  // non-cumulative; cumulated when rendered
    uint64_t count = 0;
    double sum = 0;
  };
  std::vector<double> bounds_;
  std::map<LabelValues, Series> series_;
};

// Latency buckets for calls answered in microseconds to seconds.
std::vector<double> LatencyBuckets();

}  // namespace nvdp::metrics
