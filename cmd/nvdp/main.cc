// nvdp: the five programs in one binary, for the container image (one copy of gRPC, OpenSSL and
// libstdc++ instead of four). The program is chosen by the name it is called by
// (/usr/bin/nvidia-device-plugin -> nvdp), or by the first argument: `nvdp config-manager ...`.
#include <cstdio>
#include <cstring>
#include <string>

int NvidiaDevicePluginMain(int argc, char** argv);
int GpuFeatureDiscoveryMain(int argc, char** argv);
int ConfigManagerMain(int argc, char** argv);
int MpsControlDaemonMain(int argc, char** argv);
int GpuKubeletPluginMain(int argc, char** argv);

namespace {

using Entry = int (*)(int, char**);

Entry Find(const std::string& name) {
  if (name == "nvidia-device-plugin") return NvidiaDevicePluginMain;
  if (name == "gpu-feature-discovery") return GpuFeatureDiscoveryMain;
  if (name == "config-manager") return ConfigManagerMain;
  if (name == "mps-control-daemon") return MpsControlDaemonMain;
  if (name == "gpu-kubelet-plugin") return GpuKubeletPluginMain;
  return nullptr;
}

std::string BaseName(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

}  // namespace

int main(int argc, char** argv) {
  if (Entry entry = Find(BaseName(argv[0]))) return entry(argc, argv);
  if (argc >= 2) {
    if (Entry entry = Find(argv[1])) return entry(argc - 1, argv + 1);
  }
  std::fprintf(stderr,
               "usage: nvdp <program> [flags]  (or call it as one of the programs)\n"
               "programs: nvidia-device-plugin, gpu-feature-discovery, config-manager, "
               "mps-control-daemon, gpu-kubelet-plugin\n");
  return 2;
}
