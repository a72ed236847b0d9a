// Local files through POSIX calls: open with O_NONBLOCK (a FIFO must not block us), fstat
// the opened descriptor, and, when confined, ask the kernel which file was really opened
// (/proc/self/fd) before reading a byte.
#include "assets/local_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace vg::assets {
namespace {

namespace fs = std::filesystem;

// Owns one open file descriptor.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  FileDescriptor& operator=(FileDescriptor&&) = delete;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Status ErrnoStatus(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return Error(ErrorCode::kAssetUnavailable, "file not found");
    case EACCES:
    case EPERM:
      return Error(ErrorCode::kAssetUnavailable, "permission denied");
    case ELOOP:
      return Error(ErrorCode::kAssetUnavailable, "too many symbolic links");
    default:
      return Error(ErrorCode::kAssetUnavailable, std::strerror(error));
  }
}

Status TooLarge(int64_t max_bytes) {
  return Error(ErrorCode::kLimitExceeded, "larger than " + std::to_string(max_bytes) + " bytes");
}

bool IsInside(const fs::path& path, const fs::path& folder) {
  const std::string& folder_text = folder.native();
  const std::string& path_text = path.native();
  if (folder_text == "/") return true;
  return path_text.size() > folder_text.size() &&
         path_text.compare(0, folder_text.size(), folder_text) == 0 &&
         path_text[folder_text.size()] == '/';
}

struct Resolved {
  fs::path path;         // what to open
  fs::path real_folder;  // the canonical base folder (confined only)
};

Result<Resolved> Resolve(std::string_view src, const LocalFileOptions& options) {
  if (src.empty()) return Error(ErrorCode::kAssetUnavailable, "empty path");
  if (src.find('\0') != std::string_view::npos) {
    return Error(ErrorCode::kAssetUnavailable, "invalid path");
  }
  const fs::path base = options.base_dir.empty() ? fs::path(".") : fs::path(options.base_dir);
  fs::path path(src);
  if (path.is_relative()) path = base / path;
  Resolved resolved;
  if (!options.confine_to_base_dir) {
    resolved.path = path;
    return resolved;
  }
  std::error_code error;
  resolved.real_folder = fs::canonical(base, error);
  if (error) return Error(ErrorCode::kAssetUnavailable, "the asset folder does not exist");
  resolved.path = fs::canonical(path, error);
  if (error) return ErrnoStatus(error.value());
  if (!IsInside(resolved.path, resolved.real_folder)) {
    return Error(ErrorCode::kAssetUnavailable, "path leaves the asset folder");
  }
  return resolved;
}

// Opens and vets the file; *size gets its size.
Result<FileDescriptor> OpenChecked(const Resolved& resolved, const LocalFileOptions& options,
                                   int64_t* size) {
  FileDescriptor file(open(resolved.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (file.get() < 0) return ErrnoStatus(errno);
  const int fd = file.get();
  struct stat info {};
  if (fstat(fd, &info) != 0) return ErrnoStatus(errno);
  if (!S_ISREG(info.st_mode)) return Error(ErrorCode::kAssetUnavailable, "not a regular file");
  if (info.st_size > options.max_bytes) return TooLarge(options.max_bytes);
  if (options.confine_to_base_dir) {
    // The file we actually opened, whatever happened to the path since Resolve().
    std::error_code error;
    const fs::path opened = fs::read_symlink("/proc/self/fd/" + std::to_string(fd), error);
    if (!error && !IsInside(opened, resolved.real_folder)) {
      return Error(ErrorCode::kAssetUnavailable, "path leaves the asset folder");
    }
  }
  *size = info.st_size;
  return file;
}

}  // namespace

Result<std::string> CheckLocalFile(std::string_view src, const LocalFileOptions& options) {
  VG_ASSIGN_OR_RETURN(Resolved resolved, Resolve(src, options));
  int64_t size = 0;
  VG_ASSIGN_OR_RETURN(FileDescriptor file, OpenChecked(resolved, options, &size));
  return resolved.path.string();
}

Result<std::string> ReadLocalFile(std::string_view src, const LocalFileOptions& options) {
  VG_ASSIGN_OR_RETURN(Resolved resolved, Resolve(src, options));
  int64_t size = 0;
  VG_ASSIGN_OR_RETURN(FileDescriptor file, OpenChecked(resolved, options, &size));
  const int fd = file.get();
  std::string bytes;
  bytes.reserve(static_cast<size_t>(size));
  char buffer[64 * 1024];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoStatus(errno);
    if (got == 0) break;
    // The file may have grown since fstat.
    if (static_cast<int64_t>(bytes.size()) + got > options.max_bytes) {
      return TooLarge(options.max_bytes);
    }
    bytes.append(buffer, static_cast<size_t>(got));
  }
  return bytes;
}

}  // namespace vg::assets
