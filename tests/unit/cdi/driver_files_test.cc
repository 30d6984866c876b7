// Which driver files go into the CDI spec: only the running version's libraries, executables,
// GSP firmware of that version, IPC sockets.
#include "cdi/driver_files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "temp_dir.h"

namespace nvdp::cdi {
namespace {

void File(const std::string& path, mode_t mode = 0644) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "x";
  chmod(path.c_str(), mode);
}

TEST(DriverFilesTest, OnlyTheRunningVersion) {
  testing::TempDir root;
  File(root / "usr/lib/x86_64-linux-gnu/libcuda.so.550.127.05");
  File(root / "usr/lib/x86_64-linux-gnu/libcuda.so.535.183.01");
  File(root / "usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.550.127.05");
  File(root / "usr/lib/x86_64-linux-gnu/libnvidia-nvvm70.so.4");
  File(root / "usr/lib/x86_64-linux-gnu/libfoo.so.1");
  File(root / "usr/bin/nvidia-smi", 0755);
  File(root / "usr/bin/nvidia-debugdump", 0644);  // not executable: left out
  File(root / "usr/local/nvidia/bin/nvidia-imex", 0755);
  File(root / "lib/firmware/nvidia/550.127.05/gsp_ga10x.bin");
  File(root / "lib/firmware/nvidia/535.183.01/gsp_tu10x.bin");
  File(root / "run/nvidia-persistenced/socket");
  DriverFiles files = FindDriverFiles(root.path().string(), "550.127.05");
  EXPECT_EQ(files.libraries, (std::vector<std::string>{
                                 "/usr/lib/x86_64-linux-gnu/libcuda.so.550.127.05",
                                 "/usr/lib/x86_64-linux-gnu/libnvidia-nvvm70.so.4",
                                 "/usr/lib/x86_64-linux-gnu/vdpau/libvdpau_nvidia.so.550.127.05"}));
  EXPECT_EQ(files.binaries,
            (std::vector<std::string>{"/usr/bin/nvidia-smi", "/usr/local/nvidia/bin/nvidia-imex"}));
  EXPECT_EQ(files.firmware,
            (std::vector<std::string>{"/lib/firmware/nvidia/550.127.05/gsp_ga10x.bin"}));
  EXPECT_EQ(files.ipc, (std::vector<std::string>{"/run/nvidia-persistenced/socket"}));
  EXPECT_EQ(
      files.LibraryDirectories(),
      (std::vector<std::string>{"/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/vdpau"}));
}

// Each socket once, /run before /var/run (which may be a separate directory under a driver
// root), then the MPS pipe directory.
TEST(DriverFilesTest, SocketsUnderRunBeforeVarRun) {
  testing::TempDir root;
  File(root / "run/nvidia-persistenced/socket");
  File(root / "var/run/nvidia-persistenced/socket");
  File(root / "var/run/nvidia-fabricmanager/socket");
  std::filesystem::create_directories(root / "tmp/nvidia-mps");
  DriverFiles files = FindDriverFiles(root.path().string(), "550.127.05");
  EXPECT_EQ(files.ipc,
            (std::vector<std::string>{"/run/nvidia-persistenced/socket",
                                      "/var/run/nvidia-fabricmanager/socket", "/tmp/nvidia-mps"}));
}

TEST(DriverFilesTest, NothingUnderAnEmptyRoot) {
  testing::TempDir root;
  DriverFiles files = FindDriverFiles(root.path().string(), "550.127.05");
  EXPECT_TRUE(files.libraries.empty());
  EXPECT_TRUE(files.binaries.empty());
  EXPECT_TRUE(files.ipc.empty());
}

}  // namespace
}  // namespace nvdp::cdi
