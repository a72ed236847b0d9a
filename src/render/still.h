// Writing single frames: PNG (Cairo) and the 640-px-wide JPEG thumbnail (libavcodec mjpeg).
// Both write to a temporary name and rename, so a failed write leaves no file. Thread-safe.
#pragma once

#include <string>

#include "assets/bitmap.h"
#include "base/status.h"

namespace vg::render {

Status WritePng(const assets::Bitmap& frame, const std::string& path);
Status WriteJpegThumbnail(const assets::Bitmap& frame, int width, const std::string& path);

// A temporary file name beside `path` (same folder, so rename is atomic).
std::string TemporaryPathBeside(const std::string& path);
// Renames `from` to `to`; on failure removes `from`.
Status CommitFile(const std::string& from, const std::string& to);

}  // namespace vg::render
