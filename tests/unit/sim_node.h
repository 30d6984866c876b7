// A simulated GPU node for tests: selects a simulator profile and a fresh fault file, and opens
// NVML from build/sim-root through the real loader.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "nvml/library.h"
#include "nvml/nvml.h"
#include "temp_dir.h"

namespace nvdp::testing {

inline std::string SimRoot() { return NVDP_TEST_SIM_ROOT; }

class SimulatedNode {
 public:
  // `faults`: lines already in the fault file before NVML starts (state only, no events).
  explicit SimulatedNode(const std::string& profile, const std::string& faults = "") {
    std::ofstream(dir_ / "faults") << faults;
    setenv("NVML_SIM_PROFILE", profile.c_str(), 1);
    setenv("NVML_SIM_EVENTS", (dir_ / "faults").c_str(), 1);
    nvml_ = std::make_shared<nvml::Nvml>(nvml::Library::Open(SimRoot()));
  }
  ~SimulatedNode() {
    nvml_.reset();
    unsetenv("NVML_SIM_PROFILE");
    unsetenv("NVML_SIM_EVENTS");
  }

  nvml::Nvml& nvml() { return *nvml_; }
  std::shared_ptr<nvml::Nvml> shared_nvml() { return nvml_; }
  void Inject(const std::string& line) {
    std::ofstream(dir_ / "faults", std::ios::app) << line << "\n";
  }
  const TempDir& dir() const { return dir_; }

 private:
  TempDir dir_;
  std::shared_ptr<nvml::Nvml> nvml_;
};

}  // namespace nvdp::testing
