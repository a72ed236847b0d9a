// CSS colour parsing (color.h). The named colours are CSS Color Module 4's 148 keywords.
#include "tmpl/color.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <string>
#include <vector>

namespace vg::tmpl {
namespace {

struct NamedColor {
  std::string_view name;
  uint32_t rgb;
};

// Alphabetical, so lookups can binary-search.
constexpr NamedColor kNamedColors[] = {{"aliceblue", 0xf0f8ff},
                                       {"antiquewhite", 0xfaebd7},
                                       {"aqua", 0x00ffff},
                                       {"aquamarine", 0x7fffd4},
                                       {"azure", 0xf0ffff},
                                       {"beige", 0xf5f5dc},
                                       {"bisque", 0xffe4c4},
                                       {"black", 0x000000},
                                       {"blanchedalmond", 0xffebcd},
                                       {"blue", 0x0000ff},
                                       {"blueviolet", 0x8a2be2},
                                       {"brown", 0xa52a2a},
                                       {"burlywood", 0xdeb887},
                                       {"cadetblue", 0x5f9ea0},
                                       {"chartreuse", 0x7fff00},
                                       {"chocolate", 0xd2691e},
                                       {"coral", 0xff7f50},
                                       {"cornflowerblue", 0x6495ed},
                                       {"cornsilk", 0xfff8dc},
                                       {"crimson", 0xdc143c},
                                       {"cyan", 0x00ffff},
                                       {"darkblue", 0x00008b},
                                       {"darkcyan", 0x008b8b},
                                       {"darkgoldenrod", 0xb8860b},
                                       {"darkgray", 0xa9a9a9},
                                       {"darkgreen", 0x006400},
                                       {"darkgrey", 0xa9a9a9},
                                       {"darkkhaki", 0xbdb76b},
                                       {"darkmagenta", 0x8b008b},
                                       {"darkolivegreen", 0x556b2f},
                                       {"darkorange", 0xff8c00},
                                       {"darkorchid", 0x9932cc},
                                       {"darkred", 0x8b0000},
                                       {"darksalmon", 0xe9967a},
                                       {"darkseagreen", 0x8fbc8f},
                                       {"darkslateblue", 0x483d8b},
                                       {"darkslategray", 0x2f4f4f},
                                       {"darkslategrey", 0x2f4f4f},
                                       {"darkturquoise", 0x00ced1},
                                       {"darkviolet", 0x9400d3},
                                       {"deeppink", 0xff1493},
                                       {"deepskyblue", 0x00bfff},
                                       {"dimgray", 0x696969},
                                       {"dimgrey", 0x696969},
                                       {"dodgerblue", 0x1e90ff},
                                       {"firebrick", 0xb22222},
                                       {"floralwhite", 0xfffaf0},
                                       {"forestgreen", 0x228b22},
                                       {"fuchsia", 0xff00ff},
                                       {"gainsboro", 0xdcdcdc},
                                       {"ghostwhite", 0xf8f8ff},
                                       {"gold", 0xffd700},
                                       {"goldenrod", 0xdaa520},
                                       {"gray", 0x808080},
                                       {"green", 0x008000},
                                       {"greenyellow", 0xadff2f},
                                       {"grey", 0x808080},
                                       {"honeydew", 0xf0fff0},
                                       {"hotpink", 0xff69b4},
                                       {"indianred", 0xcd5c5c},
                                       {"indigo", 0x4b0082},
                                       {"ivory", 0xfffff0},
                                       {"khaki", 0xf0e68c},
                                       {"lavender", 0xe6e6fa},
                                       {"lavenderblush", 0xfff0f5},
                                       {"lawngreen", 0x7cfc00},
                                       {"lemonchiffon", 0xfffacd},
                                       {"lightblue", 0xadd8e6},
                                       {"lightcoral", 0xf08080},
                                       {"lightcyan", 0xe0ffff},
                                       {"lightgoldenrodyellow", 0xfafad2},
                                       {"lightgray", 0xd3d3d3},
                                       {"lightgreen", 0x90ee90},
                                       {"lightgrey", 0xd3d3d3},
                                       {"lightpink", 0xffb6c1},
                                       {"lightsalmon", 0xffa07a},
                                       {"lightseagreen", 0x20b2aa},
                                       {"lightskyblue", 0x87cefa},
                                       {"lightslategray", 0x778899},
                                       {"lightslategrey", 0x778899},
                                       {"lightsteelblue", 0xb0c4de},
                                       {"lightyellow", 0xffffe0},
                                       {"lime", 0x00ff00},
                                       {"limegreen", 0x32cd32},
                                       {"linen", 0xfaf0e6},
                                       {"magenta", 0xff00ff},
                                       {"maroon", 0x800000},
                                       {"mediumaquamarine", 0x66cdaa},
                                       {"mediumblue", 0x0000cd},
                                       {"mediumorchid", 0xba55d3},
                                       {"mediumpurple", 0x9370db},
                                       {"mediumseagreen", 0x3cb371},
                                       {"mediumslateblue", 0x7b68ee},
                                       {"mediumspringgreen", 0x00fa9a},
                                       {"mediumturquoise", 0x48d1cc},
                                       {"mediumvioletred", 0xc71585},
                                       {"midnightblue", 0x191970},
                                       {"mintcream", 0xf5fffa},
                                       {"mistyrose", 0xffe4e1},
                                       {"moccasin", 0xffe4b5},
                                       {"navajowhite", 0xffdead},
                                       {"navy", 0x000080},
                                       {"oldlace", 0xfdf5e6},
                                       {"olive", 0x808000},
                                       {"olivedrab", 0x6b8e23},
                                       {"orange", 0xffa500},
                                       {"orangered", 0xff4500},
                                       {"orchid", 0xda70d6},
                                       {"palegoldenrod", 0xeee8aa},
                                       {"palegreen", 0x98fb98},
                                       {"paleturquoise", 0xafeeee},
                                       {"palevioletred", 0xdb7093},
                                       {"papayawhip", 0xffefd5},
                                       {"peachpuff", 0xffdab9},
                                       {"peru", 0xcd853f},
                                       {"pink", 0xffc0cb},
                                       {"plum", 0xdda0dd},
                                       {"powderblue", 0xb0e0e6},
                                       {"purple", 0x800080},
                                       {"rebeccapurple", 0x663399},
                                       {"red", 0xff0000},
                                       {"rosybrown", 0xbc8f8f},
                                       {"royalblue", 0x4169e1},
                                       {"saddlebrown", 0x8b4513},
                                       {"salmon", 0xfa8072},
                                       {"sandybrown", 0xf4a460},
                                       {"seagreen", 0x2e8b57},
                                       {"seashell", 0xfff5ee},
                                       {"sienna", 0xa0522d},
                                       {"silver", 0xc0c0c0},
                                       {"skyblue", 0x87ceeb},
                                       {"slateblue", 0x6a5acd},
                                       {"slategray", 0x708090},
                                       {"slategrey", 0x708090},
                                       {"snow", 0xfffafa},
                                       {"springgreen", 0x00ff7f},
                                       {"steelblue", 0x4682b4},
                                       {"tan", 0xd2b48c},
                                       {"teal", 0x008080},
                                       {"thistle", 0xd8bfd8},
                                       {"tomato", 0xff6347},
                                       {"turquoise", 0x40e0d0},
                                       {"violet", 0xee82ee},
                                       {"wheat", 0xf5deb3},
                                       {"white", 0xffffff},
                                       {"whitesmoke", 0xf5f5f5},
                                       {"yellow", 0xffff00},
                                       {"yellowgreen", 0x9acd32}};

constexpr std::array<std::string_view, std::size(kNamedColors) + 1> MakeNames() {
  std::array<std::string_view, std::size(kNamedColors) + 1> names{};
  for (size_t i = 0; i < std::size(kNamedColors); ++i) names[i] = kNamedColors[i].name;
  names[std::size(kNamedColors)] = "transparent";
  return names;
}
constexpr auto kColorNames = MakeNames();

Color FromRgb(uint32_t rgb, double alpha = 1) {
  return Color{((rgb >> 16) & 0xFF) / 255.0, ((rgb >> 8) & 0xFF) / 255.0, (rgb & 0xFF) / 255.0,
               alpha};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<Color> ParseHex(std::string_view hex) {
  std::vector<int> digits;
  for (char c : hex) {
    int d = HexDigit(c);
    if (d < 0) return std::nullopt;
    digits.push_back(d);
  }
  auto pair = [&](size_t i) { return (digits[i] * 16 + digits[i + 1]) / 255.0; };
  auto single = [&](size_t i) { return (digits[i] * 17) / 255.0; };
  switch (digits.size()) {
    case 3:
      return Color{single(0), single(1), single(2), 1};
    case 4:
      return Color{single(0), single(1), single(2), single(3)};
    case 6:
      return Color{pair(0), pair(2), pair(4), 1};
    case 8:
      return Color{pair(0), pair(2), pair(4), pair(6)};
    default:
      return std::nullopt;
  }
}

// One channel: "255" → 1.0 (with `scale` 255), "50%" → 0.5; nullopt when out of range.
std::optional<double> ParseChannel(std::string_view text, double scale) {
  text = Trim(text);
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  double limit = percent ? 100.0 : scale;
  if (!(value >= 0 && value <= limit)) return std::nullopt;
  return value / limit;
}

std::optional<Color> ParseRgbFunction(std::string_view inner) {
  std::vector<std::string_view> parts;
  std::optional<std::string_view> alpha_part;
  if (inner.find(',') != std::string_view::npos) {
    size_t begin = 0;
    while (true) {
      size_t comma = inner.find(',', begin);
      parts.push_back(inner.substr(begin, comma - begin));
      if (comma == std::string_view::npos) break;
      begin = comma + 1;
    }
    if (parts.size() == 4) {
      alpha_part = parts[3];
      parts.pop_back();
    }
  } else {
    // CSS Color 4 space syntax: "r g b" or "r g b / a".
    size_t slash = inner.find('/');
    if (slash != std::string_view::npos) {
      alpha_part = inner.substr(slash + 1);
      inner = inner.substr(0, slash);
    }
    size_t i = 0;
    while (i < inner.size()) {
      while (i < inner.size() && (inner[i] == ' ' || inner[i] == '\t')) ++i;
      size_t start = i;
      while (i < inner.size() && inner[i] != ' ' && inner[i] != '\t') ++i;
      if (i > start) parts.push_back(inner.substr(start, i - start));
    }
  }
  if (parts.size() != 3) return std::nullopt;
  Color color;
  double* channels[] = {&color.r, &color.g, &color.b};
  for (size_t i = 0; i < 3; ++i) {
    auto value = ParseChannel(parts[i], 255.0);
    if (!value) return std::nullopt;
    *channels[i] = *value;
  }
  if (alpha_part) {
    auto alpha = ParseChannel(*alpha_part, 1.0);
    if (!alpha) return std::nullopt;
    color.a = *alpha;
  }
  return color;
}

}  // namespace

std::optional<Color> ParseColor(std::string_view text) {
  text = Trim(text);
  if (text.empty() || text.size() > 64) return std::nullopt;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; });
  std::string_view s = lower;
  if (s.front() == '#') return ParseHex(s.substr(1));
  for (std::string_view prefix : {std::string_view("rgba("), std::string_view("rgb(")}) {
    if (s.substr(0, prefix.size()) == prefix) {
      if (s.back() != ')') return std::nullopt;
      return ParseRgbFunction(s.substr(prefix.size(), s.size() - prefix.size() - 1));
    }
  }
  if (s == "transparent") return Color{0, 0, 0, 0};
  auto it = std::lower_bound(std::begin(kNamedColors), std::end(kNamedColors), s,
                             [](const NamedColor& c, std::string_view n) { return c.name < n; });
  if (it != std::end(kNamedColors) && it->name == s) return FromRgb(it->rgb);
  return std::nullopt;
}

std::span<const std::string_view> ColorNames() { return kColorNames; }

}  // namespace vg::tmpl
