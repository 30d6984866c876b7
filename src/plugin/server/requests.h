// The answers to Allocate and GetPreferredAllocation, from the request messages to the response
// messages, without gRPC: the server calls these inside its error guard, and the request fuzzer
// calls them directly. Bad requests throw RequestError; nothing else may escape for any input.
#pragma once

#include "plugin/allocate/allocate.h"
#include "plugin/allocate/preferred.h"
#include "resource/resource.h"

namespace v1beta1 {
class AllocateRequest;
class AllocateResponse;
class PreferredAllocationRequest;
class PreferredAllocationResponse;
}  // namespace v1beta1

namespace nvdp::plugin {

void AnswerAllocate(const Resource& resource, const AllocateOptions& options,
                    const v1beta1::AllocateRequest& request, v1beta1::AllocateResponse* response);

void AnswerPreferredAllocation(const PreferredAllocator& allocator, const HealthCheck& healthy,
                               const v1beta1::PreferredAllocationRequest& request,
                               v1beta1::PreferredAllocationResponse* response);

}  // namespace nvdp::plugin
