// SharingControl on a real (or simulated) node: compute mode through NVML, the timeslice through
// `nvidia-smi compute-policy` (NVML has no call for it), and one MPS control daemon per claim
// (mps/daemon.h) under <mps root>/<claim uid>/{pipe,log,shm}, the shm a tmpfs of its own.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "dra/sharing_control.h"

namespace nvdp::nvml {
class Nvml;
}
namespace nvdp::mps {
class ResourceDaemon;
struct Tools;
}  // namespace nvdp::mps

namespace nvdp::dra {

class NodeSharing : public SharingControl {
 public:
  // `mps_root` must be the same path on the host (the CDI spec names it); the NVIDIA tools are
  // looked up on PATH, then under `container_driver_root`.
  NodeSharing(std::shared_ptr<nvml::Nvml> nvml, std::string mps_root,
              std::string container_driver_root);
  // Daemons keep running: their claims stay prepared across a restart.
  ~NodeSharing() override;

  void SetTimeSlice(const std::string& gpu_uuid, int timeslice) override;
  void StartMps(const std::string& claim_uid, const MpsDaemonState& daemon) override;
  std::string StopMps(const std::string& claim_uid, const MpsDaemonState& daemon) override;
  bool MpsAnswers(const std::string& claim_uid) override;
  cdi::ContainerEdits MpsEdits(const std::string& claim_uid) const override;

 private:
  mps::Tools FindTools() const;
  std::unique_ptr<mps::ResourceDaemon> MakeDaemon(const std::string& claim_uid,
                                                  const MpsDaemonState& daemon) const;

  std::shared_ptr<nvml::Nvml> nvml_;
  std::string mps_root_;
  std::string driver_root_;
  std::mutex mutex_;  // daemons_; never held while a tool runs
  std::map<std::string, std::unique_ptr<mps::ResourceDaemon>> daemons_;
};

}  // namespace nvdp::dra
