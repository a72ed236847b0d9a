// vg_storage_bench: the C++ side of bench/storage. Uploads one file with storage::S3Store at a
// given part size, multipart threshold and parallelism and prints one JSON line (seconds of the
// Put and when its body had been sent, MB/s with MB = 10^6 bytes, peak RSS of this process from
// getrusage), and offers the small helpers run.sh needs around it: a presigned PUT URL for
// `curl -T` (our SigV4 presigner), the size of a stored object (HeadObject) and its deletion.
// Not a test; run.sh drives it against a plain s3rver. Single-threaded apart from S3Store's own
// part threads.
//
//   vg_storage_bench upload --endpoint URL --key K --file F [--part-mib 16] [--threshold-mib 16]
//                           [--parallel 4] [--no-expect]
//   vg_storage_bench presign-put --endpoint URL --key K [--expires 3600]
//   vg_storage_bench head|delete --endpoint URL --key K
// Common options: --bucket (videos), --access-key/--secret-key (S3RVER, s3rver's fixed pair),
// --region (us-east-1); before the mode, --log-level (warn; debug logs every request and how
// long it took, on stderr).
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "config/config.h"
#include "obs/log.h"
#include "storage/s3_store.h"
#include "storage/sigv4.h"

namespace vg::bench {
namespace {

constexpr int64_t kMiB = 1LL << 20;

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

int Fail(const Status& status) {
  std::cerr << "vg_storage_bench: " << status.message() << "\n";
  return 1;
}

struct Options {
  std::string mode;
  std::string endpoint;
  std::string bucket = "videos";
  std::string access_key = "S3RVER";
  std::string secret_key = "S3RVER";
  std::string region = "us-east-1";
  std::string key;
  std::string file;
  int64_t part_mib = 16;
  int64_t threshold_mib = 16;
  int parallel = 4;
  bool no_expect = false;
  int64_t expires_seconds = 3600;
  std::string log_level = "warn";
};

int Upload(storage::S3Store& store, const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  auto since_start = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  // When the last byte of the body (of every part) had gone out: the rest of the time is the
  // server's (the last answers, and for multipart CompleteMultipartUpload's assembly). Progress
  // comes from Put's calling thread, every 100 ms at most for multipart uploads.
  double sent_seconds = 0;
  const Status status =
      store.Put(options.key, options.file, "video/mp4", [&](int64_t sent, int64_t total) {
        if (sent >= total && sent_seconds == 0) sent_seconds = since_start();
      });
  const double seconds = since_start();
  if (!status.ok()) return Fail(status);
  auto info = store.Head(options.key);
  if (!info.ok()) return Fail(info.error());
  const int64_t bytes = info->size_bytes;
  nlohmann::json out = {
      {"mode", "upload"},
      {"key", options.key},
      {"bytes", bytes},
      {"seconds", seconds},
      {"sent_seconds", sent_seconds},
      {"mb_per_s", seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0.0},
      {"peak_rss_mib", PeakRssMiB()},
      {"part_mib", options.part_mib},
      {"threshold_mib", options.threshold_mib},
      {"parallel", options.parallel},
      {"multipart", bytes >= options.threshold_mib * kMiB},
      {"expect_continue", !options.no_expect}};
  std::cout << out.dump() << "\n";
  return 0;
}

// A presigned PUT of `key` (only host signed, UNSIGNED-PAYLOAD), for a plain HTTP client.
int PresignPut(const storage::S3Store& store, const Options& options) {
  // ObjectUrl is "<scheme>://<authority><path>": the authority is the signed host.
  const std::string url = store.ObjectUrl(options.key);
  const size_t scheme_end = url.find("://");
  const size_t path_start = url.find('/', scheme_end + 3);
  storage::sigv4::Request request;
  request.method = "PUT";
  request.host = url.substr(scheme_end + 3, path_start - scheme_end - 3);
  request.path = url.substr(path_start);
  storage::sigv4::Credentials credentials{options.access_key, options.secret_key, options.region,
                                          "s3"};
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  auto query = storage::sigv4::PresignQuery(credentials, request, now, options.expires_seconds);
  if (!query.ok()) return Fail(query.error());
  std::cout << url << "?" << *query << "\n";
  return 0;
}

int Run(int argc, char** argv) {
  Options options;
  CLI::App app{"bench/storage driver: S3Store uploads and helpers"};
  app.require_subcommand(1);
  app.add_option("--log-level", options.log_level,
                 "debug shows every request with its duration (stderr)")
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));
  auto add_common = [&](CLI::App* command) {
    command->add_option("--endpoint", options.endpoint, "S3 endpoint URL")->required();
    command->add_option("--bucket", options.bucket);
    command->add_option("--access-key", options.access_key);
    command->add_option("--secret-key", options.secret_key);
    command->add_option("--region", options.region);
    command->add_option("--key", options.key, "object key")->required();
  };
  CLI::App* upload = app.add_subcommand("upload", "Put a file with S3Store, print JSON");
  add_common(upload);
  upload->add_option("--file", options.file)->required();
  upload->add_option("--part-mib", options.part_mib)->check(CLI::Range(5, 5120));
  upload->add_option("--threshold-mib", options.threshold_mib)->check(CLI::PositiveNumber);
  upload->add_option("--parallel", options.parallel)->check(CLI::Range(1, 64));
  upload->add_flag("--no-expect", options.no_expect, "do not wait for 100 Continue");
  CLI::App* presign = app.add_subcommand("presign-put", "Print a presigned PUT URL");
  add_common(presign);
  presign->add_option("--expires", options.expires_seconds)->check(CLI::Range(1, 604800));
  CLI::App* head = app.add_subcommand("head", "Print the stored size of an object (JSON)");
  add_common(head);
  CLI::App* remove = app.add_subcommand("delete", "Delete an object");
  add_common(remove);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  obs::Level level = obs::Level::kWarn;
  obs::ParseLevel(options.log_level, &level);
  obs::SetLogLevel(level);
  config::S3Settings settings;
  settings.access_key_id = options.access_key;
  settings.secret_access_key = options.secret_key;
  settings.region = options.region;
  settings.bucket = options.bucket;
  settings.endpoint = options.endpoint;
  settings.force_path_style = true;
  storage::S3StoreOptions store_options;
  store_options.multipart_threshold_bytes = options.threshold_mib * kMiB;
  store_options.part_size_bytes = options.part_mib * kMiB;
  store_options.parallel_parts = options.parallel;
  store_options.expect_continue = !options.no_expect;
  auto store = storage::S3Store::Create(settings, store_options);
  if (!store.ok()) return Fail(store.error());

  if (*upload) return Upload(**store, options);
  if (*presign) return PresignPut(**store, options);
  if (*head) {
    auto info = (*store)->Head(options.key);
    if (!info.ok()) return Fail(info.error());
    std::cout << nlohmann::json{{"key", options.key}, {"bytes", info->size_bytes}}.dump() << "\n";
    return 0;
  }
  const Status deleted = (*store)->Delete(options.key);
  return deleted.ok() ? 0 : Fail(deleted);
}

}  // namespace
}  // namespace vg::bench

int main(int argc, char** argv) { return vg::bench::Run(argc, argv); }
