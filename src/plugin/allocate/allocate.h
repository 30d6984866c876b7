// Builds the kubelet's Allocate answer for one container from plain data (spec §4.5): the envvar
// and volume-mounts device-list strategies, uuid or index device ids, device specs. No gRPC, no
// NVML: the gRPC layer converts the result, and tests call it directly.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/paths.h"  // JoinRoot
#include "config/defaults.h"
#include "config/strategies.h"
#include "device/control_nodes.h"
#include "resource/resource.h"

namespace nvdp::plugin {

using resource::AllocatableDevice;
using resource::Resource;
using resource::ResourceError;

// A request the kubelet should not have sent (unknown device, too many shared devices, empty);
// the message is what the kubelet logs, so it names the resource and the offending value.
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using config::DeviceIdStrategy;

// The device nodes passed with --pass-device-specs when they exist, before the GPUs' own.
using device::ControlDeviceNodes;

struct AllocateOptions {
  DeviceIdStrategy id_strategy = DeviceIdStrategy::kUuid;
  bool envvar = true;          // NVIDIA_VISIBLE_DEVICES=<ids>
  bool volume_mounts = false;  // NVIDIA_VISIBLE_DEVICES=/var/run/nvidia-container-devices + mounts
  bool cdi_annotations = false;  // the CDI device names in a container annotation
  bool cdi_cri = false;          // the CDI device names in the CRI's cdi_devices field
  std::string cdi_annotation_prefix = config::kDefaultCdiAnnotationPrefix;
  // gdrcopy, gds, mofed: the modes that are enabled and had a CDI spec written, in that order.
  std::vector<std::string> cdi_modes;
  // IMEX channels that exist on the node ("0"), injected into every allocation.
  std::vector<std::string> imex_channels;
  bool fail_requests_greater_than_one = false;  // for IDs with a ::<n> replica suffix
  bool pass_device_specs = false;
  std::string dev_root = "/";  // host path the device nodes live under (nvidiaDevRoot)
  // Which of ControlDeviceNodes() exist (checked once at start).
  std::vector<std::string> control_nodes;
  // MPS sharing (spec §4.5 step 5) when not empty: the host's MPS root (--mps-root).
  std::string mps_host_root;
  bool gdrcopy = false;
  bool gds = false;
  bool mofed = false;
};

struct Mount {
  std::string container_path;
  std::string host_path;
  bool read_only = false;
  bool operator==(const Mount&) const = default;
};

struct DeviceSpec {
  std::string container_path;
  std::string host_path;
  std::string permissions;
  bool operator==(const DeviceSpec&) const = default;
};

struct ContainerAllocation {
  std::map<std::string, std::string> envs;
  std::vector<Mount> mounts;
  std::vector<DeviceSpec> devices;
  std::map<std::string, std::string> annotations;
  std::vector<std::string> cdi_devices;  // fully qualified CDI device names
};

inline constexpr const char* kVolumeMountsRoot = "/var/run/nvidia-container-devices";
inline constexpr const char* kImexChannelDir = "/dev/nvidia-caps-imex-channels";
// Where a workload container finds a resource's MPS pipes: <this>/<resource>/pipe.
inline constexpr const char* kMpsContainerRoot = "/mps";

// Throws RequestError.
ContainerAllocation BuildContainerAllocation(const Resource& resource,
                                             const std::vector<std::string>& requested_ids,
                                             const AllocateOptions& options);

// Upstream's annotation key for the CDI device names of one container: the prefix with the
// key name nvidia-device-plugin_<random UUIDv4>.
std::string CdiAnnotationKey(const std::string& prefix);

// "<uuid>::3" -> "<uuid>"; IDs without a replica suffix are returned unchanged.
std::string StripReplicaSuffix(const std::string& id);

}  // namespace nvdp::plugin
