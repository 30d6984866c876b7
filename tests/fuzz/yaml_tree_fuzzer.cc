// The YAML tree under every YAML input (configs, profiles, kubeconfigs), and its scalar
// conversions. YamlError is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/yaml_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const nvdp::YamlNode root = nvdp::ParseYaml(text);
    std::vector<const nvdp::YamlNode*> pending{&root};  // a walk without recursion
    while (!pending.empty()) {
      const nvdp::YamlNode* node = pending.back();
      pending.pop_back();
      long long number;
      bool flag;
      nvdp::ToInt64(*node, &number);
      nvdp::ToBool(*node, &flag);
      for (const nvdp::YamlNode& item : node->items) pending.push_back(&item);
      for (const auto& [key, value] : node->entries) pending.push_back(&value);
    }
  } catch (const nvdp::YamlError&) {
  }
  return 0;
}
