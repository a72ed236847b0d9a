// The mix: PeakLimiter, then AudioMixer. AudioMixer has one Voice per clip (its AudioClipStream
// plus the gains that shape it), summed per block into the PeakLimiter. The limiter delays by
// kLookahead, so the mix runs that far ahead of the output; a FIFO holds the limited block until
// Mix hands it out. A call that does not continue the previous one restarts the limiter
// PeakLimiter::kHistory samples earlier, which reproduces a sequential run exactly from the
// requested sample on.
#include "render/audio_mix.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "base/rational.h"
#include "obs/log.h"
#include "render/audio_decoder.h"

namespace vg::render {
namespace {

constexpr int kBlockFrames = 1024;
// Ramp length where a clip cuts into its source (after a trim, or before the source's end):
// long enough to avoid a click, short enough to be inaudible as a fade.
constexpr int kDeclickFrames = 96;  // 2 ms
constexpr double kMaxVolume = 4.0;

Status ClipError(const std::string& path, ErrorCode code, const std::string& message) {
  return Status(code, fmt::format("{}: {}", path, message), {{path, message}});
}

}  // namespace

// ---- PeakLimiter ----
// PeakLimiter. Per input frame m (indices count from the last Reset; earlier frames are
// silence):
//   required(m) = min(1, ceiling / max(|L|, |R|))                      the gain frame m needs
//   held(p)     = min required over [p − H, p + H]                    hold, p = m − H
//   attack(k)   = min over j in [k, k + A] of held(j) + (j − k) / A   ramps down ahead, k = p − A
//   release(k)  = min over j <= k of held(j) + (k − j) / R            ramps up behind
//   gain(k)     = min(1, attack(k), release(k))
//   smooth(n)   = mean of gain over [n − H, n + H]                    n = k − H = m − kLookahead
//   out(n)      = in(n) × smooth(n)
// smooth(n) <= required(n) because every gain in its window is <= held(·) <= required(n). The
// ramps are linear with fixed slopes, so a candidate beaten once stays beaten: attack is a
// sliding-window minimum over a monotonic deque and release needs one candidate. All arithmetic
// uses index differences, so the result does not depend on where Reset happened once kHistory
// frames have passed.
namespace {

constexpr double kAttackSlope = 1.0 / PeakLimiter::kAttackFrames;
constexpr double kReleaseSlope = 1.0 / PeakLimiter::kReleaseFrames;
constexpr int kWindow = 2 * PeakLimiter::kHoldFrames + 1;

// Rings are powers of two, so an index (negative before the first frames) maps with a mask.
constexpr int64_t kDelayRing = 512;  // > kLookahead
constexpr int64_t kHeldRing = 256;   // > kAttackFrames
constexpr int64_t kGainRing = 128;   // > kWindow
static_assert(kDelayRing > PeakLimiter::kLookahead && kHeldRing > PeakLimiter::kAttackFrames &&
              kGainRing > kWindow);

size_t Ring(int64_t index, int64_t size) { return static_cast<size_t>(index & (size - 1)); }

}  // namespace

PeakLimiter::PeakLimiter() { Reset(); }

void PeakLimiter::Reset() {
  pushed_ = 0;
  delay_.assign(2 * kDelayRing, 0.0f);
  held_.assign(kHeldRing, 1.0);
  gain_.assign(kGainRing, 1.0);
  hold_.clear();
  attack_.clear();
  has_release_ = false;
  release_ = {0, 1.0};
  reduced_in_window_ = 0;
}

double PeakLimiter::SmoothedGain() {
  if (reduced_in_window_ == 0) return 1.0;
  // k = pushed_ − 1 − H − A is the newest gain; the window is [k − 2H, k], summed oldest first.
  const int64_t k = pushed_ - 1 - kHoldFrames - kAttackFrames;
  double sum = 0;
  for (int64_t j = k - 2 * kHoldFrames; j <= k; ++j) sum += gain_[Ring(j, kGainRing)];
  return std::min(1.0, sum / kWindow);
}

void PeakLimiter::Process(const float* in, float* out, int count) {
  for (int i = 0; i < count; ++i) {
    const int64_t m = pushed_++;
    const float left = in[2 * i];
    const float right = in[2 * i + 1];
    const size_t slot = Ring(m, kDelayRing);
    delay_[2 * slot] = left;
    delay_[2 * slot + 1] = right;

    // Hold: sliding minimum of the required gain over [m − 2H, m], centred on p = m − H.
    const double peak =
        std::max(std::abs(static_cast<double>(left)), std::abs(static_cast<double>(right)));
    if (peak > kCeiling) {
      const double required = kCeiling / peak;
      while (!hold_.empty() && hold_.back().gain >= required) hold_.pop_back();
      hold_.push_back({m, required});
    }
    while (!hold_.empty() && hold_.front().index < m - 2 * kHoldFrames) hold_.pop_front();
    const int64_t p = m - kHoldFrames;
    const double held = hold_.empty() ? 1.0 : hold_.front().gain;
    held_[Ring(p, kHeldRing)] = held;

    // Attack: gains ramp down over kAttackFrames before each held frame.
    if (held < 1.0) {
      while (!attack_.empty() && attack_.back().gain - held >=
                                     static_cast<double>(p - attack_.back().index) * kAttackSlope) {
        attack_.pop_back();
      }
      attack_.push_back({p, held});
    }
    const int64_t k = p - kAttackFrames;
    while (!attack_.empty() && attack_.front().index < k) attack_.pop_front();
    double gain = 1.0;
    if (!attack_.empty()) {
      gain = attack_.front().gain + static_cast<double>(attack_.front().index - k) * kAttackSlope;
    }

    // Release: gains ramp up over kReleaseFrames after each held frame.
    const double held_k = held_[Ring(k, kHeldRing)];
    if (has_release_ &&
        release_.gain + static_cast<double>(k - release_.index) * kReleaseSlope >= 1.0) {
      has_release_ = false;
    }
    if (held_k < 1.0 &&
        (!has_release_ ||
         held_k <= release_.gain + static_cast<double>(k - release_.index) * kReleaseSlope)) {
      release_ = {k, held_k};
      has_release_ = true;
    }
    if (has_release_) {
      gain =
          std::min(gain, release_.gain + static_cast<double>(k - release_.index) * kReleaseSlope);
    }
    gain = std::min(gain, 1.0);

    // Smoothing window bookkeeping: gain(k) enters, gain(k − 2H − 1) leaves.
    const size_t leaving = Ring(k - kWindow, kGainRing);
    if (gain_[leaving] < 1.0) --reduced_in_window_;
    gain_[leaving] = 1.0;  // beyond the window it no longer counts
    const size_t entering = Ring(k, kGainRing);
    gain_[entering] = gain;
    if (gain < 1.0) ++reduced_in_window_;

    // Output frame n = m − kLookahead.
    const int64_t n = m - kLookahead;
    if (n < 0) {
      out[2 * i] = 0.0f;
      out[2 * i + 1] = 0.0f;
      continue;
    }
    const size_t from = Ring(n, kDelayRing);
    const double smooth = SmoothedGain();
    if (smooth == 1.0) {
      out[2 * i] = delay_[2 * from];
      out[2 * i + 1] = delay_[2 * from + 1];
    } else {
      out[2 * i] = static_cast<float>(delay_[2 * from] * smooth);
      out[2 * i + 1] = static_cast<float>(delay_[2 * from + 1] * smooth);
    }
  }
}

// ---- AudioMixer ----

struct AudioMixer::Voice {
  AudioSource source;
  std::unique_ptr<AudioClipStream> stream;
  int64_t start = 0;  // timeline samples, [start, end) clipped to the video
  int64_t end = 0;
  int64_t fade_in = 0;  // samples
  int64_t fade_out = 0;
  bool declick_start = false;
  bool declick_end = false;
};

Result<double> ProbeAudioDurationSeconds(const std::string& bytes) {
  VG_ASSIGN_OR_RETURN(AudioFileInfo info, ProbeAudioFile(bytes));
  return static_cast<double>(info.length_samples) / info.sample_rate;
}

AudioMixer::~AudioMixer() = default;

Result<std::unique_ptr<AudioMixer>> AudioMixer::Create(std::vector<AudioSource> sources,
                                                       int64_t total_samples) {
  if (total_samples < 0) return Status(ErrorCode::kInvalidArgument, "negative audio length");
  auto mixer = std::unique_ptr<AudioMixer>(new AudioMixer());
  mixer->total_samples_ = total_samples;
  const Rational rate(kAudioSampleRate, 1);
  for (auto& source : sources) {
    const std::string& path = source.path;
    if (!(source.volume >= 0 && source.volume <= kMaxVolume)) {
      return ClipError(path, ErrorCode::kInvalidArgument, "volume must be within 0..4");
    }
    if (!(source.trim_s >= 0) || !(source.fade_in_s >= 0) || !(source.fade_out_s >= 0)) {
      return ClipError(path, ErrorCode::kInvalidArgument, "trim and fades must be >= 0");
    }
    if (source.length_samples && *source.length_samples < 0) {
      return ClipError(path, ErrorCode::kInvalidArgument, "negative clip length");
    }
    auto stream = AudioClipStream::Create(source.bytes, source.trim_s, source.loop);
    if (!stream.ok()) {
      return ClipError(path, stream.error().code(), stream.error().message());
    }
    Voice voice;
    voice.stream = std::move(*stream);
    voice.start = source.start_sample;
    const int64_t natural_end = voice.start + voice.stream->pass_length();
    int64_t end = source.length_samples ? voice.start + *source.length_samples
                  : source.loop         ? total_samples
                                        : natural_end;
    end = std::min(end, total_samples);
    voice.end = end;
    voice.fade_in = RoundTimeToIndex(source.fade_in_s, rate);
    voice.fade_out = RoundTimeToIndex(source.fade_out_s, rate);
    voice.declick_start = voice.stream->trim_samples() > 0;
    voice.declick_end = source.loop || end < natural_end;
    voice.source = std::move(source);
    if (voice.end > voice.start && voice.end > 0) mixer->voices_.push_back(std::move(voice));
  }
  mixer->block_.resize(2 * kBlockFrames);
  mixer->voice_buffer_.resize(2 * kBlockFrames);
  mixer->Reposition(0);
  return mixer;
}

AudioMixerStats AudioMixer::stats() const {
  AudioMixerStats stats;
  for (const auto& voice : voices_) {
    stats.decoded_source_samples += voice.stream->decoded_samples();
    stats.buffered_frames += voice.stream->buffered_frames();
  }
  return stats;
}

void AudioMixer::Reposition(int64_t first_sample) {
  const int64_t from = std::max<int64_t>(0, first_sample - PeakLimiter::kHistory);
  limiter_.Reset();
  mixed_until_ = from;
  fifo_.clear();
  fifo_offset_ = 0;
  next_output_ = first_sample;
}

// Sums every voice over timeline [first, first + count) into `sum`.
Status AudioMixer::MixBlock(int64_t first, int count, float* sum) {
  std::fill(sum, sum + 2 * static_cast<size_t>(count), 0.0f);
  for (auto& voice : voices_) {
    const int64_t from = std::max(first, voice.start);
    const int64_t to = std::min(first + count, voice.end);
    if (from >= to) continue;
    const auto frames = static_cast<int>(to - from);
    const int64_t clip_index = from - voice.start;
    Status status = voice.stream->Seek(clip_index);
    if (status.ok()) status = voice.stream->Read(voice_buffer_.data(), frames);
    if (!status.ok()) {
      obs::Log(obs::Level::kError, "audio.source_failed",
               {{"path", voice.source.path}, {"error", status.ToString()}});
      return ClipError(voice.source.path, ErrorCode::kAssetUnavailable,
                       "the audio could not be decoded: " + status.message());
    }
    const AudioSource& source = voice.source;
    float* target = sum + 2 * (from - first);
    for (int i = 0; i < frames; ++i) {
      const int64_t k = clip_index + i;               // samples since the clip's start
      const int64_t to_end = voice.end - (from + i);  // samples until the clip's end, >= 1
      double gain = source.volume;
      if (source.volume_curve) {
        gain = std::clamp(source.volume_curve(static_cast<double>(k) / kAudioSampleRate), 0.0,
                          kMaxVolume);
        if (std::isnan(gain)) gain = 0;
      }
      double in = 1.0;
      if (voice.fade_in > 0 && k < voice.fade_in) {
        in = static_cast<double>(k) / static_cast<double>(voice.fade_in);
      }
      if (voice.declick_start && k < kDeclickFrames) {
        in = std::min(in, static_cast<double>(k + 1) / (kDeclickFrames + 1));
      }
      double out = 1.0;
      if (voice.fade_out > 0 && to_end < voice.fade_out) {
        out = static_cast<double>(to_end) / static_cast<double>(voice.fade_out);
      }
      if (voice.declick_end && to_end <= kDeclickFrames) {
        out = std::min(out, static_cast<double>(to_end) / (kDeclickFrames + 1));
      }
      gain *= in * out;
      float left = voice_buffer_[2 * static_cast<size_t>(i)];
      float right = voice_buffer_[2 * static_cast<size_t>(i) + 1];
      if (!std::isfinite(left)) left = 0;
      if (!std::isfinite(right)) right = 0;
      if (gain != 1.0) {
        left = static_cast<float>(left * gain);
        right = static_cast<float>(right * gain);
      }
      target[2 * i] += left;
      target[2 * i + 1] += right;
    }
  }
  // A sum of finite samples can still overflow to infinity: keep the limiter's input finite.
  for (int i = 0; i < 2 * count; ++i) {
    if (!std::isfinite(sum[i])) sum[i] = std::signbit(sum[i]) ? -1e30f : 1e30f;
  }
  return Status::Ok();
}

Status AudioMixer::Mix(int64_t first_sample, int count, float* out) {
  if (first_sample < 0 || count < 0) {
    return Status(ErrorCode::kInvalidArgument, "audio range out of bounds");
  }
  if (first_sample != next_output_) Reposition(first_sample);
  while (count > 0) {
    const auto available = static_cast<int64_t>(fifo_.size() / 2 - fifo_offset_);
    if (available > 0) {
      const int n = static_cast<int>(std::min<int64_t>(available, count));
      std::copy_n(fifo_.data() + 2 * fifo_offset_, 2 * n, out);
      for (int i = 0; i < 2 * n; ++i) out[i] = std::clamp(out[i], -1.0f, 1.0f);
      fifo_offset_ += static_cast<size_t>(n);
      out += 2 * n;
      count -= n;
      next_output_ += n;
      continue;
    }
    // Mix and limit the next block; keep what lies at or after next_output_.
    VG_RETURN_IF_ERROR(MixBlock(mixed_until_, kBlockFrames, block_.data()));
    fifo_.resize(2 * kBlockFrames);
    limiter_.Process(block_.data(), fifo_.data(), kBlockFrames);
    const int64_t block_start = mixed_until_ - PeakLimiter::kLookahead;
    mixed_until_ += kBlockFrames;
    fifo_offset_ =
        static_cast<size_t>(std::clamp<int64_t>(next_output_ - block_start, 0, kBlockFrames));
  }
  return Status::Ok();
}

}  // namespace vg::render
