// LocalStore (see local_store.h): objects are plain files under the root folder, written via a
// temp file and rename so a reader never sees half an object, with the content type in a
// "<file>.vgmeta" sidecar.
#include "storage/local_store.h"

#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "obs/log.h"

namespace vg::storage {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kMetaSuffix = ".vgmeta";
constexpr size_t kMaxKeyLength = 512;
constexpr size_t kCopyBufferBytes = 1 << 20;

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Closes a file descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string RandomSuffix() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return fmt::format("{:016x}", generator());
}

Status FsyncPath(const std::string& path, int flags) {
  Fd fd(open(path.c_str(), flags | O_CLOEXEC));
  if (fd.get() < 0) return Error(ErrorCode::kStorageUnavailable, "open: " + ErrnoText(errno));
  if (fsync(fd.get()) != 0) {
    return Error(ErrorCode::kStorageUnavailable, "fsync: " + ErrnoText(errno));
  }
  return Status::Ok();
}

// Copies `source` into the new file `target`, fsynced, reporting progress.
Status CopyFile(const std::string& source, const std::string& target,
                const std::function<void(int64_t, int64_t)>& on_progress) {
  Fd in(open(source.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) {
    return Error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kStorageUnavailable,
                 "cannot open the source file: " + ErrnoText(errno));
  }
  struct stat info {};
  if (fstat(in.get(), &info) != 0) {
    return Error(ErrorCode::kStorageUnavailable, "stat: " + ErrnoText(errno));
  }
  const int64_t total = info.st_size;
  Fd out(open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (out.get() < 0) {
    return Error(ErrorCode::kStorageUnavailable, "cannot create a temp file: " + ErrnoText(errno));
  }
  std::vector<char> buffer(kCopyBufferBytes);
  int64_t done = 0;
  if (on_progress) on_progress(0, total);
  while (true) {
    const ssize_t got = read(in.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      return Error(ErrorCode::kStorageUnavailable, "read: " + ErrnoText(errno));
    }
    if (got == 0) break;
    ssize_t written = 0;
    while (written < got) {
      const ssize_t n = write(out.get(), buffer.data() + written, got - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Error(ErrorCode::kStorageUnavailable, "write: " + ErrnoText(errno));
      }
      written += n;
    }
    done += got;
    if (on_progress) on_progress(done, total);
  }
  if (fsync(out.get()) != 0) {
    return Error(ErrorCode::kStorageUnavailable, "fsync: " + ErrnoText(errno));
  }
  if (close(out.Release()) != 0) {
    return Error(ErrorCode::kStorageUnavailable, "close: " + ErrnoText(errno));
  }
  return Status::Ok();
}

// Writes `text` to `path` atomically (temp + fsync + rename).
Status WriteSmallFile(const std::string& path, const std::string& text) {
  const std::string temp = (fs::path(path).parent_path() / (".vgtmp-" + RandomSuffix())).string();
  {
    Fd out(open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (out.get() < 0) {
      return Error(ErrorCode::kStorageUnavailable, "create: " + ErrnoText(errno));
    }
    if (write(out.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
        fsync(out.get()) != 0) {
      const int error = errno;
      unlink(temp.c_str());
      return Error(ErrorCode::kStorageUnavailable, "write: " + ErrnoText(error));
    }
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp.c_str());
    return Error(ErrorCode::kStorageUnavailable, "rename: " + ErrnoText(error));
  }
  return Status::Ok();
}

std::string PercentEncodeKey(std::string_view key) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : key) {
    const bool unreserved =
        std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/';
    if (unreserved) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

int64_t ModifiedUnixMs(const struct stat& info) {
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
}

}  // namespace

Status ValidateKey(std::string_view key) {
  auto invalid = [](std::string reason) {
    return Status(ErrorCode::kInvalidArgument, "The storage key is not valid: " + reason + ".");
  };
  if (key.empty() || key.size() > kMaxKeyLength) return invalid("it must be 1 to 512 characters");
  for (unsigned char c : key) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') {
      return invalid("only printable ASCII without spaces or backslashes is allowed");
    }
  }
  if (key.front() == '/') return invalid("it must not start with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(start, end - start);
    if (segment.empty() || segment == "." || segment == "..") {
      return invalid("it has an empty, '.' or '..' segment");
    }
    if (segment.substr(0, 3) == ".vg") return invalid("its names must not start with '.vg'");
    start = end + 1;
  }
  if (EndsWith(key, kMetaSuffix)) return invalid("it must not end in '.vgmeta'");
  return Status::Ok();
}

std::string ContentTypeForExtension(std::string_view name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || name.find('/', dot) != std::string_view::npos) {
    return "application/octet-stream";
  }
  std::string extension(name.substr(dot + 1));
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static const std::array<std::pair<std::string_view, std::string_view>, 14> kTypes = {{
      {"mp4", "video/mp4"},
      {"m4v", "video/mp4"},
      {"mov", "video/quicktime"},
      {"webm", "video/webm"},
      {"gif", "image/gif"},
      {"jpg", "image/jpeg"},
      {"jpeg", "image/jpeg"},
      {"png", "image/png"},
      {"webp", "image/webp"},
      {"mp3", "audio/mpeg"},
      {"m4a", "audio/mp4"},
      {"wav", "audio/wav"},
      {"json", "application/json"},
      {"txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (extension == ext) return std::string(type);
  }
  return "application/octet-stream";
}

LocalStore::LocalStore(LocalStoreOptions options, std::string root, const Clock* clock)
    : options_(std::move(options)),
      root_(std::move(root)),
      signer_(options_.signing_secret),
      clock_(clock != nullptr ? clock : &system_clock_) {}

Result<std::unique_ptr<LocalStore>> LocalStore::Open(LocalStoreOptions options,
                                                     const Clock* clock) {
  if (options.root_dir.empty()) {
    return Status(ErrorCode::kInvalidArgument, "The local storage folder is not set.");
  }
  if (options.signing_secret.empty()) {
    return Status(ErrorCode::kInvalidArgument, "The URL signing secret is not set.");
  }
  std::error_code error;
  fs::create_directories(options.root_dir, error);
  if (error) {
    obs::Log(obs::Level::kError, "storage.open_failed",
             {{"dir", options.root_dir}, {"error", error.message()}});
    return Status(ErrorCode::kStorageUnavailable, "The local storage folder cannot be created.");
  }
  fs::path root = fs::weakly_canonical(fs::absolute(options.root_dir), error);
  if (error) return Status(ErrorCode::kStorageUnavailable, "The storage folder cannot be read.");
  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.back() == '/') root_text.pop_back();
  while (!options.public_base_url.empty() && options.public_base_url.back() == '/') {
    options.public_base_url.pop_back();
  }
  std::unique_ptr<LocalStore> store(new LocalStore(std::move(options), root_text, clock));
  VG_RETURN_IF_ERROR(store->Check());
  return store;
}

Result<std::string> LocalStore::PathFor(std::string_view key) const {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  return root_ + "/" + std::string(key);
}

Status LocalStore::Put(const std::string& key, const std::string& local_path,
                       const std::string& content_type,
                       const std::function<void(int64_t, int64_t)>& on_progress) {
  VG_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  const fs::path directory = fs::path(path).parent_path();
  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    obs::Log(obs::Level::kError, "storage.put_failed", {{"key", key}, {"error", error.message()}});
    return Status(ErrorCode::kStorageUnavailable, "The storage folder cannot be written.");
  }
  const std::string temp = (directory / (".vgtmp-" + RandomSuffix())).string();
  Status status;
  bool moved = false;
  if (options_.move_source) {
    if (rename(local_path.c_str(), temp.c_str()) == 0) {
      moved = true;
      status = FsyncPath(temp, O_RDONLY);
      if (status.ok() && on_progress) {
        struct stat info {};
        if (stat(temp.c_str(), &info) == 0) on_progress(info.st_size, info.st_size);
      }
    } else if (errno != EXDEV) {
      status = Status(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kStorageUnavailable,
                      "cannot move the source file: " + ErrnoText(errno));
    }
  }
  if (!moved && status.ok()) status = CopyFile(local_path, temp, on_progress);
  if (status.ok() && rename(temp.c_str(), path.c_str()) != 0) {
    status = Status(ErrorCode::kStorageUnavailable, "rename: " + ErrnoText(errno));
  }
  if (!status.ok()) {
    unlink(temp.c_str());
    obs::Log(obs::Level::kError, "storage.put_failed", {{"key", key}, {"error", status.message()}});
    if (status.code() == ErrorCode::kNotFound) {
      return Status(ErrorCode::kNotFound, "The file to store does not exist.");
    }
    return Status(ErrorCode::kStorageUnavailable, "The file could not be stored.");
  }
  const std::string type = content_type.empty() ? ContentTypeForExtension(key) : content_type;
  status = WriteSmallFile(path + std::string(kMetaSuffix), type);
  if (status.ok()) status = FsyncPath(directory.string(), O_RDONLY | O_DIRECTORY);
  if (!status.ok()) {
    obs::Log(obs::Level::kError, "storage.put_failed", {{"key", key}, {"error", status.message()}});
    return Status(ErrorCode::kStorageUnavailable, "The file could not be stored.");
  }
  return Status::Ok();
}

Result<SignedUrl> LocalStore::Sign(const std::string& key, int64_t ttl_seconds) const {
  VG_RETURN_IF_ERROR(ValidateKey(key));
  if (ttl_seconds <= 0) {
    return Status(ErrorCode::kInvalidArgument, "A signed URL needs a positive lifetime.");
  }
  SignedUrl signed_url;
  signed_url.expires_unix_s = clock_->NowUnixMs() / 1000 + ttl_seconds;
  signed_url.url =
      fmt::format("{}/files/{}?exp={}&sig={}", options_.public_base_url, PercentEncodeKey(key),
                  signed_url.expires_unix_s, signer_.Signature(key, signed_url.expires_unix_s));
  return signed_url;
}

Result<BlobInfo> LocalStore::Head(const std::string& key) const {
  VG_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return Status(ErrorCode::kNotFound, "The stored file does not exist.");
  }
  return BlobInfo{key, static_cast<int64_t>(info.st_size), ModifiedUnixMs(info)};
}

Result<std::string> LocalStore::ContentTypeOf(std::string_view key) const {
  VG_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  std::ifstream in(path + std::string(kMetaSuffix));
  std::string type;
  if (in && std::getline(in, type) && !type.empty()) return type;
  return ContentTypeForExtension(key);
}

Status LocalStore::Delete(const std::string& key) {
  VG_ASSIGN_OR_RETURN(const std::string path, PathFor(key));
  for (const std::string& file : {path, path + std::string(kMetaSuffix)}) {
    if (unlink(file.c_str()) != 0 && errno != ENOENT) {
      obs::Log(obs::Level::kError, "storage.delete_failed",
               {{"key", key}, {"error", ErrnoText(errno)}});
      return Status(ErrorCode::kStorageUnavailable, "The stored file could not be deleted.");
    }
  }
  // Remove folders left empty (never the root).
  std::error_code error;
  fs::path directory = fs::path(path).parent_path();
  while (directory.string().size() > root_.size() && fs::is_empty(directory, error) && !error) {
    if (!fs::remove(directory, error) || error) break;
    directory = directory.parent_path();
  }
  return Status::Ok();
}

Result<std::vector<BlobInfo>> LocalStore::ListOlderThan(int64_t unix_ms) const {
  std::vector<BlobInfo> found;
  std::error_code error;
  fs::recursive_directory_iterator it(root_, error), end;
  if (error) return Status(ErrorCode::kStorageUnavailable, "The storage folder cannot be read.");
  for (; it != end; it.increment(error)) {
    if (error) return Status(ErrorCode::kStorageUnavailable, "The storage folder cannot be read.");
    if (!it->is_regular_file(error)) continue;
    const std::string path = it->path().string();
    std::string key = path.substr(root_.size() + 1);
    if (!ValidateKey(key).ok()) continue;  // meta and temp files
    struct stat info {};
    if (stat(path.c_str(), &info) != 0) continue;  // deleted meanwhile
    const int64_t modified = ModifiedUnixMs(info);
    if (modified < unix_ms) {
      found.push_back({std::move(key), static_cast<int64_t>(info.st_size), modified});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
  return found;
}

Status LocalStore::Check() const {
  if (access(root_.c_str(), R_OK | W_OK | X_OK) != 0) {
    obs::Log(obs::Level::kError, "storage.check_failed",
             {{"dir", root_}, {"error", ErrnoText(errno)}});
    return Status(ErrorCode::kStorageUnavailable, "The storage folder is not writable.");
  }
  return Status::Ok();
}

Result<int64_t> LocalStore::BytesUsed() const {
  VG_ASSIGN_OR_RETURN(auto objects, ListOlderThan(INT64_MAX));
  int64_t total = 0;
  for (const auto& object : objects) total += object.size_bytes;
  return total;
}

Status SweepOlderThan(BlobStore& store, int64_t unix_ms) {
  VG_ASSIGN_OR_RETURN(auto objects, store.ListOlderThan(unix_ms));
  Status first_error;
  int deleted = 0;
  for (const auto& object : objects) {
    Status status = store.Delete(object.key);
    if (status.ok()) {
      ++deleted;
    } else if (first_error.ok()) {
      first_error = status;
    }
  }
  obs::Log(obs::Level::kInfo, "storage.sweep",
           {{"deleted", deleted}, {"failed", static_cast<int>(objects.size()) - deleted}});
  return first_error;
}

}  // namespace vg::storage
