#include "dra/health_stream.h"

#include <grpcpp/grpcpp.h>

#include <ctime>

#include "dra-health/v1/api.grpc.pb.h"
#include "dra-health/v1alpha1/api.grpc.pb.h"
#include "health/health_registry.h"

namespace nvdp::dra {
namespace {

constexpr std::size_t kMaxMessage = 1024;  // the kubelet's limit

// The same stream for both versions: their messages are the same.
template <typename Response, typename Writer>
grpc::Status Watch(grpc::ServerContext* context, Writer* writer, const std::vector<Device>& devices,
                   const health::HealthRegistry& registry, const HealthStreamSettings& settings,
                   const std::atomic<bool>& stopping) {
  auto last_sent = std::chrono::steady_clock::time_point::min();
  uint64_t sent_version = 0;
  bool first = true;
  while (!context->IsCancelled() && !stopping) {
    const uint64_t version = registry.version();
    const auto now = std::chrono::steady_clock::now();
    if (first || version != sent_version || now - last_sent >= settings.resend) {
      Response response;
      const long long unix_now = static_cast<long long>(std::time(nullptr));
      for (const DeviceHealthEntry& entry : HealthList(devices, registry)) {
        auto* health = response.add_devices();
        health->mutable_device()->set_pool_name(settings.pool);
        health->mutable_device()->set_device_name(entry.device);
        // HEALTHY 1, UNHEALTHY 2 in both versions' HealthStatus
        health->set_health(static_cast<decltype(health->health())>(entry.healthy ? 1 : 2));
        health->set_last_updated_time(unix_now);
        health->set_health_check_timeout_seconds(settings.timeout.count());
        health->set_message(entry.message);
      }
      if (!writer->Write(response)) break;  // the kubelet went away
      first = false;
      sent_version = version;
      last_sent = now;
    }
    registry.WaitForChange(sent_version, std::chrono::milliseconds(200));
  }
  return grpc::Status::OK;
}

template <typename Base, typename Request, typename Response>
class HealthService final : public Base {
 public:
  HealthService(const std::vector<Device>& devices, const health::HealthRegistry& registry,
                HealthStreamSettings settings, const std::atomic<bool>& stopping)
      : devices_(devices),
        registry_(registry),
        settings_(std::move(settings)),
        stopping_(stopping) {}
  grpc::Status NodeWatchResources(grpc::ServerContext* context, const Request*,
                                  grpc::ServerWriter<Response>* writer) override {
    return Watch<Response>(context, writer, devices_, registry_, settings_, stopping_);
  }

 private:
  const std::vector<Device>& devices_;
  const health::HealthRegistry& registry_;
  HealthStreamSettings settings_;
  const std::atomic<bool>& stopping_;
};

}  // namespace

std::vector<DeviceHealthEntry> HealthList(const std::vector<Device>& devices,
                                          const health::HealthRegistry& registry) {
  std::vector<DeviceHealthEntry> list;
  for (const Device& device : devices) {
    DeviceHealthEntry entry{device.name, true, ""};
    const std::string mig_uuid = device.mig ? device.uuid : std::string();
    if (!device.problem.empty()) {
      entry = {device.name, false, device.problem};
    } else if (!registry.IsHealthy(device.gpu_uuid, mig_uuid)) {
      entry = {device.name, false, registry.Reason(device.gpu_uuid, mig_uuid)};
    }
    if (entry.message.size() > kMaxMessage) entry.message.resize(kMaxMessage);
    list.push_back(std::move(entry));
  }
  return list;
}

SocketServer::Services HealthServices(const std::vector<Device>& devices,
                                      const health::HealthRegistry& registry,
                                      const HealthStreamSettings& settings,
                                      const std::atomic<bool>& stopping) {
  SocketServer::Services services;
  services.emplace_back(
      new HealthService<v1::DRAResourceHealth::Service, v1::NodeWatchResourcesRequest,
                        v1::NodeWatchResourcesResponse>(devices, registry, settings, stopping));
  services.emplace_back(
      new HealthService<v1alpha1::DRAResourceHealth::Service, v1alpha1::NodeWatchResourcesRequest,
                        v1alpha1::NodeWatchResourcesResponse>(devices, registry, settings,
                                                              stopping));
  return services;
}

}  // namespace nvdp::dra
