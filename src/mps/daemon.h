// One MPS control daemon per replicated resource (spec §9.2): start puts the GPUs in
// exclusive-process mode, creates the pipe and log directories, starts nvidia-cuda-mps-control -d,
// sets the limits and marks the resource .started; stop undoes it. The control log is copied to
// stdout while the daemon runs (upstream runs `tail -f`, which the runtime image does not have).
#pragma once

#include <memory>
#include <string>

#include "mps/control.h"
#include "mps/plan.h"

namespace nvdp::mps {

struct Tools {
  std::string nvidia_smi;
  std::string mps_control;
};

class LogFollower;

class ResourceDaemon {
 public:
  ResourceDaemon(DaemonPlan plan, const std::string& root, Tools tools);
  ~ResourceDaemon();

  // Throws MpsError; what was done before the failure is undone by Stop.
  void Start();
  // Best effort: every step runs, failures are logged.
  void Stop();
  // Takes over a daemon of these paths that an earlier process started (it answers): Stop quits it.
  void Adopt() { daemon_started_ = true; }
  const Control& control() const { return control_; }

  const DaemonPlan& plan() const { return plan_; }

 private:
  void SetComputeMode(const std::string& mode, bool must_succeed);

  DaemonPlan plan_;
  Tools tools_;
  Control control_;
  bool daemon_started_ = false;
  std::unique_ptr<LogFollower> follower_;
};

// Applies the container SELinux type to `path` and what is below it, as upstream does when
// /sys/fs/selinux exists, so that workload containers can open the pipes. Returns an error text.
std::string RelabelForContainers(const std::string& path);

}  // namespace nvdp::mps
