// Bounded reads and atomic writes (common/fs).
#include "common/fs.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace nvdp {
namespace {

namespace fs = std::filesystem;

class FsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("nvdp-fs-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(FsTest, AtomicWritesCreateTheDirectoryReplaceTheFileAndLeaveNoTemporary) {
  const std::string path = (dir_ / "sub" / "out.json").string();
  WriteFileAtomically(path, "first");
  WriteFileAtomically(path, "second", 0600);
  EXPECT_EQ(ReadBoundedFile(path, 100, "test"), "second");
  struct stat info {};
  ASSERT_EQ(stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_ / "sub")) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST_F(FsTest, AFailedWriteNamesThePathAndTheStep) {
  fs::create_directories(dir_ / "blocker");
  std::ofstream(dir_ / "file") << "x";
  try {
    WriteFileAtomically((dir_ / "file" / "below").string(), "text");  // a file is no directory
    FAIL() << "no error";
  } catch (const FsError& error) {
    EXPECT_NE(std::string(error.what()).find("cannot write " + (dir_ / "file" / "below").string()),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(WriteFileAtomically((dir_ / "blocker").string(), "text"), FsError);  // a directory
  EXPECT_TRUE(fs::is_directory(dir_ / "blocker"));
}

TEST_F(FsTest, AttributesAreReadOrAbsent) {
  std::ofstream(dir_ / "numa_node") << "1\n";
  EXPECT_EQ(ReadAttribute((dir_ / "numa_node").string()), "1\n");
  EXPECT_FALSE(ReadAttribute((dir_ / "missing").string()));
  EXPECT_FALSE(ReadAttribute(dir_.string()));        // a directory
  EXPECT_TRUE(ReadAttribute("/proc/self/cmdline"));  // procfs reports size 0 and is still read
  EXPECT_FALSE(ReadAttribute("/proc/self/cmdline")->empty());
}

}  // namespace
}  // namespace nvdp
