#include "dra/kubelet_services.h"

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>
#include <type_traits>

#include "common/log.h"
#include "dra/observability.h"
#include "dra/preparer.h"
#include "dra/v1/api.grpc.pb.h"
#include "dra/v1beta1/api.grpc.pb.h"
#include "pluginregistration/v1/api.grpc.pb.h"

namespace nvdp::dra {
namespace {

namespace v1 = k8s::io::kubelet::pkg::apis::dra::v1;
namespace v1beta1 = k8s::io::kubelet::pkg::apis::dra::v1beta1;

// The same handlers for both versions: their messages differ only in Device.share_id (v1).
grpc::Status TooMany(int claims) {
  return {
      grpc::StatusCode::INVALID_ARGUMENT,
      std::to_string(claims) + " claims in one call; at most " + std::to_string(kMaxClaimsPerCall)};
}

// Claims not started when the kubelet gave up are not started at all: it ignores the answer of a
// failed call and asks again (prepared claims then answer from the checkpoint).
grpc::Status GaveUp() {
  return {grpc::StatusCode::DEADLINE_EXCEEDED, "the caller's deadline passed or it cancelled"};
}

// One claim, counted and timed.
template <typename Call>
auto Measured(DraMetrics* metrics, const char* method, Call&& call) {
  const auto start = std::chrono::steady_clock::now();
  auto result = call();
  if (metrics != nullptr) {
    bool ok = false;
    if constexpr (std::is_same_v<decltype(result), std::string>) {
      ok = result.empty();
    } else {
      ok = result.error.empty();
    }
    metrics->claims.Inc({method, ok ? "ok" : "error"});
    metrics->claim_seconds.Observe(
        {method}, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return result;
}

template <typename Request, typename Response>
grpc::Status Prepare(grpc::ServerContext* context, Preparer& preparer, DraMetrics* metrics,
                     const Request& request, Response* response) {
  const int total = request.claims_size();
  if (total > kMaxClaimsPerCall) return TooMany(total);
  for (int start = 0; start < total; start += static_cast<int>(kParallelClaims)) {
    if (context->IsCancelled()) return GaveUp();
    const int end = std::min(total, start + static_cast<int>(kParallelClaims));
    std::vector<std::future<Preparer::Outcome>> outcomes;
    for (int i = start; i < end; ++i) {
      const auto& claim = request.claims(i);
      ClaimRef ref{claim.uid(), claim.namespace_(), claim.name()};
      auto prepare = [&preparer, metrics, ref] {
        return Measured(metrics, "prepare", [&] { return preparer.Prepare(ref); });
      };
      if (end - start == 1) {
        std::promise<Preparer::Outcome> done;
        done.set_value(prepare());
        outcomes.push_back(done.get_future());
      } else {
        outcomes.push_back(std::async(std::launch::async, prepare));
      }
    }
    for (int i = start; i < end; ++i) {
      const Preparer::Outcome outcome = outcomes[i - start].get();
      auto& entry = (*response->mutable_claims())[request.claims(i).uid()];
      entry.set_error(outcome.error);
      for (const PreparedDevice& prepared : outcome.devices) {
        auto* device = entry.add_devices();
        for (const std::string& name : prepared.requests) device->add_request_names(name);
        device->set_pool_name(prepared.pool);
        device->set_device_name(prepared.device);
        for (const std::string& id : prepared.cdi_device_ids) device->add_cdi_device_ids(id);
        if constexpr (requires { device->set_share_id(prepared.share_id); }) {
          device->set_share_id(prepared.share_id);
        }
      }
    }
  }
  return grpc::Status::OK;
}

template <typename Request, typename Response>
grpc::Status Unprepare(grpc::ServerContext* context, Preparer& preparer, DraMetrics* metrics,
                       const Request& request, Response* response) {
  if (request.claims_size() > kMaxClaimsPerCall) return TooMany(request.claims_size());
  for (const auto& claim : request.claims()) {
    if (context->IsCancelled()) return GaveUp();
    const std::string error = Measured(metrics, "unprepare", [&] {
      return preparer.Unprepare({claim.uid(), claim.namespace_(), claim.name()});
    });
    (*response->mutable_claims())[claim.uid()].set_error(error);
  }
  return grpc::Status::OK;
}

// Both versions' services: the same handlers over each version's generated types.
template <typename Service, typename PrepareIn, typename PrepareOut, typename UnprepareIn,
          typename UnprepareOut>
class DraService final : public Service {
 public:
  DraService(Preparer& preparer, DraMetrics* metrics) : preparer_(preparer), metrics_(metrics) {}
  grpc::Status NodePrepareResources(grpc::ServerContext* context, const PrepareIn* in,
                                    PrepareOut* out) override {
    return Prepare(context, preparer_, metrics_, *in, out);
  }
  grpc::Status NodeUnprepareResources(grpc::ServerContext* context, const UnprepareIn* in,
                                      UnprepareOut* out) override {
    return Unprepare(context, preparer_, metrics_, *in, out);
  }

 private:
  Preparer& preparer_;
  DraMetrics* metrics_;
};

using DraV1 = DraService<v1::DRAPlugin::Service, v1::NodePrepareResourcesRequest,
                         v1::NodePrepareResourcesResponse, v1::NodeUnprepareResourcesRequest,
                         v1::NodeUnprepareResourcesResponse>;
using DraV1beta1 =
    DraService<v1beta1::DRAPlugin::Service, v1beta1::NodePrepareResourcesRequest,
               v1beta1::NodePrepareResourcesResponse, v1beta1::NodeUnprepareResourcesRequest,
               v1beta1::NodeUnprepareResourcesResponse>;

class Registration final : public pluginregistration::Registration::Service {
 public:
  Registration(RegistrationInfo info, RegistrationStatus& status)
      : info_(std::move(info)), status_(status) {}
  grpc::Status GetInfo(grpc::ServerContext*, const pluginregistration::InfoRequest*,
                       pluginregistration::PluginInfo* out) override {
    out->set_type("DRAPlugin");
    out->set_name(info_.driver_name);
    out->set_endpoint(info_.endpoint);
    for (const std::string& version : info_.versions) out->add_supported_versions(version);
    return grpc::Status::OK;
  }
  grpc::Status NotifyRegistrationStatus(grpc::ServerContext*,
                                        const pluginregistration::RegistrationStatus* in,
                                        pluginregistration::RegistrationStatusResponse*) override {
    status_.Set(in->plugin_registered(), in->error());
    return grpc::Status::OK;
  }

 private:
  RegistrationInfo info_;
  RegistrationStatus& status_;
};

}  // namespace

void RegistrationStatus::Set(bool registered, const std::string& error) {
  if (registered) {
    if (!registered_.exchange(true)) LOG_INFO("Registered with the kubelet");
    return;
  }
  registered_ = false;
  ++refusals_;
  LOG_ERROR("The kubelet refused the registration: {}", error.empty() ? "no reason given" : error);
}

SocketServer::Services DraServices(Preparer& preparer, DraMetrics* metrics) {
  SocketServer::Services services;
  services.emplace_back(new DraV1(preparer, metrics));
  services.emplace_back(new DraV1beta1(preparer, metrics));
  return services;
}

SocketServer::Services RegistrationServices(const RegistrationInfo& info,
                                            RegistrationStatus& status) {
  SocketServer::Services services;
  services.emplace_back(new Registration(info, status));
  return services;
}

}  // namespace nvdp::dra
