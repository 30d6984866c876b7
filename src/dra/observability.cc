#include "dra/observability.h"

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "grpc/health/v1/health.grpc.pb.h"

#include "common/version.h"

namespace nvdp::dra {
namespace {

HttpResponse Unavailable(const std::string& why) { return {503, "text/plain; charset=utf-8", why}; }

}  // namespace

std::string DraMetrics::Render() {
  build_info.Replace({{{std::string(Version())}, 1}});
  std::string out;
  for (const metrics::Family* family : std::initializer_list<const metrics::Family*>{
           &claims, &claim_seconds, &slice_syncs, &prepared, &devices, &registered, &build_info}) {
    out += family->Render();
  }
  return out + health->Render();
}

HttpResponse HealthzResponse(const DraStatus& status) {
  if (!status.serving) return Unavailable("not serving the DRA socket\n");
  if (!status.nvml_problem.empty()) return Unavailable(status.nvml_problem);
  return {200, "text/plain; charset=utf-8", "ok\n"};
}

HttpResponse ReadyzResponse(const DraStatus& status) {
  std::string problem;
  if (!status.serving) problem += "not serving the DRA socket\n";
  if (!status.registered) problem += "not registered with the kubelet\n";
  if (!status.slices_synced) problem += "ResourceSlices not in sync with the API server\n";
  problem += status.nvml_problem;
  if (!problem.empty()) return Unavailable(problem);
  return {200, "text/plain; charset=utf-8", "ready\n"};
}

class HealthCheckServer::Service final : public grpc::health::v1::Health::Service {
 public:
  using Status = grpc::health::v1::HealthCheckResponse;

  void Set(bool serving) {
    std::lock_guard lock(mutex_);
    const Status::ServingStatus next = serving ? Status::SERVING : Status::NOT_SERVING;
    if (next == status_) return;
    status_ = next;
    ++version_;
    changed_.notify_all();
  }
  void Shutdown() {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    changed_.notify_all();
  }

  grpc::Status Check(grpc::ServerContext*, const grpc::health::v1::HealthCheckRequest* request,
                     Status* response) override {
    if (!request->service().empty()) return {grpc::StatusCode::NOT_FOUND, "unknown service"};
    std::lock_guard lock(mutex_);
    response->set_status(status_);
    return grpc::Status::OK;
  }

  grpc::Status Watch(grpc::ServerContext* context,
                     const grpc::health::v1::HealthCheckRequest* request,
                     grpc::ServerWriter<Status>* writer) override {
    std::unique_lock lock(mutex_);
    unsigned long long sent = ~0ULL;
    while (!stopping_ && !context->IsCancelled()) {
      if (sent != version_) {
        Status response;
        response.set_status(request->service().empty() ? status_ : Status::SERVICE_UNKNOWN);
        sent = version_;
        lock.unlock();
        const bool ok = writer->Write(response);
        lock.lock();
        if (!ok) break;
      }
      changed_.wait_for(lock, std::chrono::milliseconds(200));
    }
    return grpc::Status::OK;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  Status::ServingStatus status_ = Status::NOT_SERVING;
  unsigned long long version_ = 0;
  bool stopping_ = false;
};

HealthCheckServer::HealthCheckServer() = default;
HealthCheckServer::~HealthCheckServer() { Stop(); }

int HealthCheckServer::Start(int port) {
  service_ = std::make_unique<Service>();
  grpc::ServerBuilder builder;
  int bound = 0;
  builder.AddListeningPort("[::]:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound);
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  if (!server_ || bound == 0) {
    server_.reset();
    service_.reset();
    throw std::runtime_error("cannot serve the gRPC health service on port " +
                             std::to_string(port));
  }
  return bound;
}

void HealthCheckServer::SetServing(bool serving) {
  if (service_) service_->Set(serving);
}

void HealthCheckServer::Stop() {
  if (!server_) return;
  service_->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
  service_.reset();
}

}  // namespace nvdp::dra
