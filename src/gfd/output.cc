#include "gfd/output.h"

namespace nvdp::gfd {

std::string FeatureFileText(const Labels& labels) {
  std::string text;
  for (const auto& [key, value] : labels) text += key + "=" + value + "\n";
  return text;
}

}  // namespace nvdp::gfd
