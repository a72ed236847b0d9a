// Local asset files: resolution against the base folder, confinement against ".." and
// symlink escapes, non-regular files, and the size limit.
#include "assets/local_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace vg::assets {
namespace {

namespace fs = std::filesystem;

class LocalFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "vg-local-file-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    base_ = root_ / "assets";
    fs::create_directories(base_ / "sub");
    fs::create_directories(root_ / "outside");
    Write(base_ / "a.txt", "0123456789");
    Write(base_ / "sub" / "b.txt", "bee");
    Write(root_ / "outside" / "secret.txt", "secret");
    fs::create_symlink("../outside/secret.txt", base_ / "escape");
    fs::create_symlink("../outside", base_ / "escape_dir");
    fs::create_symlink("sub/b.txt", base_ / "inside");
    fs::create_symlink("assets", root_ / "assets_link");
    ASSERT_EQ(mkfifo((base_ / "pipe").c_str(), 0600), 0);
  }
  void TearDown() override { fs::remove_all(root_); }

  static void Write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::binary) << text;
  }

  LocalFileOptions Options(bool confine) const {
    LocalFileOptions options;
    options.base_dir = base_.string();
    options.confine_to_base_dir = confine;
    return options;
  }

  fs::path root_;
  fs::path base_;
};

TEST_F(LocalFileTest, RelativePathsResolveAgainstTheBaseFolder) {
  Result<std::string> bytes = ReadLocalFile("a.txt", Options(true));
  ASSERT_TRUE(bytes.ok()) << bytes.error().ToString();
  EXPECT_EQ(*bytes, "0123456789");
  Result<std::string> nested = ReadLocalFile("sub/../sub/b.txt", Options(true));
  ASSERT_TRUE(nested.ok()) << nested.error().ToString();
  EXPECT_EQ(*nested, "bee");
  Result<std::string> absolute = ReadLocalFile((base_ / "a.txt").string(), Options(true));
  EXPECT_TRUE(absolute.ok());
}

TEST_F(LocalFileTest, DotDotEscapeRefusedWhenConfined) {
  for (const std::string& src :
       std::vector<std::string>{"../outside/secret.txt", "sub/../../outside/secret.txt",
                                (root_ / "outside" / "secret.txt").string(), "/etc/passwd"}) {
    Result<std::string> bytes = ReadLocalFile(src, Options(true));
    ASSERT_FALSE(bytes.ok()) << src;
    EXPECT_EQ(bytes.error().code(), ErrorCode::kAssetUnavailable);
    EXPECT_EQ(bytes.error().message(), "path leaves the asset folder") << src;
  }
  // Without confinement (the CLI) the same path is fine.
  Result<std::string> free = ReadLocalFile("../outside/secret.txt", Options(false));
  ASSERT_TRUE(free.ok());
  EXPECT_EQ(*free, "secret");
}

TEST_F(LocalFileTest, SymlinkEscapeRefusedWhenConfined) {
  for (const char* src : {"escape", "escape_dir/secret.txt"}) {
    Result<std::string> bytes = ReadLocalFile(src, Options(true));
    ASSERT_FALSE(bytes.ok()) << src;
    EXPECT_EQ(bytes.error().message(), "path leaves the asset folder");
  }
  Result<std::string> inside = ReadLocalFile("inside", Options(true));
  ASSERT_TRUE(inside.ok()) << inside.error().ToString();
  EXPECT_EQ(*inside, "bee");
}

TEST_F(LocalFileTest, BaseFolderReachedThroughASymlinkStillWorks) {
  LocalFileOptions options = Options(true);
  options.base_dir = (root_ / "assets_link").string();
  Result<std::string> path = CheckLocalFile("a.txt", options);
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  EXPECT_EQ(*path, fs::canonical(base_ / "a.txt").string());
  EXPECT_FALSE(CheckLocalFile("../outside/secret.txt", options).ok());
}

TEST_F(LocalFileTest, MissingFile) {
  Result<std::string> bytes = ReadLocalFile("nope.png", Options(true));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().message(), "file not found");
  EXPECT_EQ(ReadLocalFile("nope.png", Options(false)).error().message(), "file not found");
}

TEST_F(LocalFileTest, NonRegularFilesAreRefusedWithoutBlocking) {
  const auto start = std::chrono::steady_clock::now();
  for (const char* src : {"pipe", "sub", "."}) {
    Result<std::string> bytes = ReadLocalFile(src, Options(false));
    ASSERT_FALSE(bytes.ok()) << src;
    EXPECT_EQ(bytes.error().message(), "not a regular file") << src;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_FALSE(ReadLocalFile("/dev/zero", Options(false)).ok());
}

TEST_F(LocalFileTest, SizeLimitCheckedBeforeReading) {
  LocalFileOptions options = Options(true);
  options.max_bytes = 9;
  Result<std::string> bytes = ReadLocalFile("a.txt", options);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.error().code(), ErrorCode::kLimitExceeded);
  EXPECT_EQ(bytes.error().message(), "larger than 9 bytes");
  options.max_bytes = 10;
  EXPECT_TRUE(ReadLocalFile("a.txt", options).ok());
}

}  // namespace
}  // namespace vg::assets
