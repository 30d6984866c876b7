// Simulator machine profiles (NVML_SIM_PROFILE files). ProfileError is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <string>

#include "profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nvdp::sim::ParseProfile(text, "fuzz.yaml");
  } catch (const nvdp::sim::ProfileError&) {
  }
  return 0;
}
