// What gpu-kubelet-plugin reads from outside: its checkpoint file (any bytes on disk after a
// crash or tampering) and ResourceClaim objects from the API server. The checkpoint parser never
// throws, and what it loads writes back to the same state; a claim is either allocated devices or
// a ClaimError, never another exception, and so are its sharing configurations.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "dra/checkpoint.h"
#include "dra/claim.h"
#include "dra/sharing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const nvdp::dra::CheckpointLoad load = nvdp::dra::ParseCheckpoint(bytes);
  if (load.status == nvdp::dra::CheckpointLoad::Status::kLoaded) {
    const nvdp::dra::CheckpointLoad again =
        nvdp::dra::ParseCheckpoint(nvdp::dra::SerializeCheckpoint(load.checkpoint));
    if (again.status != nvdp::dra::CheckpointLoad::Status::kLoaded ||
        !(again.checkpoint == load.checkpoint)) {
      std::abort();
    }
  }
  const nlohmann::json claim = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (!claim.is_discarded()) {
    try {
      nvdp::dra::AllocatedDevices(claim, {"uid-1", "default", "c"}, "gpu.nvidia.com", "node-a");
    } catch (const nvdp::dra::ClaimError&) {
    }
    try {
      const auto entries = nvdp::dra::ClaimConfigs(claim, "gpu.nvidia.com");
      for (const char* request : {"r", "gpu"}) {
        for (bool mig : {false, true}) {
          try {
            const nvdp::dra::Sharing sharing = nvdp::dra::SharingFor(entries, request, mig);
            nvdp::dra::PinnedLimitsMiB(sharing.mps, {"GPU-0", "GPU-1"});
          } catch (const nvdp::dra::ClaimError&) {
          }
        }
      }
    } catch (const nvdp::dra::ClaimError&) {
    }
    if (claim.is_string()) nvdp::dra::QuantityBytes(claim.get<std::string>());
  }
  return 0;
}
