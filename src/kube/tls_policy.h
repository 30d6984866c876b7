// Which TLS algorithms the Kubernetes API client may use. The default build takes OpenSSL's
// defaults (TLS 1.2 and newer); the FIPS build (tls_policy_fips.cc, linked into nvdp-fips) offers
// and accepts only FIPS 140-approved ones. Each program links exactly one of the two definitions.
#pragma once

#include <string>

namespace nvdp::kube {

struct TlsPolicy {
  std::string name;                    // "default" or "fips"
  std::string cipher_list;             // TLS 1.2 ciphers (OpenSSL syntax); "" = OpenSSL's default
  std::string ciphersuites;            // TLS 1.3 suites; "" = default
  std::string groups;                  // key exchange groups; "" = default
  std::string sigalgs;                 // signature algorithms; "" = default
  bool require_fips_provider = false;  // use OpenSSL's "fips" provider when it can be loaded
};

const TlsPolicy& ActiveTlsPolicy();

}  // namespace nvdp::kube
