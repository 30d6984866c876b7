// A CDI (Container Device Interface) specification as this project writes it: plain data and its
// JSON form. Only the fields our specs use; see
// https://github.com/cncf-tags/container-device-interface (SPEC.md). The version written is the
// lowest that describes the content (deviceNodes with hostPath need 0.5.0), so that runtimes with
// older CDI libraries accept the files.
#pragma once

#include <string>
#include <vector>

namespace nvdp::cdi {

inline constexpr const char* kVendor = "k8s.device-plugin.nvidia.com";
inline constexpr const char* kSpecVersion = "0.5.0";

struct DeviceNode {
  std::string path;       // in the container
  std::string host_path;  // on the host
  bool operator==(const DeviceNode&) const = default;
};

struct Mount {
  std::string host_path;
  std::string container_path;
  std::vector<std::string> options;
  bool operator==(const Mount&) const = default;
};

struct Hook {
  std::string hook_name;  // OCI lifecycle stage, e.g. createContainer
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  bool operator==(const Hook&) const = default;
};

struct ContainerEdits {
  std::vector<std::string> env;
  std::vector<DeviceNode> device_nodes;
  std::vector<Mount> mounts;
  std::vector<Hook> hooks;

  bool empty() const {
    return env.empty() && device_nodes.empty() && mounts.empty() && hooks.empty();
  }
  // Appends what `other` has and this does not (device nodes by path, mounts by container path,
  // hooks and env entries by value).
  void Merge(const ContainerEdits& other);
};

struct Device {
  std::string name;  // e.g. a GPU UUID, "0", "0:1", "all"
  ContainerEdits edits;
};

struct Spec {
  std::string kind;  // <vendor>/<class>, e.g. k8s.device-plugin.nvidia.com/gpu
  std::vector<Device> devices;
  ContainerEdits edits;  // applied when any device of the spec is used

  // "gpu" for k8s.device-plugin.nvidia.com/gpu.
  std::string device_class() const { return kind.substr(kind.find('/') + 1); }
  // <vendor>-<class>.json, the file name the plugin writes it under.
  std::string FileName() const;
  std::string ToJson() const;
};

// A fully qualified CDI device name, <vendor>/<class>=<name>.
std::string QualifiedName(const std::string& device_class, const std::string& name);

// CDI's rule for a device name: alphanumerics first and last, with '-', '_', '.' and ':' between.
bool ValidDeviceName(const std::string& name);

}  // namespace nvdp::cdi
