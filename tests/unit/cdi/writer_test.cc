// Spec files: written whole with mode 0644, stale ones of this vendor removed, others kept.
#include "cdi/writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "temp_dir.h"

namespace nvdp::cdi {
namespace {

Spec Named(const std::string& device_class) {
  Spec spec;
  spec.kind = std::string(kVendor) + "/" + device_class;
  spec.devices.push_back({"all", {}});
  return spec;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(CdiWriterTest, WritesAndRemovesStaleSpecsOfThisVendorOnly) {
  testing::TempDir dir;
  const std::string cdi = dir / "cdi";
  WriteSpecs(cdi, {Named("gpu"), Named("gdrcopy")});
  std::ofstream(cdi + "/nvidia.com-gpu.json") << "{}";  // another vendor's
  EXPECT_EQ(Read(cdi + "/k8s.device-plugin.nvidia.com-gpu.json"), Named("gpu").ToJson());
  struct stat info {};
  ASSERT_EQ(stat((cdi + "/k8s.device-plugin.nvidia.com-gpu.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);

  std::vector<std::string> written = WriteSpecs(cdi, {Named("gpu")});
  EXPECT_EQ(written, (std::vector<std::string>{cdi + "/k8s.device-plugin.nvidia.com-gpu.json"}));
  EXPECT_FALSE(std::filesystem::exists(cdi + "/k8s.device-plugin.nvidia.com-gdrcopy.json"));
  EXPECT_TRUE(std::filesystem::exists(cdi + "/nvidia.com-gpu.json"));
  EXPECT_FALSE(std::filesystem::exists(cdi + "/k8s.device-plugin.nvidia.com-gpu.json.tmp"));
}

TEST(CdiWriterTest, AnUnwritableDirectoryIsAnErrorNamingIt) {
  testing::TempDir dir;
  std::ofstream(dir / "file");
  try {
    WriteSpecs(dir / "file/cdi", {Named("gpu")});
    ADD_FAILURE() << "wrote";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find(dir / "file/cdi"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nvdp::cdi
