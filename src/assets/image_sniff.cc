// Format magic and header layouts:
//   PNG  89 50 4E 47 0D 0A 1A 0A, then the IHDR chunk (width, height as big-endian u32).
//   JPEG FF D8 FF, then marker segments up to a SOFn (height, width as big-endian u16);
//        APP1 "Exif" carries the orientation (TIFF IFD0 tag 0x0112).
//   GIF  "GIF87a"/"GIF89a", then the logical screen (width, height as little-endian u16).
//   WebP "RIFF" size "WEBP", then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk.
#include "assets/image_sniff.h"

#include <cctype>
#include <cstring>
#include <string>

namespace vg::assets {
namespace {

Status NotAnImage(std::string_view reason) {
  return Error(ErrorCode::kAssetUnavailable, "not a supported image (" + std::string(reason) + ")");
}

bool StartsWith(std::string_view bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && bytes.substr(0, prefix.size()) == prefix;
}

uint32_t U8(std::string_view b, size_t i) { return static_cast<unsigned char>(b[i]); }
uint32_t Be16(std::string_view b, size_t i) { return (U8(b, i) << 8) | U8(b, i + 1); }
uint32_t Le16(std::string_view b, size_t i) { return U8(b, i) | (U8(b, i + 1) << 8); }
uint32_t Be32(std::string_view b, size_t i) { return (Be16(b, i) << 16) | Be16(b, i + 2); }
uint32_t Le24(std::string_view b, size_t i) { return Le16(b, i) | (U8(b, i + 2) << 16); }
uint32_t Le32(std::string_view b, size_t i) { return Le16(b, i) | (Le16(b, i + 2) << 16); }

constexpr std::string_view kPngSignature("\x89PNG\r\n\x1a\n", 8);

Result<ImageHeader> SniffPng(std::string_view b) {
  // Signature (8), IHDR length (4) and type (4), width (4), height (4).
  if (b.size() < 24 || Be32(b, 8) != 13 || b.substr(12, 4) != "IHDR") {
    return NotAnImage("truncated PNG header");
  }
  ImageHeader header;
  header.format = ImageFormat::kPng;
  header.width = Be32(b, 16);
  header.height = Be32(b, 20);
  if (header.width == 0 || header.height == 0) return NotAnImage("PNG with zero size");
  return header;
}

// EXIF orientation from an APP1 payload ("Exif\0\0" + TIFF); 1 when absent or invalid.
int ExifOrientation(std::string_view app1) {
  if (app1.size() < 14 || app1.substr(0, 6) != std::string_view("Exif\0\0", 6)) return 1;
  const std::string_view tiff = app1.substr(6);
  bool little = false;
  if (tiff.substr(0, 2) == "II") {
    little = true;
  } else if (tiff.substr(0, 2) != "MM") {
    return 1;
  }
  auto u16 = [&](size_t i) { return little ? Le16(tiff, i) : Be16(tiff, i); };
  auto u32 = [&](size_t i) { return little ? Le32(tiff, i) : Be32(tiff, i); };
  if (u16(2) != 42) return 1;
  const size_t ifd = u32(4);
  if (ifd + 2 > tiff.size()) return 1;
  const size_t count = u16(ifd);
  for (size_t entry = 0; entry < count; ++entry) {
    const size_t at = ifd + 2 + entry * 12;
    if (at + 12 > tiff.size()) return 1;
    if (u16(at) == 0x0112 && u16(at + 2) == 3 /* SHORT */) {
      const uint32_t value = u16(at + 8);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

bool IsStartOfFrame(uint32_t marker) {
  return marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
}

Result<ImageHeader> SniffJpeg(std::string_view b) {
  ImageHeader header;
  header.format = ImageFormat::kJpeg;
  size_t at = 2;  // after SOI
  while (at < b.size()) {
    if (U8(b, at) != 0xff) return NotAnImage("corrupt JPEG header");
    while (at < b.size() && U8(b, at) == 0xff) ++at;  // fill bytes
    if (at >= b.size()) break;
    const uint32_t marker = U8(b, at++);
    if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;  // no length
    if (marker == 0xd9 || marker == 0xda) break;  // EOI or SOS before any frame header
    if (at + 2 > b.size()) break;
    const size_t length = Be16(b, at);
    if (length < 2 || at + length > b.size()) break;
    const std::string_view segment = b.substr(at + 2, length - 2);
    if (marker == 0xe1 && header.orientation == 1) header.orientation = ExifOrientation(segment);
    if (IsStartOfFrame(marker)) {
      if (segment.size() < 5) break;
      header.height = Be16(segment, 1);
      header.width = Be16(segment, 3);
      header.frame_header_end = static_cast<int64_t>(at + length);
      if (header.width == 0 || header.height == 0) return NotAnImage("JPEG with zero size");
      return header;
    }
    at += length;
  }
  return NotAnImage("truncated JPEG header");
}

Result<ImageHeader> SniffGif(std::string_view b) {
  if (b.size() < 13) return NotAnImage("truncated GIF header");
  ImageHeader header;
  header.format = ImageFormat::kGif;
  header.width = Le16(b, 6);
  header.height = Le16(b, 8);
  if (header.width == 0 || header.height == 0) return NotAnImage("GIF with zero size");
  return header;
}

Result<ImageHeader> SniffWebp(std::string_view b) {
  // RIFF header (12), chunk header (8), then the chunk's own header (≤ 10 bytes used).
  if (b.size() < 30) return NotAnImage("truncated WebP header");
  ImageHeader header;
  header.format = ImageFormat::kWebp;
  const std::string_view chunk = b.substr(12, 4);
  if (chunk == "VP8 ") {
    // Frame tag (3), start code 9D 01 2A, then 14-bit width and height (2 bits of scale).
    if ((U8(b, 20) & 1) != 0 || U8(b, 23) != 0x9d || U8(b, 24) != 0x01 || U8(b, 25) != 0x2a) {
      return NotAnImage("corrupt WebP header");
    }
    header.width = Le16(b, 26) & 0x3fff;
    header.height = Le16(b, 28) & 0x3fff;
  } else if (chunk == "VP8L") {
    if (U8(b, 20) != 0x2f) return NotAnImage("corrupt WebP header");
    const uint32_t bits = Le32(b, 21);
    header.width = (bits & 0x3fff) + 1;
    header.height = ((bits >> 14) & 0x3fff) + 1;
  } else if (chunk == "VP8X") {
    if ((U8(b, 20) & 0x02) != 0) return NotAnImage("animated WebP");
    header.width = static_cast<int64_t>(Le24(b, 24)) + 1;
    header.height = static_cast<int64_t>(Le24(b, 27)) + 1;
  } else {
    return NotAnImage("unknown WebP chunk");
  }
  if (header.width == 0 || header.height == 0) return NotAnImage("WebP with zero size");
  return header;
}

bool LooksLikeText(std::string_view b) {
  const std::string_view head = b.substr(0, 512);
  for (char c : head) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') return false;
  }
  return true;
}

// Names what the bytes are when they are not an image we take.
std::string DescribeUnsupported(std::string_view b) {
  if (b.empty()) return "empty file";
  if (StartsWith(b, "PK\x03\x04") || StartsWith(b, "PK\x05\x06")) return "zip archive";
  if (StartsWith(b, "%PDF")) return "PDF document";
  if (StartsWith(b, "BM")) return "BMP";
  if (StartsWith(b, std::string_view("II*\0", 4)) || StartsWith(b, std::string_view("MM\0*", 4))) {
    return "TIFF";
  }
  if (b.size() >= 12 && b.substr(4, 4) == "ftyp") return "ISO media (AVIF/HEIC/MP4)";
  if (StartsWith(b, "RIFF")) return "RIFF file that is not WebP";
  if (LooksLikeText(b)) return "text";
  return "unknown format";
}

bool IsXmlSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view ImageFormatName(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return "PNG";
    case ImageFormat::kJpeg:
      return "JPEG";
    case ImageFormat::kGif:
      return "GIF";
    case ImageFormat::kWebp:
      return "WebP";
    case ImageFormat::kSvg:
      return "SVG";
  }
  return "image";
}

bool LooksLikeSvg(std::string_view b) {
  if (StartsWith(b, "\xEF\xBB\xBF")) b.remove_prefix(3);
  for (;;) {
    while (!b.empty() && IsXmlSpace(b.front())) b.remove_prefix(1);
    if (StartsWith(b, "<?")) {  // XML declaration, processing instructions
      const size_t end = b.find("?>");
      if (end == std::string_view::npos) return false;
      b.remove_prefix(end + 2);
    } else if (StartsWith(b, "<!--")) {
      const size_t end = b.find("-->", 4);
      if (end == std::string_view::npos) return false;
      b.remove_prefix(end + 3);
    } else if (StartsWithIgnoreCase(b, "<!doctype")) {
      // Up to the closing '>', skipping an internal subset in brackets.
      size_t at = 9;
      int depth = 0;
      while (at < b.size() && (depth > 0 || b[at] != '>')) {
        if (b[at] == '[') ++depth;
        if (b[at] == ']' && depth > 0) --depth;
        ++at;
      }
      if (at >= b.size()) return false;
      b.remove_prefix(at + 1);
    } else {
      break;
    }
  }
  if (!StartsWith(b, "<svg") || b.size() < 5) return false;
  const char next = b[4];
  return IsXmlSpace(next) || next == '>' || next == '/';
}

Result<ImageHeader> SniffImage(std::string_view bytes) {
  if (StartsWith(bytes, kPngSignature)) return SniffPng(bytes);
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return SniffJpeg(bytes);
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) return SniffGif(bytes);
  if (bytes.size() >= 12 && StartsWith(bytes, "RIFF") && bytes.substr(8, 4) == "WEBP") {
    return SniffWebp(bytes);
  }
  if (LooksLikeSvg(bytes)) {
    ImageHeader header;
    header.format = ImageFormat::kSvg;
    return header;
  }
  return NotAnImage(DescribeUnsupported(bytes));
}

Status CheckComplete(std::string_view b, const ImageHeader& header) {
  switch (header.format) {
    case ImageFormat::kPng: {
      size_t at = 8;
      while (at + 8 <= b.size()) {
        const uint64_t length = Be32(b, at);
        const std::string_view type = b.substr(at + 4, 4);
        const uint64_t next = at + 12 + length;  // length, type, data, CRC
        if (next > b.size()) break;
        if (type == "IEND") return Status::Ok();
        at = static_cast<size_t>(next);
      }
      return NotAnImage("truncated PNG");
    }
    case ImageFormat::kJpeg: {
      // Inside entropy-coded data FF is always followed by 00 or a restart marker, so an
      // FF D9 after the frame header is the end of the image (one before it may belong to an
      // EXIF thumbnail).
      const size_t end = b.rfind("\xFF\xD9");
      if (end == std::string_view::npos || static_cast<int64_t>(end) < header.frame_header_end) {
        return NotAnImage("truncated JPEG");
      }
      return Status::Ok();
    }
    case ImageFormat::kWebp: {
      const uint64_t riff_size = Le32(b, 4);
      if (riff_size + 8 > b.size()) return NotAnImage("truncated WebP");
      return Status::Ok();
    }
    case ImageFormat::kGif: {
      // The decoder judges the first frame's data; this only refuses a file cut inside its
      // header, which has no image separator (',') at all.
      if (b.find(',', 13) == std::string_view::npos) return NotAnImage("truncated GIF");
      return Status::Ok();
    }
    case ImageFormat::kSvg:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace vg::assets
