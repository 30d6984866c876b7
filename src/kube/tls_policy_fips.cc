// The FIPS build's TLS policy: only FIPS 140-3 approved algorithms (SP 800-52r2): AES-GCM with
// ECDHE on NIST curves, RSA or ECDSA signatures with SHA-2. X25519, ChaCha20-Poly1305, Ed25519 and
// SHA-1 signatures are refused. Debian 12's OpenSSL has no FIPS provider module; when one is
// present (an OpenSSL built with enable-fips), it is used (docs/image.md).
#include "kube/tls_policy.h"

namespace nvdp::kube {

const TlsPolicy& ActiveTlsPolicy() {
  static const TlsPolicy policy{
      "fips",
      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:"
      "ECDHE-RSA-AES128-GCM-SHA256",
      "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
      "P-384:P-256:P-521",
      "ECDSA+SHA384:ECDSA+SHA256:ECDSA+SHA512:rsa_pss_rsae_sha384:rsa_pss_rsae_sha256:"
      "rsa_pss_rsae_sha512:RSA+SHA384:RSA+SHA256:RSA+SHA512",
      true};
  return policy;
}

}  // namespace nvdp::kube
