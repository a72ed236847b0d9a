// RunRenderJob: one render job from the queue to stored files (see render_job.h). A watcher
// thread per job turns the queue's cancel signal, JOB_TIMEOUT_MS and the shutdown deadline
// into the render's cancel flag, so the render stops between frames within a few tens of
// milliseconds of the signal (the consumer polls the cancel key every 250 ms).
#include "worker/render_job.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <thread>

#include "assets/asset_cache.h"
#include "obs/log.h"
#include "queue/backoff.h"
#include "render/render.h"
#include "tmpl/load.h"

namespace vg::worker {
namespace {

namespace fs = std::filesystem;

// Why the watcher stopped the render.
enum class StopReason : int { kNone = 0, kCancelled, kTimeout, kHandBack, kLockLost };

// A folder made with mkdtemp and removed with everything in it when this dies.
class TempFolder {
 public:
  static Result<std::unique_ptr<TempFolder>> Create(const std::string& parent) {
    std::error_code ec;
    fs::path base = parent.empty() ? fs::temp_directory_path(ec) : fs::path(parent);
    if (ec) return Error(ErrorCode::kRenderFailed, "No temporary folder: " + ec.message());
    fs::create_directories(base, ec);
    std::string pattern = (base / "vidgen-job-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return Error(ErrorCode::kRenderFailed,
                   fmt::format("Cannot create a temporary folder in {}.", base.string()));
    }
    return std::unique_ptr<TempFolder>(new TempFolder(pattern));
  }
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
    if (ec) {
      obs::Log(obs::Level::kWarn, "worker.temp_cleanup_failed",
               {{"path", path_.string()}, {"error", ec.message()}});
    }
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  explicit TempFolder(fs::path path) : path_(std::move(path)) {}
  fs::path path_;
};

// Sets `cancel` when the job is cancelled, times out, is lost, or must be handed back at
// shutdown; records the first reason. Stops (joins) when destroyed.
class Watcher {
 public:
  Watcher(queue::JobContext& context, const RenderJobEnv& env,
          std::chrono::steady_clock::time_point deadline)
      : thread_([this, &context, env, deadline](std::stop_token stop) {
          while (!stop.stop_requested()) {
            StopReason reason = StopReason::kNone;
            if (context.IsCancelled()) {
              reason = StopReason::kCancelled;
            } else if (context.LockLost()) {
              reason = StopReason::kLockLost;
            } else if (std::chrono::steady_clock::now() >= deadline) {
              reason = StopReason::kTimeout;
            } else if (context.IsStopping() && env.hand_back_at_unix_ms != nullptr) {
              const int64_t at = env.hand_back_at_unix_ms->load();
              if (at != 0 && env.clock->NowUnixMs() >= at) reason = StopReason::kHandBack;
            }
            if (reason != StopReason::kNone) {
              int expected = 0;
              reason_.compare_exchange_strong(expected, static_cast<int>(reason));
              cancel_.store(true);
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
        }) {}

  const std::atomic<bool>* flag() const { return &cancel_; }
  StopReason reason() const { return static_cast<StopReason>(reason_.load()); }
  // Stops watching (the render is over) and returns the reason seen so far.
  StopReason Stop() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
    return reason();
  }

 private:
  std::atomic<bool> cancel_{false};
  std::atomic<int> reason_{0};
  std::jthread thread_;  // last: starts after the atomics exist
};

nlohmann::json FpsJson(Rational fps) {
  if (fps.den == 1) return fps.num;
  return fps.ToDouble();
}

// The message kept in failedReason (the status shows only code and message): the engine's
// message plus the problems' JSON paths (for an asset, the clip whose src failed), so a user
// can see what to fix.
std::string MessageWithPaths(const Status& status) {
  std::string message = status.message();
  constexpr size_t kMaxShown = 5;
  const auto& details = status.details();
  for (size_t i = 0; i < details.size() && i < kMaxShown; ++i) {
    if (details[i].message == status.message()) {
      message += fmt::format(" ({})", details[i].path);  // the message already says what
    } else {
      message += fmt::format("{} {}: {}", i == 0 ? "" : ";", details[i].path, details[i].message);
    }
  }
  if (details.size() > kMaxShown)
    message += fmt::format("; and {} more", details.size() - kMaxShown);
  return message;
}

Status WithPaths(const Status& status) {
  return Status(status.code(), MessageWithPaths(status), status.details());
}

}  // namespace

std::string VideoKey(const std::string& job_id, const std::string& format) {
  return fmt::format("videos/{}.{}", job_id, format.empty() ? "mp4" : format);
}

std::string PosterKey(const std::string& job_id) { return fmt::format("videos/{}.jpg", job_id); }

JobReport RunRenderJob(const queue::Job& job, queue::JobContext& context,
                       const RenderJobSettings& settings, const RenderJobEnv& env) {
  const auto started = std::chrono::steady_clock::now();
  auto report_progress = [&](int value) {
    Status s = context.ReportProgress(value);
    if (!s.ok()) {
      obs::Log(obs::Level::kDebug, "worker.progress_not_stored",
               {{"job", job.id}, {"error", s.ToString()}});
    }
  };
  auto failed = [&](Status error, queue::Retry retry) {
    JobReport report;
    const bool again =
        retry == queue::Retry::kAllowed && queue::ShouldRetry(job.options, job.attempts_made);
    report.ending = again ? Ending::kFailedRetry : Ending::kFailedFinal;
    report.outcome = queue::JobOutcome::Failed(std::move(error), retry);
    return report;
  };
  auto stopped = [&](StopReason reason) {
    JobReport report;
    switch (reason) {
      case StopReason::kCancelled:
        report.ending = Ending::kCancelled;
        report.outcome = queue::JobOutcome::Failed(Error(ErrorCode::kCancelled, "cancelled"),
                                                   queue::Retry::kNever);
        return report;
      case StopReason::kTimeout:
        return failed(Error(ErrorCode::kTimeout,
                            fmt::format("The render took longer than JOB_TIMEOUT_MS ({} ms).",
                                        settings.job_timeout_ms)),
                      queue::Retry::kAllowed);
      case StopReason::kHandBack:
      case StopReason::kLockLost:
      case StopReason::kNone:
        break;
    }
    // Shutdown: kCancelled makes the consumer hand the job back to wait. A lost lock: the
    // finish is refused anyway; another worker owns the job now.
    report.ending = Ending::kHandedBack;
    report.outcome = queue::JobOutcome::Failed(
        Error(ErrorCode::kCancelled, reason == StopReason::kLockLost ? "lock lost" : "shutdown"),
        queue::Retry::kAllowed);
    return report;
  };

  report_progress(10);

  // The job carries its template: load it again, exactly as the API validated it. A foreign
  // producer's bad data fails the job for good.
  const nlohmann::json& data = job.data;
  if (!data.is_object() || !data.contains("template") || !data["template"].is_object()) {
    return failed(Error(ErrorCode::kInvalidTemplate, "The job's data has no template object."),
                  queue::Retry::kNever);
  }
  nlohmann::json template_json = data["template"];
  if (data.contains("output") && !data["output"].is_null()) {
    if (!data["output"].is_object()) {
      return failed(Error(ErrorCode::kInvalidTemplate, "The job's output must be an object."),
                    queue::Retry::kNever);
    }
    if (!template_json.contains("output") || !template_json["output"].is_object()) {
      template_json["output"] = nlohmann::json::object();
    }
    template_json["output"].merge_patch(data["output"]);
  }
  nlohmann::json input = nlohmann::json::object();
  if (data.contains("input") && !data["input"].is_null()) {
    if (!data["input"].is_object()) {
      return failed(Error(ErrorCode::kInvalidTemplate, "The job's input must be an object."),
                    queue::Retry::kNever);
    }
    input = data["input"];
  }
  const tmpl::Limits& limits = settings.limits;
  Result<tmpl::Template> loaded = tmpl::Load(template_json, input, limits);
  if (!loaded.ok()) return failed(WithPaths(loaded.error()), queue::Retry::kNever);
  const tmpl::Template& t = *loaded;

  auto folder = TempFolder::Create(settings.temp_dir);
  if (!folder.ok()) return failed(folder.error(), queue::Retry::kAllowed);
  const fs::path video_path = (*folder)->path() / ("video." + t.output.format);
  const fs::path poster_path = (*folder)->path() / "poster.jpg";

  assets::AssetOptions asset_options;
  asset_options.base_dir = settings.asset_dir;
  asset_options.allow_local_paths = !settings.asset_dir.empty();
  asset_options.confine_to_base_dir = true;
  asset_options.allow_private_addresses = settings.allow_private_urls;
  asset_options.max_bytes = limits.asset_bytes;
  asset_options.max_image_pixels = limits.image_pixels;
  asset_options.temp_dir = (*folder)->path().string();
  auto assets = std::make_unique<assets::AssetCache>(asset_options);

  Watcher watcher(
      context, env,
      started + std::chrono::milliseconds(std::max<int64_t>(settings.job_timeout_ms, 1)));
  JobReport report;
  int last_value = 10;
  auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  render::RenderOptions options;
  options.output_path = video_path.string();
  options.poster_path = poster_path.string();
  options.threads = settings.render_threads;
  options.cancel = watcher.flag();
  options.on_progress = [&](const render::Progress& p) {
    report.render_fps = p.fps;
    const auto now = std::chrono::steady_clock::now();
    if (last_value < 30) {  // the first frame: assets are fetched and decoded
      last_value = 30;
      last_report = now;
      report_progress(30);
      return;
    }
    const int64_t total = std::max<int64_t>(p.frames_total, 1);
    // 30…80 over the frames: one step is 2 % of the frames; at most 10 updates a second.
    const int value = 30 + static_cast<int>(50 * std::min<int64_t>(p.frames_done, total) / total);
    if (value > last_value && now - last_report >= std::chrono::milliseconds(100)) {
      last_value = value;
      last_report = now;
      report_progress(value);
    }
  };
  Result<render::RenderResult> rendered = render::RenderVideo(t, *assets, limits, options);
  if (!rendered.ok()) {
    StopReason reason = watcher.Stop();
    if (reason != StopReason::kNone) return stopped(reason);
    const Status& error = rendered.error();
    Status kept = WithPaths(error);
    obs::Log(obs::Level::kWarn, "worker.render_failed",
             {{"job", job.id}, {"error", kept.ToString()}});
    switch (error.code()) {
      case ErrorCode::kAssetUnavailable:
        return failed(
            kept, assets->HasRetryableFailure() ? queue::Retry::kAllowed : queue::Retry::kNever);
      case ErrorCode::kLimitExceeded:
      case ErrorCode::kInvalidTemplate:
      case ErrorCode::kInvalidArgument:
        return failed(kept, queue::Retry::kNever);
      default:
        return failed(kept, queue::Retry::kAllowed);
    }
  }
  report_progress(90);

  const std::string video_key = VideoKey(job.id, t.output.format);
  const std::string poster_key = PosterKey(job.id);
  // The upload moves progress from 90 towards 100 (a large video to a cloud store takes a
  // while). A store may report from its own upload threads: one report at a time.
  std::mutex upload_mutex;
  int upload_reported = 90;
  auto upload_last_report = std::chrono::steady_clock::now();
  auto on_upload = [&](int64_t done, int64_t total) {
    if (total <= 0) return;
    const int value = 90 + static_cast<int>(9 * std::clamp<int64_t>(done, 0, total) / total);
    std::lock_guard lock(upload_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (value > upload_reported && now - upload_last_report >= std::chrono::milliseconds(200)) {
      upload_reported = value;
      upload_last_report = now;
      report_progress(value);
    }
  };
  Status put = env.store->Put(video_key, video_path.string(), "video/mp4", on_upload);
  if (put.ok()) put = env.store->Put(poster_key, poster_path.string(), "image/jpeg");
  StopReason reason = watcher.Stop();
  if (!put.ok() || reason == StopReason::kCancelled || reason == StopReason::kLockLost) {
    // Nothing half-stored stays behind.
    (void)env.store->Delete(video_key);
    (void)env.store->Delete(poster_key);
    if (reason != StopReason::kNone) return stopped(reason);
    obs::Log(obs::Level::kWarn, "worker.store_failed",
             {{"job", job.id}, {"error", put.ToString()}});
    return failed(Status(ErrorCode::kStorageUnavailable, put.message()), queue::Retry::kAllowed);
  }
  report_progress(100);

  nlohmann::json result = {
      {"storageKey", video_key},           {"thumbnailKey", poster_key},
      {"sizeBytes", rendered->size_bytes}, {"durationSec", rendered->duration_seconds},
      {"width", rendered->width},          {"height", rendered->height},
      {"fps", FpsJson(rendered->fps)},     {"format", t.output.format}};
  report.ending = Ending::kCompleted;
  report.outcome = queue::JobOutcome::Completed(std::move(result));
  obs::Log(obs::Level::kInfo, "worker.job_rendered",
           {{"job", job.id},
            {"frames", static_cast<long long>(rendered->frames)},
            {"fps", report.render_fps},
            {"bytes", static_cast<long long>(rendered->size_bytes)},
            {"seconds",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()}});
  return report;
}

}  // namespace vg::worker
