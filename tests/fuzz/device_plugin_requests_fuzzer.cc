// Allocate and GetPreferredAllocation as the server answers them, from the request bytes the
// kubelet (or anyone who can reach the socket) sends. Input: one byte choosing the node, the RPC
// and the settings, one byte of unhealthy GPUs, then the serialized request message.
// RequestError (a gRPC INVALID_ARGUMENT) is the only allowed failure.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/stubs/logging.h>

#include "alloc/pair_scores.h"
#include "api.pb.h"
#include "plugin/server/requests.h"

namespace {

using namespace nvdp;

std::string Uuid(unsigned index) {
  char text[48];
  std::snprintf(text, sizeof text, "GPU-%08x-1b2c-4d3e-9f21-6b8e2a7d4c10", index);
  return text;
}

// `count` GPUs on two NUMA nodes; NVLinks between GPUs of the same group of `group` (0: none).
device::Inventory Node(unsigned count, unsigned group, bool mig) {
  device::Inventory inventory;
  inventory.links = device::LinkMatrix(count);
  for (unsigned i = 0; i < count; ++i) {
    device::GpuInfo gpu;
    gpu.index = i;
    gpu.uuid = Uuid(i);
    gpu.name = "NVIDIA A100-SXM4-40GB";
    gpu.minor = i;
    gpu.numa_node = static_cast<int>(i * 2 / count);
    gpu.mig_capable = mig;
    gpu.mig_enabled = mig;
    if (mig) {
      gpu.mig_profiles = {"1g.5gb"};
      for (unsigned slot = 0; slot < 3; ++slot) {
        device::MigDeviceInfo device;
        device.uuid = "MIG-" + Uuid(i).substr(4, 30) + std::to_string(slot);
        device.index = slot;
        device.gpu_instance = slot + 1;
        device.profile = "1g.5gb";
        gpu.mig_devices.push_back(device);
      }
    }
    inventory.gpus.push_back(gpu);
    for (unsigned j = 0; j < count; ++j) {
      if (i == j) continue;
      const bool near = group != 0 && i / group == j / group;
      inventory.links.SetP2P(
          i, j,
          i * 2 / count == j * 2 / count ? device::P2PLink::kSameCpu : device::P2PLink::kCrossCpu);
      inventory.links.SetNvLinks(i, j, near ? static_cast<int>(1 + (i + j) % 2) : 0);
    }
  }
  return inventory;
}

struct FuzzNode {
  device::Inventory inventory;
  config::ReplicatedResources sharing;
  resource::Resource resource;
  alloc::PairScores scores;
  std::unique_ptr<plugin::PreferredAllocator> allocator;

  FuzzNode(unsigned count, unsigned group, bool mig, int replicas)
      : inventory(Node(count, group, mig)) {
    resource::ResourceSettings settings;
    settings.mig_strategy = mig ? config::MigStrategy::kSingle : config::MigStrategy::kNone;
    settings.rules = resource::DefaultResourceRules(settings.mig_strategy, inventory);
    if (replicas > 1) {
      sharing.resources.push_back({"nvidia.com/gpu", std::nullopt, {}, replicas});
      settings.replicated = &sharing;
    }
    resource = resource::BuildResources(inventory, settings).at(0);
    scores = alloc::PairScores(inventory.links);
    allocator = std::make_unique<plugin::PreferredAllocator>(
        resource, plugin::PreferenceSettings{&scores, alloc::SharedPolicy::kDistributed});
  }
};

const FuzzNode& NodeFor(unsigned kind) {
  static const FuzzNode nodes[] = {
      {8, 8, false, 0},   // NVSwitch-like: every pair linked
      {16, 4, false, 0},  // four NVLink islands of four
      {8, 0, false, 4},   // time-slicing, 4 replicas each
      {4, 0, true, 0},    // MIG, single strategy
  };
  return nodes[kind % 4];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Protobuf logs every string that is not UTF-8 (the parse fails, as it does in gRPC).
  static const bool quiet = (google::protobuf::SetLogHandler(nullptr), true);
  (void)quiet;
  if (size < 2) return 0;
  const uint8_t choice = data[0], unhealthy = data[1];
  const FuzzNode& node = NodeFor(choice & 3);
  const bool preferred = choice & 4;
  const auto* message = data + 2;
  const int length = static_cast<int>(size - 2);
  try {
    if (preferred) {
      v1beta1::PreferredAllocationRequest request;
      if (!request.ParseFromArray(message, length)) return 0;  // gRPC refuses it before us
      v1beta1::PreferredAllocationResponse response;
      plugin::HealthCheck healthy = [unhealthy](const resource::AllocatableDevice& device) {
        return (unhealthy >> (device.gpu_position % 8) & 1) == 0;
      };
      plugin::AnswerPreferredAllocation(*node.allocator, healthy, request, &response);
    } else {
      v1beta1::AllocateRequest request;
      if (!request.ParseFromArray(message, length)) return 0;
      plugin::AllocateOptions options;
      options.id_strategy =
          choice & 8 ? plugin::DeviceIdStrategy::kIndex : plugin::DeviceIdStrategy::kUuid;
      options.volume_mounts = choice & 16;
      options.cdi_annotations = choice & 32;
      options.cdi_cri = choice & 64;
      options.envvar =
          !(options.volume_mounts || options.cdi_annotations || options.cdi_cri) || (unhealthy & 1);
      options.pass_device_specs = choice & 128;
      options.fail_requests_greater_than_one = unhealthy & 2;
      if (unhealthy & 4) options.mps_host_root = "/run/nvidia/mps";
      if (unhealthy & 8) options.imex_channels = {"0"};
      options.gdrcopy = unhealthy & 16;
      options.control_nodes = {"/dev/nvidiactl", "/dev/nvidia-uvm"};
      v1beta1::AllocateResponse response;
      plugin::AnswerAllocate(node.resource, options, request, &response);
    }
  } catch (const plugin::RequestError&) {
  }
  return 0;
}
