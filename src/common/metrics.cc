#include "common/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace nvdp::metrics {
namespace {

std::string Number(double value) { return fmt::format("{}", value); }

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string Family::Header(std::string_view type) const {
  return fmt::format("# HELP {} {}\n# TYPE {} {}\n", name_, help_, name_, type);
}

std::string Family::LabelText(const LabelValues& values, std::string_view extra) const {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (!text.empty()) text += ',';
    text += label_names_[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) {
    if (!text.empty()) text += ',';
    text += extra;
  }
  return text.empty() ? "" : "{" + text + "}";
}

void Family::CheckArity(const LabelValues& values) const {
  if (values.size() != label_names_.size()) {
    throw std::logic_error("metric " + name_ + " takes " + std::to_string(label_names_.size()) +
                           " labels, got " + std::to_string(values.size()));
  }
}

void Counter::Inc(const LabelValues& values, double amount) {
  CheckArity(values);
  std::lock_guard lock(mutex_);
  values_[values] += amount;
}

double Counter::Value(const LabelValues& values) const {
  std::lock_guard lock(mutex_);
  auto it = values_.find(values);
  return it == values_.end() ? 0 : it->second;
}

std::string Counter::Render() const {
  std::string out = Header("counter");
  std::lock_guard lock(mutex_);
  if (values_.empty() && label_names_.empty()) out += name_ + " 0\n";
  for (const auto& [labels, value] : values_) {
    out += name_ + LabelText(labels) + " " + Number(value) + "\n";
  }
  return out;
}

void Gauge::Set(const LabelValues& values, double value) {
  CheckArity(values);
  std::lock_guard lock(mutex_);
  values_[values] = value;
}

void Gauge::Replace(std::map<LabelValues, double> values) {
  for (const auto& [labels, value] : values) CheckArity(labels);
  std::lock_guard lock(mutex_);
  values_ = std::move(values);
}

std::string Gauge::Render() const {
  std::string out = Header("gauge");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, value] : values_) {
    out += name_ + LabelText(labels) + " " + Number(value) + "\n";
  }
  return out;
}

Histogram::Histogram(std::string name, std::string help, std::vector<std::string> label_names,
                     std::vector<double> bounds)
    : Family(std::move(name), std::move(help), std::move(label_names)), bounds_(std::move(bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::logic_error("histogram " + name_ + ": bucket bounds must ascend");
  }
}

void Histogram::Observe(const LabelValues& values, double value) {
  CheckArity(values);
  std::lock_guard lock(mutex_);
  Series& series = series_[values];
  if (series.buckets.empty()) series.buckets.assign(bounds_.size(), 0);
  auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (bucket != bounds_.end()) ++series.buckets[static_cast<size_t>(bucket - bounds_.begin())];
  ++series.count;
  series.sum += value;
}

uint64_t Histogram::Count(const LabelValues& values) const {
  std::lock_guard lock(mutex_);
  auto it = series_.find(values);
  return it == series_.end() ? 0 : it->second.count;
}

std::string Histogram::Render() const {
  std::string out = Header("histogram");
  std::lock_guard lock(mutex_);
  for (const auto& [labels, series] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += series.buckets[i];
      out += name_ + "_bucket" + LabelText(labels, "le=\"" + Number(bounds_[i]) + "\"") + " " +
             std::to_string(cumulative) + "\n";
    }
    out += name_ + "_bucket" + LabelText(labels, "le=\"+Inf\"") + " " +
           std::to_string(series.count) + "\n";
    out += name_ + "_sum" + LabelText(labels) + " " + Number(series.sum) + "\n";
    out += name_ + "_count" + LabelText(labels) + " " + std::to_string(series.count) + "\n";
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1};
}

}  // namespace nvdp::metrics
