#include "nvml/library.h"

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
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
  for (const char* dir : {"/usr/lib64", "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                          "/lib64", "/usr/local/nvidia/lib64"}) {
    if (fs::exists(std::string(dir) + "/libnvidia-ml.so.1")) {
      GTEST_SKIP() << "this machine has a real NVML in " << dir;
    }
  }
  // In a fresh process: this one may already hold the simulator under the same soname.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  TempDir root;
  EXPECT_EXIT(
      {
        try {
          Library::Open(root.path().string());
        } catch (const NvmlError& error) {
          std::fprintf(stderr, "%s\n", error.what());
          std::exit(error.code());
        }
        std::exit(0);
      },
      ::testing::ExitedWithCode(NVML_ERROR_LIBRARY_NOT_FOUND),
      "could not load NVML library; tried .*/usr/lib64/libnvidia-ml.so.1.* libnvidia-ml.so.1 "
      "\\(dynamic loader search path\\)");
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
