// IMEX channels exist when their node is a character device, under the driver root's /dev or
// this container's.
#include "plugin/allocate/imex.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "resource/resource.h"
#include "temp_dir.h"

namespace nvdp::plugin {
namespace {

TEST(ImexTest, AChannelThatIsACharacterDeviceExists) {
  testing::TempDir root;
  std::filesystem::create_directories(root / "dev/nvidia-caps-imex-channels");
  ASSERT_EQ(symlink("/dev/null", (root / "dev/nvidia-caps-imex-channels/channel0").c_str()), 0);
  std::vector<std::string> warnings;
  EXPECT_EQ(ExistingImexChannels({0}, true, root.path().string(), &warnings),
            (std::vector<std::string>{"0"}));
  EXPECT_TRUE(warnings.empty());
}

TEST(ImexTest, AMissingChannelIsSkippedOrFatal) {
  testing::TempDir root;
  std::filesystem::create_directories(root / "dev/nvidia-caps-imex-channels");
  std::ofstream(root / "dev/nvidia-caps-imex-channels/channel0");  // a file, not a device
  std::vector<std::string> warnings;
  EXPECT_TRUE(ExistingImexChannels({0}, false, root.path().string(), &warnings).empty());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("channel0"), std::string::npos);
  try {
    ExistingImexChannels({0}, true, root.path().string(), &warnings);
    ADD_FAILURE() << "accepted";
  } catch (const ResourceError& error) {
    EXPECT_STREQ(error.what(), "requested IMEX channel channel0 does not exist");
  }
}

TEST(ImexTest, NoIdsNoChannels) {
  std::vector<std::string> warnings;
  EXPECT_TRUE(ExistingImexChannels({}, true, "/", &warnings).empty());
}

}  // namespace
}  // namespace nvdp::plugin
