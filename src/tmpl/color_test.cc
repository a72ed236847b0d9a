// Colour syntax: every form TEMPLATE-FORMAT.md allows parses to the colour a browser shows, and
// near misses are refused rather than guessed.
#include "tmpl/color.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace vg::tmpl {
namespace {

void ExpectColor(std::string_view text, double r, double g, double b, double a) {
  auto color = ParseColor(text);
  ASSERT_TRUE(color.has_value()) << text;
  EXPECT_NEAR(color->r, r, 1e-9) << text;
  EXPECT_NEAR(color->g, g, 1e-9) << text;
  EXPECT_NEAR(color->b, b, 1e-9) << text;
  EXPECT_NEAR(color->a, a, 1e-9) << text;
}

TEST(ColorTest, HexForms) {
  ExpectColor("#fff", 1, 1, 1, 1);
  ExpectColor("#f00", 1, 0, 0, 1);
  ExpectColor("#0b1020", 0x0b / 255.0, 0x10 / 255.0, 0x20 / 255.0, 1);
  ExpectColor("#FF000080", 1, 0, 0, 0x80 / 255.0);
  ExpectColor("#f008", 1, 0, 0, 0x88 / 255.0);
  ExpectColor("  #00ff00  ", 0, 1, 0, 1);
}

TEST(ColorTest, RgbFunctions) {
  ExpectColor("rgb(255, 0, 0)", 1, 0, 0, 1);
  ExpectColor("rgba(11,16,32,0.72)", 11 / 255.0, 16 / 255.0, 32 / 255.0, 0.72);
  ExpectColor("rgb(100%, 50%, 0%)", 1, 0.5, 0, 1);
  ExpectColor("rgba(0, 0, 255, 50%)", 0, 0, 1, 0.5);
  ExpectColor("RGB(0,0,0)", 0, 0, 0, 1);
  ExpectColor("rgb(255 128 0 / 0.25)", 1, 128 / 255.0, 0, 0.25);
  ExpectColor("rgba(0,0,0,0)", 0, 0, 0, 0);
  ExpectColor("rgb(12.5, 0, 0)", 12.5 / 255.0, 0, 0, 1);
}

TEST(ColorTest, NamedColors) {
  ExpectColor("red", 1, 0, 0, 1);
  ExpectColor("RebeccaPurple", 0x66 / 255.0, 0x33 / 255.0, 0x99 / 255.0, 1);
  ExpectColor("lightgoldenrodyellow", 0xfa / 255.0, 0xfa / 255.0, 0xd2 / 255.0, 1);
  ExpectColor("grey", 0x80 / 255.0, 0x80 / 255.0, 0x80 / 255.0, 1);
  ExpectColor("orange", 1, 0xa5 / 255.0, 0, 1);
  ExpectColor("transparent", 0, 0, 0, 0);
}

TEST(ColorTest, AllCssNamesParseAndAreSorted) {
  auto names = ColorNames();
  ASSERT_EQ(names.size(), 149u);  // 148 CSS keywords + transparent
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end() - 1));
  for (std::string_view name : names) EXPECT_TRUE(ParseColor(name).has_value()) << name;
}

TEST(ColorTest, RefusesMalformedColors) {
  for (std::string_view bad :
       {"", "#", "#ggg", "#12345", "#1234567", "fff", "rgb(300,0,0)", "rgb(-1,0,0)",
        "rgba(0,0,0,2)", "rgba(0,0,0,150%)", "rgb(0,0)", "rgb(0,0,0,0,0)", "rgb(1,2,3",
        "rgb(a,b,c)", "blu", "red blue", "hsl(0, 100%, 50%)", "rgb(1 2 3 / )"}) {
    EXPECT_FALSE(ParseColor(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace vg::tmpl
