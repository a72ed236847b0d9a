// RunRenderJob: what a worker does with one render job (API.md "Progress", "Assets in service
// jobs", "Worker lifecycle"): progress 10 → parse and load the template carried in the job →
// render into a private temporary folder (assets fetched as the timeline is built; progress
// 30…80 by frames, every 2 % of frames but at most 10 updates a second) → 90 → store the video
// and its poster under "videos/<jobId>.mp4" / ".jpg" → 100 → the job's return value. Cancel,
// timeout and shutdown stop the render between frames; the temporary folder is always removed.
//
// Thread safety: RunRenderJob may run concurrently on many threads (one per job); everything
// it touches is either per call or borrowed and thread-safe (BlobStore, JobContext).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/clock.h"
#include "config/config.h"
#include "queue/consumer.h"
#include "queue/job.h"
#include "storage/blob_store.h"

namespace vg::worker {

// How a job attempt ended, beyond the queue outcome: what the worker reports and whether the
// job is final (a webhook is sent only for final outcomes).
enum class Ending {
  kCompleted,
  kFailedRetry,  // failed; the queue runs it again
  kFailedFinal,  // failed for good
  kCancelled,    // cancelled through the API
  kHandedBack,   // stopped by shutdown: back to wait, runs again elsewhere
};

struct JobReport {
  queue::JobOutcome outcome;
  Ending ending = Ending::kFailedFinal;
  double render_fps = 0;  // frames per second of the render, when it ran
};

struct RenderJobSettings {
  config::Limits limits;
  std::string asset_dir;  // ASSET_DIR: local src paths allowed only inside it; "" = refused
  bool allow_private_urls = false;
  int64_t job_timeout_ms = 1800000;
  // Where the per-job temporary folders go ("" = the system's temporary folder).
  std::string temp_dir;
  int render_threads = 0;  // 0 = the number of cores
};

// Borrowed state shared by the jobs of one worker.
struct RenderJobEnv {
  storage::BlobStore* store = nullptr;  // required
  const Clock* clock = nullptr;         // required
  // Set by Worker::Shutdown: from this instant, a job still running stops and is handed back.
  const std::atomic<int64_t>* hand_back_at_unix_ms = nullptr;  // 0 = not shutting down
};

// Runs `job` (a render job in the shape of API.md "Queue") to its outcome. Never throws.
JobReport RunRenderJob(const queue::Job& job, queue::JobContext& context,
                       const RenderJobSettings& settings, const RenderJobEnv& env);

// The storage keys of a job's video and poster.
std::string VideoKey(const std::string& job_id, const std::string& format);
std::string PosterKey(const std::string& job_id);

}  // namespace vg::worker
