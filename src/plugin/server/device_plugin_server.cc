#include "plugin/server/device_plugin_server.h"

#include <grpcpp/grpcpp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "api.grpc.pb.h"
#include "common/log.h"
#include "common/permissions.h"
#include "plugin/allocate/preferred.h"
#include "plugin/server/requests.h"

namespace nvdp::plugin {
namespace {

constexpr const char* kHealthy = "Healthy";
constexpr const char* kUnhealthy = "Unhealthy";

class DevicePluginService final : public v1beta1::DevicePlugin::Service {
 public:
  DevicePluginService(const Resource& resource, const HealthRegistry& registry,
                      const ServerSettings& settings)
      : resource_(resource),
        registry_(registry),
        options_(settings.allocate),
        preferred_(resource, settings.preference),
        metrics_(settings.metrics) {}

  void BeginStop() { stopping_ = true; }

  grpc::Status GetDevicePluginOptions(grpc::ServerContext*, const v1beta1::Empty*,
                                      v1beta1::DevicePluginOptions* response) override {
    response->set_pre_start_required(false);
    response->set_get_preferred_allocation_available(true);
    return grpc::Status::OK;
  }

  grpc::Status ListAndWatch(grpc::ServerContext* context, const v1beta1::Empty*,
                            grpc::ServerWriter<v1beta1::ListAndWatchResponse>* writer) override {
    std::vector<bool> last_sent;
    bool first = true;
    while (!stopping_ && !context->IsCancelled()) {
      const uint64_t version = registry_.version();
      std::vector<bool> health;
      for (const AllocatableDevice& device : resource_.devices) {
        health.push_back(registry_.IsHealthy(device.gpu_uuid, device.mig_uuid));
      }
      if (first || health != last_sent) {
        LogChanges(health, first ? std::vector<bool>(health.size(), true) : last_sent);
        if (!writer->Write(MakeList(health))) break;  // the kubelet went away
        last_sent = std::move(health);
        first = false;
      }
      registry_.WaitForChange(version, std::chrono::seconds(1));
    }
    return grpc::Status::OK;
  }

  grpc::Status GetPreferredAllocation(grpc::ServerContext*,
                                      const v1beta1::PreferredAllocationRequest* request,
                                      v1beta1::PreferredAllocationResponse* response) override {
    return Guard("GetPreferredAllocation", [&] {
      HealthCheck healthy = [this](const AllocatableDevice& device) {
        return registry_.IsHealthy(device.gpu_uuid, device.mig_uuid);
      };
      AnswerPreferredAllocation(preferred_, healthy, *request, response);
    });
  }

  grpc::Status Allocate(grpc::ServerContext*, const v1beta1::AllocateRequest* request,
                        v1beta1::AllocateResponse* response) override {
    return Guard("Allocate", [&] { AnswerAllocate(resource_, options_, *request, response); });
  }

  grpc::Status PreStartContainer(grpc::ServerContext*, const v1beta1::PreStartContainerRequest*,
                                 v1beta1::PreStartContainerResponse*) override {
    return grpc::Status::OK;
  }

 private:
  // No exception leaves a handler: bad requests become INVALID_ARGUMENT, the rest INTERNAL.
  template <typename Body>
  grpc::Status Guard(const char* method, Body&& body) {
    const auto start = std::chrono::steady_clock::now();
    grpc::Status status = grpc::Status::OK;
    try {
      body();
    } catch (const RequestError& error) {
      LOG_WARNING("{} for '{}' refused: {}", method, resource_.name, error.what());
      status = grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, error.what());
    } catch (const std::exception& error) {
      LOG_ERROR("{} for '{}' failed: {}", method, resource_.name, error.what());
      status = grpc::Status(grpc::StatusCode::INTERNAL, error.what());
    }
    if (metrics_) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics_->requests.Inc({resource_.name, method, CodeName(status.error_code())});
      metrics_->request_seconds.Observe({resource_.name, method}, seconds);
    }
    return status;
  }

  static const char* CodeName(grpc::StatusCode code) {
    switch (code) {
      case grpc::StatusCode::OK:
        return "OK";
      case grpc::StatusCode::INVALID_ARGUMENT:
        return "InvalidArgument";
      default:
        return "Internal";
    }
  }

  v1beta1::ListAndWatchResponse MakeList(const std::vector<bool>& health) const {
    v1beta1::ListAndWatchResponse list;
    for (size_t i = 0; i < resource_.devices.size(); ++i) {
      const AllocatableDevice& device = resource_.devices[i];
      auto* out = list.add_devices();
      out->set_id(device.id);
      out->set_health(health[i] ? kHealthy : kUnhealthy);
      if (device.numa_node) out->mutable_topology()->add_nodes()->set_id(*device.numa_node);
    }
    return list;
  }

  void LogChanges(const std::vector<bool>& now, const std::vector<bool>& before) const {
    for (size_t i = 0; i < now.size(); ++i) {
      if (now[i] == before[i]) continue;
      const AllocatableDevice& device = resource_.devices[i];
      if (now[i]) {
        LOG_INFO("'{}' device marked healthy: {}", resource_.name, device.id);
      } else {
        LOG_INFO("'{}' device marked unhealthy: {} ({})", resource_.name, device.id,
                 registry_.Reason(device.gpu_uuid, device.mig_uuid));
      }
    }
  }

  const Resource& resource_;
  const HealthRegistry& registry_;
  const AllocateOptions options_;
  const PreferredAllocator preferred_;
  const std::shared_ptr<PluginMetrics> metrics_;
  std::atomic<bool> stopping_{false};
};

ino_t InodeOf(const std::string& path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 ? info.st_ino : 0;
}

// Says why a socket cannot be created at `path` (gRPC's own failure names no cause), and refuses
// to replace a socket another process still serves: two plugins on one directory would
// otherwise take the socket from each other in turn.
void CheckSocketPath(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : path.substr(0, std::max<size_t>(slash, 1));
  struct stat info {};
  if (stat(dir.c_str(), &info) != 0) {
    const int error = errno;
    if (error == ENOENT) {
      throw std::runtime_error("cannot listen on " + path + ": the directory " + dir +
                               " does not exist (is the kubelet's device-plugins directory "
                               "mounted?)");
    }
    if (IsPermissionError(error)) {
      throw PermissionDenied("cannot create the plugin socket " + path + ": cannot reach " + dir +
                             ": " + std::strerror(error) + ", " + PermissionHint());
    }
    throw std::runtime_error("cannot listen on " + path + ": cannot reach " + dir + ": " +
                             std::strerror(error));
  }
  if (access(dir.c_str(), W_OK | X_OK) != 0) {
    throw PermissionDenied("cannot create the plugin socket " + path + ": " + std::strerror(errno) +
                           " to create a socket in " + dir + ", " + PermissionHint());
  }
  if (stat(path.c_str(), &info) != 0 || !S_ISSOCK(info.st_mode)) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return;  // gRPC reports it
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) return;
  const int connected = connect(probe, reinterpret_cast<sockaddr*>(&address), sizeof address);
  const int error = errno;
  close(probe);
  // EAGAIN: a listener whose backlog is full is alive too.
  if (connected == 0 || error == EAGAIN || error == EINPROGRESS) {
    throw std::runtime_error("another process is serving " + path +
                             "; not taking its socket (is a second device plugin running on "
                             "this node?)");
  }
}

}  // namespace

struct DevicePluginServer::Impl {
  const Resource& resource;
  const HealthRegistry& registry;
  ServerSettings settings;
  std::string socket_path;
  std::unique_ptr<DevicePluginService> service;
  std::unique_ptr<grpc::Server> server;
  ino_t socket_inode = 0;
};

DevicePluginServer::DevicePluginServer(const Resource& resource, const HealthRegistry& registry,
                                       ServerSettings settings, std::string socket_path)
    : impl_(new Impl{resource, registry, std::move(settings), std::move(socket_path), nullptr,
                     nullptr, 0}) {}

DevicePluginServer::~DevicePluginServer() { Stop(); }

void DevicePluginServer::Start() {
  Stop();
  CheckSocketPath(impl_->socket_path);
  if (unlink(impl_->socket_path.c_str()) != 0 && errno != ENOENT) {
    throw std::runtime_error("cannot remove stale socket " + impl_->socket_path + ": " +
                             std::strerror(errno));
  }
  impl_->service =
      std::make_unique<DevicePluginService>(impl_->resource, impl_->registry, impl_->settings);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix://" + impl_->socket_path, grpc::InsecureServerCredentials());
  builder.RegisterService(impl_->service.get());
  // One completion queue and few pollers: a plugin serves one kubelet.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::NUM_CQS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS, 1);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, 2);
  impl_->server = builder.BuildAndStart();
  if (!impl_->server) {
    impl_->service.reset();
    throw std::runtime_error("cannot listen on " + impl_->socket_path);
  }
  impl_->socket_inode = InodeOf(impl_->socket_path);
  LOG_INFO("Starting GRPC server for '{}' on {}", impl_->resource.name, impl_->socket_path);
}

void DevicePluginServer::Stop() {
  if (!impl_->server) return;
  impl_->service->BeginStop();
  impl_->registry.Wake();
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  impl_->server->Wait();
  impl_->server.reset();
  impl_->service.reset();
  if (impl_->socket_inode != 0 && InodeOf(impl_->socket_path) == impl_->socket_inode) {
    unlink(impl_->socket_path.c_str());
  }
  impl_->socket_inode = 0;
}

bool DevicePluginServer::SocketIntact() const {
  return impl_->server && impl_->socket_inode != 0 &&
         InodeOf(impl_->socket_path) == impl_->socket_inode;
}

const std::string& DevicePluginServer::socket_path() const { return impl_->socket_path; }

}  // namespace nvdp::plugin
