// What one start of the device plugin serves, computed before any socket opens: pure functions
// of the options and the facts read from the node (node_facts.h). --dry-run prints a plan; the
// plugin manager serves one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alloc/pair_scores.h"
#include "cdi/generate.h"
#include "cdi/spec.h"
#include "config/config.h"
#include "device/inventory.h"
#include "device/mig_caps.h"
#include "health/health_monitor.h"
#include "plugin/allocate/allocate.h"
#include "plugin/allocate/preferred.h"
#include "plugin/options.h"

namespace nvdp::plugin {

// What the plan needs from the node beyond the options, read once per start.
struct NodeFacts {
  device::Inventory inventory;
  std::optional<device::MigCaps> mig_caps;  // read only when a MIG strategy or CDI needs them
  std::vector<std::string> control_nodes;   // those of ControlDeviceNodes() that exist
  std::vector<std::string> imex_channels;   // the configured IMEX channels that exist ("0")
};

struct Plan {
  device::Inventory inventory;
  config::Config config;  // the effective configuration, with the default resource rules
  std::vector<Resource> resources;
  AllocateOptions allocate;
  // On the heap, so the preference's pointer stays valid when the plan moves.
  std::shared_ptr<const alloc::PairScores> pair_scores;
  PreferenceSettings preference;     // scores: *pair_scores
  std::vector<cdi::Spec> cdi_specs;  // written at start with the cdi-* strategies
};

// The resources, Allocate settings and preference of a start. Throws ResourceError when the
// devices and the configuration cannot work together (always fatal at start, as upstream).
// Leaves cdi_specs empty (they read the driver's files: see the plugin manager).
Plan BuildPlan(const Options& options, const NodeFacts& facts);

// Small converters from the options to what each part takes.
AllocateOptions AllocateOptionsFrom(const Options& options, const NodeFacts& facts);
health::HealthSettings HealthSettingsFrom(const Options& options);
cdi::GpuSpecSettings CdiSettingsFrom(const Options& options);
// Every GPU with its MIG devices that are advertised as such (with --mig-strategy=none a
// MIG-enabled GPU is advertised whole, and an event anywhere on it is the GPU's).
std::vector<health::WatchedGpu> WatchedGpus(const Plan& plan);

}  // namespace nvdp::plugin
