#include "common/metrics.h"

#include <gtest/gtest.h>

namespace nvdp::metrics {
namespace {

TEST(MetricsTest, CountersRenderInTheTextFormat) {
  Counter counter("requests_total", "Requests answered", {"method", "code"});
  counter.Inc({"Allocate", "OK"});
  counter.Inc({"Allocate", "OK"}, 2);
  counter.Inc({"Allocate", "InvalidArgument"});
  EXPECT_EQ(counter.Value({"Allocate", "OK"}), 3);
  EXPECT_EQ(counter.Render(),
            "# HELP requests_total Requests answered\n"
            "# TYPE requests_total counter\n"
            "requests_total{method=\"Allocate\",code=\"InvalidArgument\"} 1\n"
            "requests_total{method=\"Allocate\",code=\"OK\"} 3\n");
}

TEST(MetricsTest, AnUnlabelledCounterStartsAtZero) {
  Counter counter("restarts_total", "Restarts", {});
  EXPECT_EQ(counter.Render(),
            "# HELP restarts_total Restarts\n# TYPE restarts_total counter\n"
            "restarts_total 0\n");
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  Gauge gauge("g", "help", {"name"});
  gauge.Set({"x\"y"}, 1.5);
  EXPECT_NE(gauge.Render().find("g{name=\"x\\\"y\"} 1.5\n"), std::string::npos);
}

TEST(MetricsTest, GaugesCanBeReplacedWhole) {
  Gauge gauge("devices", "Devices", {"health"});
  gauge.Set({"Healthy"}, 8);
  gauge.Replace({{{"Healthy"}, 7}, {{"Unhealthy"}, 1}});
  EXPECT_EQ(gauge.Render(),
            "# HELP devices Devices\n# TYPE devices gauge\n"
            "devices{health=\"Healthy\"} 7\ndevices{health=\"Unhealthy\"} 1\n");
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Histogram histogram("latency_seconds", "Latency", {"method"}, {0.001, 0.01, 0.1});
  histogram.Observe({"Allocate"}, 0.0005);
  histogram.Observe({"Allocate"}, 0.001);  // on the bound: counts in that bucket
  histogram.Observe({"Allocate"}, 0.05);
  histogram.Observe({"Allocate"}, 3);
  EXPECT_EQ(histogram.Count({"Allocate"}), 4u);
  EXPECT_EQ(histogram.Render(),
            "# HELP latency_seconds Latency\n# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{method=\"Allocate\",le=\"0.001\"} 2\n"
            "latency_seconds_bucket{method=\"Allocate\",le=\"0.01\"} 2\n"
            "latency_seconds_bucket{method=\"Allocate\",le=\"0.1\"} 3\n"
            "latency_seconds_bucket{method=\"Allocate\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{method=\"Allocate\"} 3.0515\n"
            "latency_seconds_count{method=\"Allocate\"} 4\n");
}

TEST(MetricsTest, WrongLabelCountsAreProgrammingErrors) {
  Counter counter("c", "help", {"a"});
  EXPECT_THROW(counter.Inc({}), std::logic_error);
  EXPECT_THROW(Histogram("h", "help", {}, {1, 0.5}), std::logic_error);
}

}  // namespace
}  // namespace nvdp::metrics
