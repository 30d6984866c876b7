// Kubeconfig files (--kubeconfig, KUBECONFIG). Files they name are looked up under a directory
// that does not exist. KubeConfigError is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kube/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    nvdp::kube::ParseKubeconfig(text, "/nonexistent-nvdp-fuzz/kubeconfig");
  } catch (const nvdp::kube::KubeConfigError&) {
  }
  return 0;
}
