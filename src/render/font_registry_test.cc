// FontRegistry: unusable template fonts are refused with asset_unavailable at their JSON
// paths (every bad one at once), good ones are registered, and font maps are pooled.
#include "render/font_registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vg::render {
namespace {

class TempFile {
 public:
  explicit TempFile(const std::string& name, const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              ("vg_font_registry_test_" + std::to_string(::getpid()) + "_" + name)) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST(FontRegistryTest, CreatesWithTheSystemFontsAlone) {
  auto registry = FontRegistry::Create({});
  ASSERT_TRUE(registry.ok()) << registry.error().ToString();
  EXPECT_TRUE((*registry)->template_families().empty());
  FontRegistry::Lease lease = (*registry)->AcquireFontMap();
  EXPECT_NE(lease.font_map(), nullptr);
}

TEST(FontRegistryTest, RefusesAFileThatIsNotAFont) {
  TempFile junk("junk.ttf", "this is not a font file at all");
  auto registry = FontRegistry::Create({{"Brand Sans", junk.path(), "fonts[0]"}});
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().code(), ErrorCode::kAssetUnavailable);
  ASSERT_EQ(registry.error().details().size(), 1u);
  EXPECT_EQ(registry.error().details()[0].path, "fonts[0]");
  EXPECT_NE(registry.error().message().find("Brand Sans"), std::string::npos);
  // The client's message does not reveal the server's file system.
  EXPECT_EQ(registry.error().message().find(junk.path()), std::string::npos);
}

TEST(FontRegistryTest, ReportsEveryUnusableFontAtOnce) {
  TempFile empty("empty.otf", "");
  auto registry = FontRegistry::Create(
      {{"A", empty.path(), "fonts[0]"}, {"B", "/nonexistent/vg/font.ttf", "fonts[1]"}});
  ASSERT_FALSE(registry.ok());
  EXPECT_EQ(registry.error().code(), ErrorCode::kAssetUnavailable);
  ASSERT_EQ(registry.error().details().size(), 2u);
  EXPECT_EQ(registry.error().details()[0].path, "fonts[0]");
  EXPECT_EQ(registry.error().details()[1].path, "fonts[1]");
}

TEST(FontRegistryTest, PoolsFontMapsBetweenLeases) {
  auto registry = FontRegistry::Create({});
  ASSERT_TRUE(registry.ok());
  PangoFontMap* first = nullptr;
  PangoFontMap* second = nullptr;
  {
    FontRegistry::Lease a = (*registry)->AcquireFontMap();
    FontRegistry::Lease b = (*registry)->AcquireFontMap();
    first = a.font_map();
    second = b.font_map();
    EXPECT_NE(first, second);  // never shared between two holders at once
  }
  // Returned maps are lent again (with their loaded fonts) rather than created anew.
  FontRegistry::Lease again = (*registry)->AcquireFontMap();
  EXPECT_TRUE(again.font_map() == first || again.font_map() == second);
  FontRegistry::Lease moved = std::move(again);
  EXPECT_TRUE(moved.font_map() == first || moved.font_map() == second);
}

}  // namespace
}  // namespace vg::render
