// What the kubelet calls: the DRA plugin service (v1 and v1beta1) on dra.sock, and the plugin
// registration service on the registry socket.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "dra/socket_server.h"

namespace nvdp::dra {

class Preparer;
struct DraMetrics;

// At most this many claims of one call are prepared at the same time.
inline constexpr std::size_t kParallelClaims = 8;
// A call with more claims is refused (a pod has at most 32 ResourceClaims).
inline constexpr int kMaxClaimsPerCall = 256;

// k8s.io.kubelet.pkg.apis.dra.v1.DRAPlugin and ….v1beta1.DRAPlugin over `preparer`.
// `metrics` (may be null) counts and times every claim.
SocketServer::Services DraServices(Preparer& preparer, DraMetrics* metrics = nullptr);

struct RegistrationInfo {
  std::string driver_name;
  std::string endpoint;  // the dra.sock path
  std::vector<std::string> versions;
};

// What the kubelet said about the registration.
class RegistrationStatus {
 public:
  void Set(bool registered, const std::string& error);
  bool registered() const { return registered_; }
  // Refusals not yet acted on (the caller recreates the socket so the kubelet tries again).
  int TakeRefusals() { return refusals_.exchange(0); }

 private:
  std::atomic<bool> registered_{false};
  std::atomic<int> refusals_{0};
};

// pluginregistration.Registration.
SocketServer::Services RegistrationServices(const RegistrationInfo& info,
                                            RegistrationStatus& status);

}  // namespace nvdp::dra
