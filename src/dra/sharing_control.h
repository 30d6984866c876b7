// What the preparer asks of the node to apply a claim's sharing configuration (sharing.h): the
// timeslice of a GPU, and an MPS control daemon per claim. An interface so that the preparer's
// tests run without NVML or the NVIDIA tools; node_sharing.h is the implementation.
#pragma once

#include <string>

#include "cdi/spec.h"
#include "dra/checkpoint.h"

namespace nvdp::dra {

class SharingControl {
 public:
  virtual ~SharingControl() = default;

  // Compute mode DEFAULT, then the timeslice (0 Default … 3 Long). Throws std::runtime_error.
  virtual void SetTimeSlice(const std::string& gpu_uuid, int timeslice) = 0;
  // Starts the claim's MPS control daemon with these limits, or adopts one that already answers
  // (a restart). Throws std::runtime_error, leaving nothing of it behind.
  virtual void StartMps(const std::string& claim_uid, const MpsDaemonState& daemon) = 0;
  // Stops the claim's daemon and removes its directories; "" or what could not be done.
  virtual std::string StopMps(const std::string& claim_uid, const MpsDaemonState& daemon) = 0;
  // Whether the claim's daemon answers.
  virtual bool MpsAnswers(const std::string& claim_uid) = 0;
  // What puts a container on the claim's daemon: CUDA_MPS_PIPE_DIRECTORY and the pipe and shm
  // mounts.
  virtual cdi::ContainerEdits MpsEdits(const std::string& claim_uid) const = 0;
};

}  // namespace nvdp::dra
