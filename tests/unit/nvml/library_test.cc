#include "nvml/library.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nvml/error.h"
#include "sim_node.h"

namespace nvdp::nvml {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

TEST(LibraryTest, SearchesUpstreamsDirectoriesUnderTheDriverRoot) {
  EXPECT_TRUE(CandidateLibraryPaths("/").empty());
  EXPECT_TRUE(CandidateLibraryPaths("").empty());
  EXPECT_EQ(CandidateLibraryPaths("/driver-root/"),
            (std::vector<std::string>{
                "/driver-root/usr/lib64/libnvidia-ml.so.1",
                "/driver-root/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                "/driver-root/usr/lib/aarch64-linux-gnu/libnvidia-ml.so.1",
                "/driver-root/lib64/libnvidia-ml.so.1",
                "/driver-root/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
                "/driver-root/lib/aarch64-linux-gnu/libnvidia-ml.so.1",
            }));
}

TEST(LibraryTest, ResolvesAbsoluteSymlinksInsideTheRoot) {
  TempDir root;
  fs::create_directories(root.path() / "usr/lib64");
  std::ofstream(root.path() / "usr/lib64/libnvidia-ml.so.550.1") << "x";
  // Points at the host path; inside the container it must be read under the root.
  fs::create_symlink("/usr/lib64/libnvidia-ml.so.550.1",
                     root.path() / "usr/lib64/libnvidia-ml.so.1");
  fs::create_symlink("loop-b", root.path() / "loop-a");
  fs::create_symlink("loop-a", root.path() / "loop-b");

  EXPECT_EQ(ResolveUnderRoot(root.path().string(), root / "usr/lib64/libnvidia-ml.so.1"),
            root / "usr/lib64/libnvidia-ml.so.550.1");
  EXPECT_EQ(ResolveUnderRoot(root.path().string(), root / "missing"), "");
  EXPECT_EQ(ResolveUnderRoot(root.path().string(), root / "loop-a"), "");
}

TEST(LibraryTest, MissingLibraryNamesEveryPlaceTried) {
  if (void* system_nvml = dlopen("libnvidia-ml.so.1", RTLD_LAZY)) {
    dlclose(system_nvml);
    GTEST_SKIP() << "this machine has a real NVML on the loader path";
  }
  TempDir root;
  try {
    Library::Open(root.path().string());
    FAIL() << "expected NvmlError";
  } catch (const NvmlError& error) {
    EXPECT_EQ(error.code(), NVML_ERROR_LIBRARY_NOT_FOUND);
    std::string message = error.what();
    EXPECT_NE(message.find("could not load NVML library"), std::string::npos) << message;
    EXPECT_NE(message.find(root / "usr/lib64/libnvidia-ml.so.1"), std::string::npos) << message;
    EXPECT_NE(message.find("libnvidia-ml.so.1 (dynamic loader search path)"), std::string::npos);
  }
}

TEST(LibraryTest, LoadsTheSimulatorFromTheSimulatedRoot) {
  auto library = Library::Open(testing::SimRoot());
  EXPECT_NE(library->path().find("/libnvidia-ml.so.1"), std::string::npos);
  EXPECT_EQ(library->path().rfind(testing::SimRoot(), 0), 0u) << library->path();
  const Api& api = library->api();
  EXPECT_NE(api.Init, nullptr);
  EXPECT_NE(api.DeviceGetPciInfo, nullptr);
  EXPECT_NE(api.EventSetWait, nullptr);
  EXPECT_NE(api.DeviceGetNvLinkRemotePciInfo, nullptr);
}

TEST(ReturnCodeTest, ParsesNamesAndNumbers) {
  EXPECT_EQ(ParseReturnCode("GPU_IS_LOST"), NVML_ERROR_GPU_IS_LOST);
  EXPECT_EQ(ParseReturnCode("nvml_error_driver_not_loaded"), NVML_ERROR_DRIVER_NOT_LOADED);
  EXPECT_EQ(ParseReturnCode("999"), NVML_ERROR_UNKNOWN);
  EXPECT_EQ(ParseReturnCode("SUCCESS"), NVML_SUCCESS);
  EXPECT_EQ(ParseReturnCode("NOPE"), std::nullopt);
  EXPECT_STREQ(DefaultErrorString(NVML_ERROR_GPU_IS_LOST), "GPU is lost");
}

}  // namespace
}  // namespace nvdp::nvml
