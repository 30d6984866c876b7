#include "dra/node_sharing.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>

#include "common/log.h"
#include "common/subprocess.h"
#include "mps/control.h"
#include "mps/daemon.h"
#include "mps/shm.h"
#include "mps/tools.h"
#include "nvml/nvml.h"

namespace nvdp::dra {
namespace fs = std::filesystem;
namespace {

constexpr int kComputeModeDefault = 0;  // NVML_COMPUTEMODE_DEFAULT
constexpr const char* kContainerPipeDir = "/tmp/nvidia-mps";

std::string ShmDir(const mps::ResourcePaths& paths) { return paths.dir + "/shm"; }

// The UID names a directory: never one outside the MPS root (a tampered checkpoint).
mps::ResourcePaths ClaimPaths(const std::string& root, const std::string& claim_uid) {
  if (claim_uid.empty() || claim_uid.size() > 128 ||
      claim_uid.find_first_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != std::string::npos) {
    throw std::runtime_error("invalid claim UID \"" + claim_uid.substr(0, 128) +
                             "\" for an MPS directory");
  }
  return mps::ResourcePaths(root, claim_uid);
}

// Takes the claim's tmpfs off and removes its directories; "" or what failed.
std::string RemoveDirectories(const mps::ResourcePaths& paths) {
  std::string problems;
  if (umount2(ShmDir(paths).c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    problems += "cannot unmount " + ShmDir(paths) + ": " + std::strerror(errno) + "; ";
  }
  std::error_code error;
  fs::remove_all(paths.dir, error);
  if (error) problems += "cannot remove " + paths.dir + ": " + error.message();
  return problems;
}

}  // namespace

NodeSharing::NodeSharing(std::shared_ptr<nvml::Nvml> nvml, std::string mps_root,
                         std::string container_driver_root)
    : nvml_(std::move(nvml)),
      mps_root_(std::move(mps_root)),
      driver_root_(std::move(container_driver_root)) {}

NodeSharing::~NodeSharing() = default;

mps::Tools NodeSharing::FindTools() const {
  const char* path = std::getenv("PATH");
  return {mps::FindTool(mps::kNvidiaSmi, path ? path : "", driver_root_),
          mps::FindTool(mps::kMpsControl, path ? path : "", driver_root_)};
}

void NodeSharing::SetTimeSlice(const std::string& gpu_uuid, int timeslice) {
  {
    nvml::Session session(*nvml_);
    nvml_->SetComputeMode(nvml_->DeviceByUuid(gpu_uuid), kComputeModeDefault);
  }
  const std::string value = std::to_string(timeslice);
  const SubprocessResult result =
      RunSubprocess({FindTools().nvidia_smi,
                     {"compute-policy", "-i", gpu_uuid, "--set-timeslice", value},
                     std::nullopt,
                     "",
                     std::chrono::seconds(60)});
  if (!result.ok()) {
    throw std::runtime_error("nvidia-smi compute-policy -i " + gpu_uuid + " --set-timeslice " +
                             value + ": " + result.Describe());
  }
  LOG_INFO("GPU {}: compute mode DEFAULT, timeslice {}", gpu_uuid, value);
}

std::unique_ptr<mps::ResourceDaemon> NodeSharing::MakeDaemon(const std::string& claim_uid,
                                                             const MpsDaemonState& daemon) const {
  mps::DaemonPlan plan;
  plan.resource = claim_uid;
  plan.uuids = daemon.uuids;
  for (std::size_t i = 0; i < daemon.uuids.size(); ++i) {
    auto limit = daemon.pinned_mib.find(daemon.uuids[i]);
    if (limit != daemon.pinned_mib.end())
      plan.pinned_limits.push_back({std::to_string(i), limit->second});
    plan.visible_devices += (i ? "," : "") + daemon.uuids[i];
  }
  plan.active_thread_percentage = daemon.active_thread_percentage;
  return std::make_unique<mps::ResourceDaemon>(std::move(plan), mps_root_, FindTools());
}

void NodeSharing::StartMps(const std::string& claim_uid, const MpsDaemonState& daemon) {
  const mps::ResourcePaths paths = ClaimPaths(mps_root_, claim_uid);
  std::unique_ptr<mps::ResourceDaemon> started = MakeDaemon(claim_uid, daemon);
  try {
    started->control().AssertHealthy();
    started->Adopt();
    LOG_INFO("The MPS control daemon of claim {} answers; keeping it", claim_uid);
  } catch (const mps::MpsError&) {
    try {
      fs::create_directories(paths.dir);
      mps::MountShm(paths.dir);
      started->Start();
    } catch (const std::exception& failure) {
      started->Stop();
      const std::string cleanup = RemoveDirectories(paths);
      if (!cleanup.empty()) LOG_WARNING("{}", cleanup);
      throw std::runtime_error(std::string("cannot start the claim's MPS control daemon: ") +
                               failure.what());
    }
  }
  std::lock_guard lock(mutex_);
  daemons_[claim_uid] = std::move(started);
}

std::string NodeSharing::StopMps(const std::string& claim_uid, const MpsDaemonState& daemon) {
  std::optional<mps::ResourcePaths> paths;
  try {
    paths = ClaimPaths(mps_root_, claim_uid);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  std::unique_ptr<mps::ResourceDaemon> running;
  {
    std::lock_guard lock(mutex_);
    auto it = daemons_.find(claim_uid);
    if (it != daemons_.end()) {
      running = std::move(it->second);
      daemons_.erase(it);
    }
  }
  try {
    if (!running) {  // started by an earlier process
      running = MakeDaemon(claim_uid, daemon);
      if (MpsAnswers(claim_uid)) running->Adopt();
    }
    running->Stop();
  } catch (const std::exception& failure) {  // the tools are gone: still remove the directories
    LOG_WARNING("Stopping the MPS control daemon of claim {}: {}", claim_uid, failure.what());
  }
  return RemoveDirectories(*paths);
}

bool NodeSharing::MpsAnswers(const std::string& claim_uid) {
  try {
    mps::Control(FindTools().mps_control, ClaimPaths(mps_root_, claim_uid),
                 std::chrono::seconds(10))
        .AssertHealthy();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

cdi::ContainerEdits NodeSharing::MpsEdits(const std::string& claim_uid) const {
  const mps::ResourcePaths paths = ClaimPaths(mps_root_, claim_uid);
  cdi::ContainerEdits edits;
  edits.env.push_back(std::string("CUDA_MPS_PIPE_DIRECTORY=") + kContainerPipeDir);
  const std::vector<std::string> options = {"rw", "nosuid", "nodev", "bind"};
  edits.mounts.push_back({paths.pipe, kContainerPipeDir, options});
  edits.mounts.push_back({ShmDir(paths), "/dev/shm", options});
  return edits;
}

}  // namespace nvdp::dra
