// The render pipeline (RenderVideo):
//
//   render threads ×N ──(frame f drawn, converted to YUV)──▶ reorder slots (bounded window)
//        ▲ claim f < next_to_encode + window                    │ in order
//        └──────────────────────────────────────────── encoder thread (the caller's):
//                                                      x264 (own threads) → MP4 muxer,
//                                                      audio mixed in step with the video
//
//   audio thread ──(frame f's audio: mixed, AAC-encoded)──▶ bounded queue ──▶ encoder thread
//                                                            writes them after frame f's video
//
// Each render thread owns a Canvas and draws whole frames (RenderFrame is pure), then converts
// its frame to YUV itself, so drawing and conversion scale with the threads and the encoder
// thread only encodes. The window bounds memory: at most `window` frames are in flight however
// long the video is. The audio thread mixes and encodes ahead of the video (AAC costs as much
// as a good part of a draft render); the encoder thread writes each frame's audio packets
// right after that frame's video, so the file is the same as if one thread did both. Cancel
// and errors stop the threads between frames.
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "obs/log.h"
#include "render/audio_mix.h"
#include "render/compositor.h"
#include "render/encoder.h"
#include "render/render.h"
#include "render/still.h"
#include "render/timeline.h"

namespace vg::render {
namespace {

int ThreadCount(int requested) {
  if (requested > 0) return requested;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 2 : static_cast<int>(cores);
}

bool Cancelled(const RenderOptions& options) {
  return options.cancel && options.cancel->load(std::memory_order_relaxed);
}

Status CancelledStatus() { return Status(ErrorCode::kCancelled, "the render was interrupted"); }

// Frames in flight between the render threads and the encoder.
class ReorderWindow {
 public:
  ReorderWindow(FrameIndex first, FrameIndex end, int window)
      : next_claim_(first), next_encode_(first), end_(end), slots_(window, nullptr) {}

  // Claims the next frame to draw, waiting while the window is full. nullopt: stop.
  std::optional<FrameIndex> Claim() {
    std::unique_lock lock(mutex_);
    claim_cv_.wait(lock, [&] {
      return stopped_ || next_claim_ >= end_ ||
             next_claim_ < next_encode_ + static_cast<FrameIndex>(slots_.size());
    });
    if (stopped_ || next_claim_ >= end_) return std::nullopt;
    return next_claim_++;
  }

  void Put(FrameIndex f, VideoFrame* frame) {
    std::lock_guard lock(mutex_);
    slots_[Slot(f)] = frame;
    ready_cv_.notify_all();
  }

  // The next frame in order, waiting for it; nullptr when stopped.
  VideoFrame* TakeNext() {
    std::unique_lock lock(mutex_);
    ready_cv_.wait(lock, [&] { return stopped_ || slots_[Slot(next_encode_)] != nullptr; });
    if (stopped_) return nullptr;
    VideoFrame* frame = std::exchange(slots_[Slot(next_encode_)], nullptr);
    ++next_encode_;
    claim_cv_.notify_all();
    return frame;
  }

  void Stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    claim_cv_.notify_all();
    ready_cv_.notify_all();
  }

  // Frames still parked in slots after a stop (to return to the pool).
  std::vector<VideoFrame*> Drain() {
    std::lock_guard lock(mutex_);
    std::vector<VideoFrame*> left;
    for (auto*& s : slots_) {
      if (s) left.push_back(std::exchange(s, nullptr));
    }
    return left;
  }

 private:
  size_t Slot(FrameIndex f) const { return static_cast<size_t>(f % static_cast<FrameIndex>(slots_.size())); }

  std::mutex mutex_;
  std::condition_variable claim_cv_, ready_cv_;
  FrameIndex next_claim_, next_encode_, end_;
  std::vector<VideoFrame*> slots_;
  bool stopped_ = false;
};

// Each video frame's audio packets, from the audio thread to the encoder thread, in frame
// order; at most `capacity` frames ahead.
class AudioQueue {
 public:
  struct Batch {
    Status status;
    AudioPackets packets;
  };

  explicit AudioQueue(size_t capacity) : capacity_(capacity) {}

  // Waits for room; false when stopped (the batch is dropped).
  bool Push(Batch batch) {
    std::unique_lock lock(mutex_);
    room_cv_.wait(lock, [&] { return stopped_ || batches_.size() < capacity_; });
    if (stopped_) return false;
    batches_.push_back(std::move(batch));
    ready_cv_.notify_all();
    return true;
  }

  // The next batch, waiting for it.
  Batch Pop() {
    std::unique_lock lock(mutex_);
    ready_cv_.wait(lock, [&] { return !batches_.empty(); });
    Batch batch = std::move(batches_.front());
    batches_.pop_front();
    room_cv_.notify_all();
    return batch;
  }

  void Stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    room_cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_cv_, ready_cv_;
  std::deque<Batch> batches_;
  size_t capacity_;
  bool stopped_ = false;
};

Result<std::unique_ptr<Timeline>> BuildTimeline(const tmpl::Template& t, assets::AssetCache& assets,
                                                const tmpl::Limits& limits, int threads) {
  return Timeline::Build(t, assets, limits, threads);
}

}  // namespace

FrameIndex PosterFrame(FrameIndex frame_count, Rational fps) {
  return std::clamp<FrameIndex>(std::min(RoundTimeToIndex(1.0, fps), frame_count / 2), 0,
                                std::max<FrameIndex>(0, frame_count - 1));
}

Status RenderStill(const tmpl::Template& t, assets::AssetCache& assets, const tmpl::Limits& limits,
                   FrameIndex frame, const std::string& png_path) {
  VG_ASSIGN_OR_RETURN(auto timeline, BuildTimeline(t, assets, limits, ThreadCount(0)));
  if (frame < 0 || frame >= timeline->frame_count()) {
    return Status(ErrorCode::kInvalidArgument,
                  fmt::format("frame {} is outside the video (frames 0..{})", frame,
                              timeline->frame_count() - 1));
  }
  Canvas canvas(timeline->width(), timeline->height());
  RenderFrame(*timeline, frame, canvas);
  return WritePng(canvas.bitmap(), png_path);
}

Result<RenderResult> RenderVideo(const tmpl::Template& t, assets::AssetCache& assets,
                                 const tmpl::Limits& limits, const RenderOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  VG_ASSIGN_OR_RETURN(auto timeline_ptr,
                      BuildTimeline(t, assets, limits, ThreadCount(options.threads)));
  const Timeline& timeline = *timeline_ptr;
  FrameIndex first = 0, end = timeline.frame_count();
  if (options.frames) {
    first = options.frames->first;
    end = options.frames->second;
    if (first < 0 || end > timeline.frame_count() || first >= end) {
      return Status(ErrorCode::kInvalidArgument,
                    fmt::format("--frames {}:{} is outside the video's frames 0:{}", first, end,
                                timeline.frame_count()));
    }
  }
  if (Cancelled(options)) return CancelledStatus();

  bool has_audio = false;
  for (const auto& track : t.tracks) has_audio |= track.type == tmpl::ClipType::kAudio && !track.clips.empty();
  const int64_t first_sample = timeline.FrameToSample(first);
  std::unique_ptr<AudioMixer> mixer;
  if (has_audio) {
    VG_ASSIGN_OR_RETURN(mixer, AudioMixer::Create(timeline.audio(), timeline.FrameToSample(timeline.frame_count())));
  }

  const int threads = ThreadCount(options.threads);
  EncoderSettings settings;
  settings.path = TemporaryPathBeside(options.output_path);
  settings.width = timeline.width();
  settings.height = timeline.height();
  settings.fps = timeline.fps();
  settings.quality = t.output.quality;
  settings.crf = t.output.crf;
  settings.threads = threads;
  settings.audio = has_audio;
  auto encoder_or = Encoder::Open(settings);
  if (!encoder_or.ok()) {
    std::remove(settings.path.c_str());
    return encoder_or.error();
  }
  std::unique_ptr<Encoder> encoder = std::move(*encoder_or);

  // The audio thread: frame f's audio is the samples up to the start of frame f + 1; the last
  // frame's batch also holds the encoder's flush. It stops at the first error (that batch
  // carries it) or when the queue is stopped.
  AudioQueue audio_queue(64);
  std::thread audio_thread;
  if (mixer) {
    audio_thread = std::thread([&] {
      pthread_setname_np(pthread_self(), "vg-audio");
      std::vector<float> block;
      int64_t done = first_sample;
      for (FrameIndex f = first; f < end; ++f) {
        AudioQueue::Batch batch;
        const int64_t until = timeline.FrameToSample(f + 1);
        while (done < until && batch.status.ok()) {
          const int count = static_cast<int>(std::min<int64_t>(until - done, 4096));
          block.resize(2 * static_cast<size_t>(count));
          batch.status = mixer->Mix(done, count, block.data());
          if (batch.status.ok()) {
            batch.status = encoder->EncodeAudio(block.data(), count, batch.packets);
          }
          done += count;
        }
        if (batch.status.ok() && f + 1 == end) batch.status = encoder->FlushAudio(batch.packets);
        const bool failed = !batch.status.ok();
        if (!audio_queue.Push(std::move(batch)) || failed) return;
      }
    });
  }

  ReorderWindow window(first, end, 2 * threads + 2);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      pthread_setname_np(pthread_self(), fmt::format("vg-render-{}", i).c_str());
      // Drawing runs ahead of the encoder in a bounded window, while x264's calling thread
      // (its lookahead runs there: sync-lookahead=0) is the serial step every frame waits for.
      // On a machine with fewer cores than busy threads the scheduler should pick the encoder
      // first: the drawing threads step back (nice +10, per thread on Linux; a failure only
      // costs speed). Measured on 2 cores, 1080p standard: 4.7 s → 4.05 s; draft and high
      // unchanged or slightly faster. It also keeps a service's API threads ahead of renders.
      const auto tid = static_cast<id_t>(syscall(SYS_gettid));
      errno = 0;
      const int nice_now = getpriority(PRIO_PROCESS, tid);
      if (errno == 0) (void)setpriority(PRIO_PROCESS, tid, std::min(19, nice_now + 10));
      Canvas canvas(timeline.width(), timeline.height());
      while (auto f = window.Claim()) {
        RenderFrame(timeline, *f, canvas);
        VideoFrame* frame = encoder->AcquireFrame();
        ConvertBgraToYuv420Bt709(canvas.bitmap().pixels.data(), canvas.bitmap().stride,
                                 timeline.width(), timeline.height(), Encoder::Planes(frame));
        window.Put(*f, frame);
      }
    });
  }

  Status status;
  for (FrameIndex f = first; f < end && status.ok(); ++f) {
    if (Cancelled(options)) {
      status = CancelledStatus();
      break;
    }
    VideoFrame* frame = window.TakeNext();
    if (!frame) break;
    status = encoder->EncodeVideo(frame);
    if (!status.ok()) break;
    if (mixer) {
      AudioQueue::Batch batch = audio_queue.Pop();
      status = batch.status.ok() ? encoder->WriteAudio(batch.packets) : batch.status;
    }
    if (options.on_progress) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      Progress p;
      p.frames_done = f + 1 - first;
      p.frames_total = end - first;
      p.fps = elapsed > 0 ? p.frames_done / elapsed : 0;
      p.eta_seconds = p.fps > 0 ? (p.frames_total - p.frames_done) / p.fps : 0;
      options.on_progress(p);
    }
  }
  window.Stop();
  audio_queue.Stop();
  for (auto& w : workers) w.join();
  if (audio_thread.joinable()) audio_thread.join();
  for (VideoFrame* left : window.Drain()) encoder->ReleaseFrame(left);

  if (status.ok()) status = encoder->Finish();
  encoder.reset();
  if (!status.ok()) {
    std::remove(settings.path.c_str());
    return status;
  }
  if (!options.poster_path.empty()) {
    Canvas canvas(timeline.width(), timeline.height());
    RenderFrame(timeline, PosterFrame(timeline.frame_count(), timeline.fps()), canvas);
    Status poster = WriteJpegThumbnail(canvas.bitmap(), 640, options.poster_path);
    if (!poster.ok()) {
      std::remove(settings.path.c_str());
      return poster;
    }
  }
  VG_RETURN_IF_ERROR(CommitFile(settings.path, options.output_path));

  RenderResult result;
  result.frames = end - first;
  result.duration_seconds = IndexToSeconds(end - first, timeline.fps());
  result.width = timeline.width();
  result.height = timeline.height();
  result.fps = timeline.fps();
  result.has_audio = has_audio;
  std::error_code ec;
  result.size_bytes = static_cast<int64_t>(std::filesystem::file_size(options.output_path, ec));
  result.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  obs::Log(obs::Level::kDebug, "render.done",
           {{"frames", result.frames}, {"seconds", result.elapsed_seconds},
            {"fps", result.frames / std::max(1e-9, result.elapsed_seconds)}});
  return result;
}

}  // namespace vg::render
