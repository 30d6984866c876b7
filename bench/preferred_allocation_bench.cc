// GetPreferredAllocation's best-effort search, in process: the fast exact search against the
// exhaustive enumeration of spec §5.3 (bench-only reference), on the link matrices the simulator
// reports for the shipped machines. Prints, per machine and request size, the fast search's
// median and p99 time, the reference's time, the speed-up, and whether the answers match; then
// the agreement on random availability and must-include masks.
//
//   preferred-allocation-bench --sim-root build/sim-root [--random 3000] [--reference-budget 60]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "alloc/best_effort.h"
#include "alloc/pair_scores.h"
#include "discovery/discovery.h"
#include "exhaustive_best_effort.h"
#include "nvml/library.h"
#include "nvml/nvml.h"

namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Partitions the reference enumerates (upper bound): N! / (k!^(N/k) (N/k)!) with N padded.
double PartitionCount(int n, int k) {
  if (k <= 1 || k >= n) return 1;
  int padded = n + (k - n % k) % k;
  double log_count = std::lgamma(padded + 1.0) - (padded / k) * std::lgamma(k + 1.0) -
                     std::lgamma(padded / k + 1.0);
  return std::exp(log_count);
}

nvdp::alloc::PairScores LoadScores(const std::string& sim_root, const std::string& profile,
                                   int* gpus) {
  setenv("NVML_SIM_PROFILE", profile.c_str(), 1);
  setenv("NVML_SIM_EVENTS", ("/nonexistent/" + profile).c_str(), 1);
  nvdp::nvml::Nvml nvml(nvdp::nvml::Library::Open(sim_root));
  nvdp::nvml::Session session(nvml);
  nvdp::device::Inventory inventory = nvdp::discovery::Discover(nvml, {{sim_root + "/sys"}});
  *gpus = static_cast<int>(inventory.gpus.size());
  return nvdp::alloc::PairScores(inventory.links);
}

std::string FormatMicros(double micros) {
  char text[32];
  if (micros >= 1e6) {
    std::snprintf(text, sizeof text, "%.2f s", micros / 1e6);
  } else if (micros >= 1e3) {
    std::snprintf(text, sizeof text, "%.1f ms", micros / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f us", micros);
  }
  return text;
}

struct Timing {
  double p50 = 0, p99 = 0;
};

template <typename Fn>
Timing Time(Fn&& fn, int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    auto start = Clock::now();
    fn();
    samples.push_back(Micros(Clock::now() - start));
  }
  std::sort(samples.begin(), samples.end());
  return {samples[samples.size() / 2],
          samples[std::min(samples.size() - 1, samples.size() * 99 / 100)]};
}

}  // namespace

int main(int argc, char** argv) {
  std::string sim_root = "build/sim-root";
  int random_cases = 3000;
  double reference_budget_s = 60;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--sim-root")
      sim_root = argv[i + 1];
    else if (flag == "--random")
      random_cases = std::stoi(argv[i + 1]);
    else if (flag == "--reference-budget")
      reference_budget_s = std::stod(argv[i + 1]);
  }
  const double partition_cap = 3e7;  // beyond this the reference would take minutes
  std::printf("Best-effort search: fast exact search vs exhaustive reference (in process)\n\n");
  std::printf("%-11s %4s %11s %11s %11s %11s %9s %6s\n", "machine", "size", "partitions",
              "fast p50", "fast p99", "reference", "speed-up", "same");
  bool all_same = true;
  double worst_p99 = 0;
  for (const char* profile : {"pcie-4xt4", "dgx1-v100", "dgx-a100", "v100-16gpu"}) {
    int n = 0;
    nvdp::alloc::PairScores scores = LoadScores(sim_root, profile, &n);
    std::vector<int> all(n);
    for (int i = 0; i < n; ++i) all[i] = i;
    for (int size = 1; size <= n; ++size) {
      std::vector<int> fast;
      Timing timing =
          Time([&] { fast = nvdp::alloc::BestEffortAllocate(scores, all, {}, size); }, 300);
      worst_p99 = std::max(worst_p99, timing.p99);
      char partitions[32];
      std::snprintf(partitions, sizeof partitions, "%.3g", PartitionCount(n, size));
      std::string reference_time = "not run", speedup = "-", same = "-";
      if (PartitionCount(n, size) <= partition_cap) {
        auto start = Clock::now();
        std::vector<int> expected = nvdp::reference::ExhaustiveBestEffort(scores, all, {}, size);
        double micros = Micros(Clock::now() - start);
        reference_time = FormatMicros(micros);
        speedup = std::to_string(static_cast<long>(micros / std::max(timing.p50, 0.01))) + "x";
        same = expected == fast ? "yes" : "NO";
        all_same = all_same && expected == fast;
      }
      std::printf("%-11s %4d %11s %8.1f us %8.1f us %11s %9s %6s\n", profile, size, partitions,
                  timing.p50, timing.p99, reference_time.c_str(), speedup.c_str(), same.c_str());
    }
  }

  std::printf("(the reference is not run beyond %.0e partitions: it would take minutes)\n",
              partition_cap);
  std::printf("\nRandom availability and must-include masks, every machine and size:\n");
  std::mt19937 random(42);
  auto deadline = Clock::now() + std::chrono::duration<double>(reference_budget_s);
  int compared = 0, differ = 0;
  for (int c = 0; c < random_cases && Clock::now() < deadline; ++c) {
    const char* profiles[] = {"pcie-4xt4", "dgx1-v100", "dgx-a100", "v100-16gpu"};
    const char* profile = profiles[c % 4];
    static std::vector<std::pair<nvdp::alloc::PairScores, int>> cache;
    if (cache.size() < 4) {
      int n = 0;
      auto scores = LoadScores(sim_root, profile, &n);
      cache.emplace_back(scores, n);
    }
    const auto& [scores, n] = cache[c % 4];
    std::vector<int> available;
    for (int g = 0; g < n; ++g) {
      if (random() % 3 != 0) available.push_back(g);
    }
    std::shuffle(available.begin(), available.end(), random);
    if (available.empty()) continue;
    int size = 1 + static_cast<int>(random() % available.size());
    if (PartitionCount(static_cast<int>(available.size()), size) > 2e6) continue;
    std::vector<int> required;
    for (int d : available) {
      if (static_cast<int>(required.size()) < size && random() % 6 == 0) required.push_back(d);
    }
    auto fast = nvdp::alloc::BestEffortAllocate(scores, available, required, size);
    auto expected = nvdp::reference::ExhaustiveBestEffort(scores, available, required, size);
    ++compared;
    if (fast != expected) ++differ;
  }
  std::printf("  %d cases compared, %d differ\n", compared, differ);
  std::printf("\nworst fast p99: %.1f us; answers %s\n", worst_p99,
              all_same && differ == 0 ? "identical everywhere" : "DIFFER");
  return all_same && differ == 0 ? 0 : 1;
}
