// Local asset files: resolving a template's relative path against the asset folder, keeping
// it inside that folder when asked (after "..", and symlinks, are resolved), refusing
// anything that is not a regular file, and reading it with the size checked before and
// during the read. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace vg::assets {

struct LocalFileOptions {
  std::string base_dir;              // relative paths resolve here; empty: the current folder
  bool confine_to_base_dir = false;  // the real path must stay inside the real base_dir
  int64_t max_bytes = 200LL << 20;
};

// Checks that `src` names a readable regular file within the rules and returns the path to
// open (the real, symlink-free path when confined). Errors (reason only, the caller names the
// src): kAssetUnavailable "file not found", "not a regular file", "path leaves the asset
// folder", "permission denied"; kLimitExceeded "larger than N bytes".
Result<std::string> CheckLocalFile(std::string_view src, const LocalFileOptions& options);

// CheckLocalFile, then the file's bytes. The confinement is checked again on the opened file
// itself, so a path swapped for a symlink between the check and the open is still refused.
Result<std::string> ReadLocalFile(std::string_view src, const LocalFileOptions& options);

}  // namespace vg::assets
