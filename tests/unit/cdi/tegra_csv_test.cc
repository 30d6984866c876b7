// The container toolkit's CSV mount lists on Tegra nodes, parsed as the toolkit parses them.
#include "cdi/tegra_csv.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/fs.h"
#include "temp_dir.h"

namespace nvdp::cdi {
namespace {

TEST(TegraCsvTest, KindsPathsAndWhatIsSkipped) {
  CsvMounts mounts;
  ParseCsvMounts("l4t.csv",
                 "dev, /dev/nvhost-ctrl\n"
                 "  dev,nvmap  \n"
                 "lib, /usr/lib/libcuda.so.1.1, with a comma\n"
                 "sym, /usr/lib/libcuda.so.1\n"
                 "dir, /usr/lib/egl\n"
                 "# a comment\n"
                 "\n"
                 "blob, /x\n"
                 "lib,\n"
                 "dev, /dev/nvhost-ctrl\n",
                 mounts);
  EXPECT_EQ(mounts.devices, (std::vector<std::string>{"/dev/nvhost-ctrl", "/dev/nvmap"}));
  EXPECT_EQ(mounts.libraries, (std::vector<std::string>{"/usr/lib/libcuda.so.1.1, with a comma"}));
  EXPECT_EQ(mounts.symlinks, (std::vector<std::string>{"/usr/lib/libcuda.so.1"}));
  EXPECT_EQ(mounts.directories, (std::vector<std::string>{"/usr/lib/egl"}));
  EXPECT_EQ(mounts.skipped, (std::vector<std::string>{"l4t.csv:8: blob, /x", "l4t.csv:9: lib,"}));
}

TEST(TegraCsvTest, ReadsTheCsvFilesOfTheDirectoryInNameOrder) {
  testing::TempDir root;
  EXPECT_TRUE(ReadCsvMounts(root.path().string()).files.empty());  // no directory: nothing
  const std::filesystem::path dir = root.path() /
                                    "etc/nvidia-container-runtime/"
                                    "host-files-for-container.d";
  std::filesystem::create_directories(dir / "sub.csv");
  std::ofstream(dir / "l4t.CSV") << "lib, /b\n";
  std::ofstream(dir / "devices.csv") << "lib, /a\n";
  std::ofstream(dir / "README") << "lib, /not-read\n";
  const CsvMounts mounts = ReadCsvMounts(root.path().string());
  EXPECT_EQ(mounts.files.size(), 2u);
  EXPECT_EQ(mounts.libraries, (std::vector<std::string>{"/a", "/b"}));
  std::ofstream(dir / "huge.csv") << std::string(2 << 20, '#');
  EXPECT_THROW(ReadCsvMounts(root.path().string()), FsError);
}

}  // namespace
}  // namespace nvdp::cdi
