// Config file v1 (YAML or JSON) as every program reads it: parse, the post-merge rules, the
// device plugin's validation and the JSON it logs. ConfigError is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/effective.h"
#include "config/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > nvdp::config::kMaxConfigFileBytes) return 0;  // LoadConfigFile refuses these
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nvdp::config::Config config = nvdp::config::ParseConfig(text, "fuzz.yaml");
    nvdp::config::FinalizeAfterMerge(config);
    nvdp::config::ToJson(config);
    nvdp::config::ValidateForDevicePlugin(config);
  } catch (const nvdp::config::ConfigError&) {
  }
  return 0;
}
