#include "kube/tls_policy.h"

namespace nvdp::kube {

const TlsPolicy& ActiveTlsPolicy() {
  static const TlsPolicy policy{"default", "", "", "", "", false};
  return policy;
}

}  // namespace nvdp::kube
