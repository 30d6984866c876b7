#include "plugin/server/kubelet_registration.h"

#include <grpcpp/grpcpp.h>

#include "api.grpc.pb.h"

#include "config/resource_name.h"

namespace nvdp::plugin {

std::string SocketName(std::string_view resource_name) {
  std::string_view name = resource_name;
  if (name.starts_with(config::kResourcePrefix)) name.remove_prefix(config::kResourcePrefix.size());
  return "nvidia-" + std::string(name) + ".sock";
}

std::string RegisterWithKubelet(const std::string& kubelet_socket, const std::string& endpoint,
                                const std::string& resource_name,
                                std::chrono::milliseconds timeout) {
  auto channel =
      grpc::CreateChannel("unix://" + kubelet_socket, grpc::InsecureChannelCredentials());
  auto stub = v1beta1::Registration::NewStub(channel);
  v1beta1::RegisterRequest request;
  request.set_version(kDevicePluginApiVersion);
  request.set_endpoint(endpoint);
  request.set_resource_name(resource_name);
  request.mutable_options()->set_pre_start_required(false);
  request.mutable_options()->set_get_preferred_allocation_available(true);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  v1beta1::Empty response;
  grpc::Status status = stub->Register(&context, request, &response);
  if (status.ok()) return "";
  return status.error_message().empty() ? "gRPC status " + std::to_string(status.error_code())
                                        : status.error_message();
}

}  // namespace nvdp::plugin
