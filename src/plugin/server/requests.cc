#include "plugin/server/requests.h"

#include "api.pb.h"

namespace nvdp::plugin {

void AnswerAllocate(const Resource& resource, const AllocateOptions& options,
                    const v1beta1::AllocateRequest& request, v1beta1::AllocateResponse* response) {
  if (request.container_requests().empty()) {
    throw RequestError("invalid allocation request for \"" + resource.name +
                       "\": no container requests");
  }
  for (const auto& container : request.container_requests()) {
    std::vector<std::string> ids(container.devices_ids().begin(), container.devices_ids().end());
    ContainerAllocation allocation = BuildContainerAllocation(resource, ids, options);
    auto* out = response->add_container_responses();
    for (const auto& [key, value] : allocation.envs) (*out->mutable_envs())[key] = value;
    for (const Mount& mount : allocation.mounts) {
      auto* m = out->add_mounts();
      m->set_container_path(mount.container_path);
      m->set_host_path(mount.host_path);
      m->set_read_only(mount.read_only);
    }
    for (const DeviceSpec& spec : allocation.devices) {
      auto* d = out->add_devices();
      d->set_container_path(spec.container_path);
      d->set_host_path(spec.host_path);
      d->set_permissions(spec.permissions);
    }
    for (const auto& [key, value] : allocation.annotations) {
      (*out->mutable_annotations())[key] = value;
    }
    for (const std::string& name : allocation.cdi_devices) out->add_cdi_devices()->set_name(name);
  }
}

void AnswerPreferredAllocation(const PreferredAllocator& allocator, const HealthCheck& healthy,
                               const v1beta1::PreferredAllocationRequest& request,
                               v1beta1::PreferredAllocationResponse* response) {
  for (const auto& container : request.container_requests()) {
    std::vector<std::string> available(container.available_deviceids().begin(),
                                       container.available_deviceids().end());
    std::vector<std::string> must(container.must_include_deviceids().begin(),
                                  container.must_include_deviceids().end());
    auto chosen = allocator.Choose(available, must, container.allocation_size(), healthy);
    auto* out = response->add_container_responses();
    for (auto& id : chosen) out->add_deviceids(std::move(id));
  }
}

}  // namespace nvdp::plugin
