// Reading what a start needs from the node: the inventory through NVML, the MIG capability
// minors, which control device nodes and IMEX channels exist, and the driver's files for the CDI
// specs. The I/O half of a start; plan.h is the pure half.
#pragma once

#include <stdexcept>

#include "nvml/nvml.h"
#include "plugin/options.h"
#include "plugin/plan.h"

namespace nvdp::plugin {

// NVML cannot be loaded or initialised; the message says what to check.
class NvmlUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What an NVML failure at start means for the operator.
NvmlUnavailable AsNvmlUnavailable(const nvml::NvmlError& failure,
                                  const std::string& container_driver_root);

// Throws NvmlUnavailable, or ResourceError for a required IMEX channel that does not exist.
NodeFacts ReadNodeFacts(const Options& options, nvml::Nvml& nvml);
// A Tegra node's: its one integrated GPU (discovery/tegra.h), no NVML.
NodeFacts ReadTegraNodeFacts(const Options& options);

// The CDI specs for the node and configuration (spec §4.7-4.9), into plan.cdi_specs and the modes
// that got one into plan.allocate.cdi_modes. Throws ResourceError.
void PlanCdiSpecs(const Options& options, const NodeFacts& facts, Plan& plan);

}  // namespace nvdp::plugin
