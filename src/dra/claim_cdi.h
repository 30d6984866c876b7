// The CDI spec of each prepared claim, <cdi root>/k8s.gpu.nvidia.com-claim_<uid>.json: kind
// k8s.gpu.nvidia.com/claim, one device <claim uid>-<device name> per prepared device with that
// GPU's or MIG device's edits (device nodes, MIG capability files, DRM nodes) from the node's
// GPU spec (cdi/generate.h), and the driver's files as the spec's common edits.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cdi/spec.h"

namespace nvdp::dra {

inline constexpr const char* kClaimCdiKind = "k8s.gpu.nvidia.com/claim";

// k8s.gpu.nvidia.com/claim=<uid>-<device>, what the kubelet passes to the runtime.
std::string CdiDeviceId(const std::string& claim_uid, const std::string& device_name);

class ClaimSpecs {
 public:
  // `gpu_spec`: the node's GPU spec with devices named by UUID.
  ClaimSpecs(const cdi::Spec& gpu_spec, std::string dir);

  // `devices`: (published device name, UUID). Throws std::runtime_error for a UUID the GPU spec
  // lacks.
  // `extra`: edits for every container of the claim (its MPS daemon's pipe and shm).
  cdi::Spec Build(const std::string& claim_uid,
                  const std::vector<std::pair<std::string, std::string>>& devices,
                  const cdi::ContainerEdits& extra = {}) const;
  std::string PathOf(const std::string& claim_uid) const;
  // Atomic write (common/fs.h); throws FsError.
  void Write(const std::string& claim_uid, const cdi::Spec& spec) const;
  // Removes the claim's spec; a missing one is fine. Throws FsError when it cannot be removed.
  void Remove(const std::string& claim_uid) const;
  // The claim specs in the directory: claim UID -> device names, read back from the files.
  // Unreadable files are skipped with a warning.
  std::map<std::string, std::vector<std::string>> Scan() const;

 private:
  std::map<std::string, cdi::ContainerEdits> device_edits_;  // by UUID
  cdi::ContainerEdits common_;
  std::string dir_;
};

}  // namespace nvdp::dra
