// `vidgen storage check`: proves the configured result store works, for operators. It runs the
// round trip a job makes — reach the store, put a small object under videos/, read its size
// back, sign a download URL, download it over plain HTTP and compare the bytes, delete it —
// and prints one line per step with its time, or what failed. The object is deleted even when
// a later step fails. Exit 0 when every step passed, 1 when one failed, 2 for bad
// configuration. `--json` prints one JSON document instead of the lines.
//
// With local storage the download goes through the API's /files route at PUBLIC_BASE_URL;
// when no API answers there, that step is reported as skipped, not failed.
#include <fmt/format.h>
#include <openssl/rand.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/service_setup.h"
#include "net/curl_http_client.h"
#include "obs/log.h"
#include "storage/create.h"

namespace vg::app {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kProbeBytes = 64 * 1024;
constexpr int64_t kProbeUrlTtlS = 300;

struct StepOutcome {
  std::string name;
  enum class State { kPassed, kFailed, kSkipped } state = State::kPassed;
  double ms = 0;
  std::string detail;  // what failed, why it was skipped, or a short fact when it passed
};

std::string RandomHex(int bytes) {
  std::vector<unsigned char> raw(static_cast<size_t>(bytes));
  RAND_bytes(raw.data(), bytes);
  std::string hex;
  for (unsigned char c : raw) hex += fmt::format("{:02x}", c);
  return hex;
}

std::string ProviderName(config::StorageProvider provider) {
  switch (provider) {
    case config::StorageProvider::kLocal:
      return "local";
    case config::StorageProvider::kS3:
      return "s3";
    case config::StorageProvider::kSupabase:
      return "supabase";
  }
  return "unknown";
}

// Where the store is, in words an operator recognises (never a secret).
std::string TargetOf(const config::Config& config) {
  switch (config.storage_provider) {
    case config::StorageProvider::kLocal:
      return "folder " + config.local_storage_dir;
    case config::StorageProvider::kS3:
      return "bucket " + config.s3.bucket + " at " +
             (config.s3.endpoint.empty() ? "AWS region " + config.s3.region : config.s3.endpoint);
    case config::StorageProvider::kSupabase:
      return "bucket " + config.supabase.bucket + " at " + config.supabase.url;
  }
  return "";
}

class StorageCheck {
 public:
  StorageCheck(const config::Config& config, storage::BlobStore& store)
      : config_(config), store_(store) {}

  std::vector<StepOutcome> Run() {
    const fs::path dir = fs::temp_directory_path() / ("vidgen-storage-check-" + RandomHex(6));
    std::error_code ignored;
    fs::create_directories(dir, ignored);
    const fs::path file = dir / "probe.bin";
    const std::string bytes = RandomHex(kProbeBytes / 2);
    {
      std::ofstream out(file, std::ios::binary);
      out << bytes;
    }
    const std::string key = "videos/vidgen-storage-check-" + RandomHex(8) + ".bin";

    const bool reachable = Step("reach", [&](std::string* detail) {
      Status s = store_.Check();
      if (!s.ok()) *detail = s.message();
      return s.ok();
    });
    bool stored = false;
    if (reachable) {
      stored = Step("put", [&](std::string* detail) {
        Status s = store_.Put(key, file.string(), "application/octet-stream");
        if (!s.ok()) *detail = s.message();
        else *detail = fmt::format("{} bytes as {}", bytes.size(), key);
        return s.ok();
      });
    }
    if (stored) {
      Step("head", [&](std::string* detail) {
        auto info = store_.Head(key);
        if (!info.ok()) {
          *detail = info.error().message();
          return false;
        }
        if (info->size_bytes != static_cast<int64_t>(bytes.size())) {
          *detail = fmt::format("the store reports {} bytes, {} were put", info->size_bytes,
                                bytes.size());
          return false;
        }
        *detail = fmt::format("{} bytes", info->size_bytes);
        return true;
      });
      std::string url;
      const bool signed_ok = Step("sign", [&](std::string* detail) {
        auto signed_url = store_.Sign(key, kProbeUrlTtlS);
        if (!signed_url.ok()) {
          *detail = signed_url.error().message();
          return false;
        }
        url = signed_url->url;
        *detail = fmt::format("valid for {} s", kProbeUrlTtlS);
        return true;
      });
      if (signed_ok) Download(url, bytes);
      Step("delete", [&](std::string* detail) {
        Status s = store_.Delete(key);
        if (!s.ok()) {
          *detail = s.message();
          return false;
        }
        auto after = store_.Head(key);
        if (after.ok()) {
          *detail = "the object is still there after the delete";
          return false;
        }
        if (after.error().code() != ErrorCode::kNotFound) {
          *detail = "checking the delete failed: " + after.error().message();
          return false;
        }
        return true;
      });
    }
    fs::remove_all(dir, ignored);
    return std::move(steps_);
  }

 private:
  template <typename Fn>
  bool Step(const char* name, Fn&& fn) {
    StepOutcome outcome;
    outcome.name = name;
    const auto started = std::chrono::steady_clock::now();
    const bool ok = fn(&outcome.detail);
    outcome.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           started)
                     .count();
    outcome.state = ok ? StepOutcome::State::kPassed : StepOutcome::State::kFailed;
    steps_.push_back(std::move(outcome));
    return ok;
  }

  // The signed URL, fetched as a browser would (no credentials), must give the same bytes.
  void Download(const std::string& url, const std::string& expected) {
    net::CurlHttpClientOptions options;
    options.allow_private_addresses = true;  // the operator's own store, often on a LAN
    net::CurlHttpClient http(options);
    net::HttpRequest request;
    request.url = url;
    request.timeout_ms = 30000;
    request.max_response_bytes = kProbeBytes * 2;
    StepOutcome outcome;
    outcome.name = "get";
    const auto started = std::chrono::steady_clock::now();
    net::HttpResult result = http.Get(request);
    outcome.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                           started)
                     .count();
    if (!result.ok()) {
      const bool local = config_.storage_provider == config::StorageProvider::kLocal;
      if (local && result.error().kind == net::HttpErrorKind::kConnect) {
        outcome.state = StepOutcome::State::kSkipped;
        outcome.detail = "no API answers at " + config_.public_base_url +
                         " to serve /files (start `vidgen serve` or `vidgen api` to check it)";
      } else {
        outcome.state = StepOutcome::State::kFailed;
        outcome.detail = "downloading the signed URL failed: " + result.error().message;
      }
    } else if (result.value().body != expected) {
      outcome.state = StepOutcome::State::kFailed;
      outcome.detail = fmt::format("the signed URL gave {} bytes that differ from the {} put",
                                   result.value().body.size(), expected.size());
    } else {
      outcome.detail = fmt::format("{} bytes, identical", expected.size());
    }
    steps_.push_back(std::move(outcome));
  }

  const config::Config& config_;
  storage::BlobStore& store_;
  std::vector<StepOutcome> steps_;
};

const char* StateName(StepOutcome::State state) {
  switch (state) {
    case StepOutcome::State::kPassed:
      return "ok";
    case StepOutcome::State::kFailed:
      return "failed";
    case StepOutcome::State::kSkipped:
      return "skipped";
  }
  return "";
}

class StorageCommand final : public Command {
 public:
  explicit StorageCommand(CLI::App& root) {
    app_ = root.add_subcommand("storage", "Check the configured result store");
    app_->require_subcommand(1);
    check_ = app_->add_subcommand(
        "check", "Put, sign, download and delete a small object in the configured store");
    check_->add_flag("--json", json_, "Print one JSON document on stdout");
  }

  int Run() override {
    auto config = LoadServiceConfig(config::Mode::kTool, "storage check");
    if (!config) return 2;
    if (config->storage_provider == config::StorageProvider::kLocal &&
        config->url_signing_secret.empty()) {
      auto secret = LoadOrCreateSigningSecret(config->data_dir);
      if (!secret.ok()) {
        std::fprintf(stderr, "vidgen storage check: %s\n", secret.error().message().c_str());
        return 2;
      }
      config->url_signing_secret = *secret;
    }
    const std::string provider = ProviderName(config->storage_provider);
    const std::string target = TargetOf(*config);
    auto store = storage::CreateBlobStore(*config);
    if (!store.ok()) {
      std::fprintf(stderr, "vidgen storage check: %s storage (%s): %s\n", provider.c_str(),
                   target.c_str(), store.error().message().c_str());
      return 2;
    }
    std::vector<StepOutcome> steps = StorageCheck(*config, **store).Run();
    bool passed = true;
    for (const auto& step : steps) passed = passed && step.state != StepOutcome::State::kFailed;
    obs::Log(passed ? obs::Level::kInfo : obs::Level::kWarn, "storage.check",
             {{"provider", provider}, {"passed", passed}});
    if (json_) {
      nlohmann::json doc = {{"provider", provider}, {"target", target}, {"ok", passed}};
      doc["steps"] = nlohmann::json::array();
      for (const auto& step : steps) {
        nlohmann::json s = {{"step", step.name},
                            {"result", StateName(step.state)},
                            {"ms", static_cast<int64_t>(step.ms + 0.5)}};
        if (!step.detail.empty()) s["detail"] = step.detail;
        doc["steps"].push_back(std::move(s));
      }
      std::printf("%s\n", doc.dump(2).c_str());
    } else {
      std::printf("vidgen storage check: %s storage, %s\n", provider.c_str(), target.c_str());
      for (const auto& step : steps) {
        std::printf("  %-7s %-8s %7.1f ms  %s\n", step.name.c_str(), StateName(step.state),
                    step.ms, step.detail.c_str());
      }
      std::printf("%s\n", passed ? "storage check passed" : "storage check FAILED");
    }
    return passed ? 0 : 1;
  }

 private:
  CLI::App* check_ = nullptr;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> AddStorageCommand(CLI::App& root) {
  return std::make_unique<StorageCommand>(root);
}

}  // namespace vg::app
