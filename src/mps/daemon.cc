#include "mps/daemon.h"

#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include "common/fs.h"
#include "common/log.h"
#include "common/permissions.h"
#include "common/strings.h"
#include "common/subprocess.h"

namespace nvdp::mps {

namespace fs = std::filesystem;

// Copies control.log to stdout from its first line, following appends (`tail -n +1 -f`).
class LogFollower {
 public:
  explicit LogFollower(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~LogFollower() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::FILE* file = nullptr;
    char buffer[4096];
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      if (file == nullptr) file = std::fopen(path_.c_str(), "r");
      if (file != nullptr) {
        size_t n;
        while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
          std::fwrite(buffer, 1, n, stdout);
        }
        std::fflush(stdout);
        std::clearerr(file);
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(200), [this] { return stop_; });
    }
    lock.unlock();
    if (file != nullptr) std::fclose(file);
  }

  std::string path_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

namespace {

constexpr const char* kContainerFileContext = "system_u:object_r:container_file_t:s0";

void MakeDirectories(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error && IsPermissionError(error.value())) {
    throw PermissionDenied("cannot create " + path + ": " + error.message() + ", " +
                           PermissionHint());
  }
  if (error) throw MpsError("cannot create " + path + ": " + error.message());
  fs::permissions(path,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  error);
}

}  // namespace

std::string RelabelForContainers(const std::string& path) {
  auto label = [](const std::string& p) -> std::string {
    if (lsetxattr(p.c_str(), "security.selinux", kContainerFileContext,
                  std::char_traits<char>::length(kContainerFileContext) + 1, 0) != 0) {
      return "cannot set the SELinux context of " + p + ": " + std::strerror(errno);
    }
    return "";
  };
  std::string error = label(path);
  std::error_code walk_error;
  for (auto it = fs::recursive_directory_iterator(path, walk_error);
       !walk_error && it != fs::recursive_directory_iterator(); it.increment(walk_error)) {
    if (error.empty()) error = label(it->path().string());
  }
  return error;
}

ResourceDaemon::ResourceDaemon(DaemonPlan plan, const std::string& root, Tools tools)
    : plan_(std::move(plan)),
      tools_(std::move(tools)),
      control_(tools_.mps_control, ResourcePaths(root, plan_.resource)) {
  control_.set_visible_devices(plan_.visible_devices);
}

ResourceDaemon::~ResourceDaemon() = default;

void ResourceDaemon::SetComputeMode(const std::string& mode, bool must_succeed) {
  for (const std::string& uuid : plan_.uuids) {
    SubprocessResult result;
    std::string failure;
    try {
      result = RunSubprocess({tools_.nvidia_smi,
                              {"-i", uuid, "-c", mode},
                              std::nullopt,
                              "",
                              std::chrono::seconds(60)});
      if (!result.ok()) failure = result.Describe();
    } catch (const std::system_error& error) {
      failure = error.what();
    }
    std::string output(TrimSpace(result.out + result.err));
    std::replace(output.begin(), output.end(), '\n', ' ');
    if (!output.empty()) LOG_INFO("nvidia-smi -i {} -c {}: {}", uuid, mode, output);
    if (failure.empty()) continue;
    const std::string message =
        "error setting compute mode " + mode + " on " + uuid + ": " + failure;
    if (must_succeed) throw MpsError(message);
    LOG_WARNING("{}", message);
  }
}

void ResourceDaemon::Start() {
  const ResourcePaths& paths = control_.paths();
  LOG_INFO("Starting MPS control daemon for {} ({} GPU(s))", plan_.resource, plan_.uuids.size());
  if (geteuid() != 0) {  // nvidia-smi answers "Insufficient Permissions" to anyone else
    throw PermissionDenied("cannot set the compute mode of the GPUs of " + plan_.resource +
                           ": nvidia-smi -c needs root, " + PermissionHint());
  }
  SetComputeMode("EXCLUSIVE_PROCESS", true);
  MakeDirectories(paths.pipe);
  std::error_code ignored;
  if (fs::exists("/sys/fs/selinux", ignored)) {
    std::string error = RelabelForContainers(paths.pipe);
    if (!error.empty()) throw MpsError(error);
  }
  MakeDirectories(paths.log);
  control_.StartDaemon();
  daemon_started_ = true;
  for (const PinnedMemoryLimit& limit : plan_.pinned_limits) {
    control_.Send("set_default_device_pinned_mem_limit " + limit.index + " " +
                  std::to_string(limit.mib) + "M");
  }
  if (plan_.active_thread_percentage) {
    control_.Send("set_default_active_thread_percentage " +
                  std::to_string(*plan_.active_thread_percentage));
  }
  try {
    WriteFileAtomically(paths.started, "");
  } catch (const FsError& error) {
    throw MpsError(error.what());
  }
  follower_ = std::make_unique<LogFollower>(paths.log + "/control.log");
  LOG_INFO("MPS control daemon for {} started (pipe directory {})", plan_.resource, paths.pipe);
}

void ResourceDaemon::Stop() {
  const ResourcePaths& paths = control_.paths();
  LOG_INFO("Stopping MPS control daemon for {}", plan_.resource);
  if (daemon_started_) {
    try {
      control_.Send("quit");
    } catch (const MpsError& error) {
      LOG_WARNING("{}", error.what());
    }
    daemon_started_ = false;
  }
  follower_.reset();
  SetComputeMode("DEFAULT", false);
  std::error_code error;
  fs::remove(paths.started, error);
  if (error) LOG_WARNING("cannot remove {}: {}", paths.started, error.message());
  fs::remove_all(paths.log, error);
  if (error) LOG_WARNING("cannot remove {}: {}", paths.log, error.message());
}

}  // namespace nvdp::mps
