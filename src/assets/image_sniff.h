// Image type sniffing and header parsing: which format the bytes hold (from magic numbers,
// never from a name or Content-Type) and its pixel size, read from the header without
// decoding, so oversized images are refused before any large allocation. Also a structural
// completeness check that catches truncated files the decoders would otherwise half-accept.
// Pure functions over hostile bytes: every read is bounds-checked. Thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace vg::assets {

enum class ImageFormat { kPng, kJpeg, kGif, kWebp, kSvg };

// "PNG", "JPEG", "GIF", "WebP", "SVG".
std::string_view ImageFormatName(ImageFormat format);

struct ImageHeader {
  ImageFormat format = ImageFormat::kPng;
  // Pixel size from the header, before any EXIF rotation. 0 for SVG (known after parsing).
  int64_t width = 0;
  int64_t height = 0;
  // JPEG EXIF orientation 1..8 (1 = as stored); 1 for every other format.
  int orientation = 1;
  // JPEG: the offset just past the frame header (the end-of-image marker must follow it).
  int64_t frame_header_end = 0;
};

// Identifies the format and reads the header. Errors: kAssetUnavailable with the reason in
// parentheses: "not a supported image (empty file)", "(text)", "(zip archive)",
// "(truncated PNG header)", "(animated WebP)", ...
Result<ImageHeader> SniffImage(std::string_view bytes);

// Checks that the container is complete: PNG chunks up to IEND, a JPEG end-of-image marker
// after the frame header, a WebP RIFF size that fits. Errors: kAssetUnavailable
// "not a supported image (truncated PNG)" and the like.
Status CheckComplete(std::string_view bytes, const ImageHeader& header);

// True when the text (after an optional BOM, whitespace, XML declaration, comments and
// DOCTYPE) opens with an <svg> element.
bool LooksLikeSvg(std::string_view bytes);

}  // namespace vg::assets
