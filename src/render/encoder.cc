// libavcodec/libavformat glue: the encode loop (send frame / receive packets), timestamp
// rescaling into the muxer's time bases, and AAC framing in 1024-sample blocks.
#include "render/encoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include <fmt/format.h>

#include "assets/libav_handles.h"
#include "base/c_handle.h"

namespace vg::render {
namespace {

using CodecPtr = av::CodecContextPtr;
using FramePtr = av::FramePtr;
using PacketPtr = av::PacketPtr;

std::string AvError(int code) {
  char buffer[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buffer, sizeof(buffer));
  return buffer;
}

Status Fail(std::string_view what, int code) {
  return Status(ErrorCode::kRenderFailed, fmt::format("{}: {}", what, AvError(code)));
}

}  // namespace

struct VideoFrame {
  FramePtr frame;
};

struct AudioPackets::List {
  std::vector<PacketPtr> packets;
};

AudioPackets::AudioPackets() : list_(std::make_unique<List>()) {}
AudioPackets::~AudioPackets() = default;
AudioPackets::AudioPackets(AudioPackets&&) noexcept = default;
AudioPackets& AudioPackets::operator=(AudioPackets&&) noexcept = default;

struct Encoder::State {
  EncoderSettings settings;
  AVFormatContext* format = nullptr;
  bool header_written = false;
  bool io_open = false;
  CodecPtr video;
  CodecPtr audio;
  AVStream* video_stream = nullptr;
  AVStream* audio_stream = nullptr;
  PacketPtr packet{av_packet_alloc()};        // the video side's
  PacketPtr audio_packet{av_packet_alloc()};  // the audio side's
  int64_t next_video_pts = 0;
  int64_t next_audio_pts = 0;
  FramePtr audio_frame;
  std::vector<float> pending;  // interleaved samples not yet in a full AAC frame
  std::mutex pool_mutex;
  std::vector<std::unique_ptr<VideoFrame>> pool;  // free frames

  ~State() {
    if (format) {
      if (io_open) avio_closep(&format->pb);
      avformat_free_context(format);
    }
  }

  // Drains encoded packets of one encoder into the muxer.
  Status Drain(AVCodecContext* codec, AVStream* stream) {
    for (;;) {
      int rc = avcodec_receive_packet(codec, packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status::Ok();
      if (rc < 0) return Fail("encoding failed", rc);
      VG_RETURN_IF_ERROR(Write(packet.get(), codec, stream));
    }
  }

  // Writes one packet of `stream`, its timestamps in `codec`'s time base.
  Status Write(AVPacket* p, AVCodecContext* codec, AVStream* stream) {
    av_packet_rescale_ts(p, codec->time_base, stream->time_base);
    p->stream_index = stream->index;
    const int rc = av_interleaved_write_frame(format, p);
    if (rc < 0) return Fail("writing the video file failed", rc);
    return Status::Ok();
  }

  // Audio side: moves the packets the AAC encoder has ready into `out`.
  Status CollectAudio(AudioPackets::List& out) {
    for (;;) {
      const int rc = avcodec_receive_packet(audio.get(), audio_packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return Status::Ok();
      if (rc < 0) return Fail("encoding failed", rc);
      PacketPtr moved(av_packet_alloc());
      av_packet_move_ref(moved.get(), audio_packet.get());
      out.packets.push_back(std::move(moved));
    }
  }

  Status SendAudioFrame(int samples, AudioPackets::List& out) {
    int rc = av_frame_make_writable(audio_frame.get());
    if (rc < 0) return Fail("audio frame", rc);
    audio_frame->nb_samples = samples;
    auto* left = reinterpret_cast<float*>(audio_frame->data[0]);
    auto* right = reinterpret_cast<float*>(audio_frame->data[1]);
    for (int i = 0; i < samples; ++i) {
      left[i] = pending[2 * i];
      right[i] = pending[2 * i + 1];
    }
    pending.erase(pending.begin(), pending.begin() + 2 * samples);
    audio_frame->pts = next_audio_pts;
    next_audio_pts += samples;
    rc = avcodec_send_frame(audio.get(), audio_frame.get());
    if (rc < 0) return Fail("audio encoding failed", rc);
    return CollectAudio(out);
  }
};

const char* X264Preset(tmpl::Quality quality) {
  switch (quality) {
    case tmpl::Quality::kDraft: return "ultrafast";
    case tmpl::Quality::kStandard: return "veryfast";
    case tmpl::Quality::kHigh: return "medium";
  }
  return "veryfast";
}

int DefaultCrf(tmpl::Quality quality) {
  switch (quality) {
    case tmpl::Quality::kDraft: return 28;
    case tmpl::Quality::kStandard: return 23;
    case tmpl::Quality::kHigh: return 18;
  }
  return 23;
}

namespace {

// x264's frame threads for `threads` render threads: twice as many (one alone stays one).
// The lookahead runs on the calling thread (sync-lookahead=0, below), a serial step each frame;
// with only as many frame threads as cores, the frames in flight were too few to keep the
// cores busy around it (10-15 % idle through a 1080p render on 2 cores, the drawing threads
// waiting on a full window). Four frame threads on 2 cores: idle 3-5 %, 1080p standard ~4 %
// faster, high ~10 %, draft ~3 %. Frame threads are deterministic in x264 (a given count gives
// the same bytes); the count depends on --threads only, never on the machine.
int X264FrameThreads(int threads) { return threads <= 1 ? 1 : std::min(2 * threads, 16); }

}  // namespace

Encoder::Encoder(std::unique_ptr<State> state) : state_(std::move(state)) {}
Encoder::~Encoder() = default;

Result<std::unique_ptr<Encoder>> Encoder::Open(const EncoderSettings& settings) {
  // libav's own chatter (x264's statistics) would garble the CLI's progress output; our
  // errors carry libav's messages themselves.
  static std::once_flag quiet_logs;
  std::call_once(quiet_logs, [] { av_log_set_level(AV_LOG_ERROR); });
  auto state = std::make_unique<State>();
  state->settings = settings;
  int rc = avformat_alloc_output_context2(&state->format, nullptr, "mp4", settings.path.c_str());
  if (rc < 0 || !state->format) return Fail("cannot create the MP4 muxer", rc);
  state->format->flags |= AVFMT_FLAG_BITEXACT;

  // Video: libx264, High profile, BT.709 limited range.
  const AVCodec* h264 = avcodec_find_encoder_by_name("libx264");
  if (!h264) return Status(ErrorCode::kRenderFailed, "this FFmpeg build has no libx264 encoder");
  state->video.reset(avcodec_alloc_context3(h264));
  AVCodecContext* v = state->video.get();
  v->width = settings.width;
  v->height = settings.height;
  v->pix_fmt = AV_PIX_FMT_YUV420P;
  v->time_base = AVRational{static_cast<int>(settings.fps.den), static_cast<int>(settings.fps.num)};
  v->framerate = AVRational{static_cast<int>(settings.fps.num), static_cast<int>(settings.fps.den)};
  v->color_primaries = AVCOL_PRI_BT709;
  v->color_trc = AVCOL_TRC_BT709;
  v->colorspace = AVCOL_SPC_BT709;
  v->color_range = AVCOL_RANGE_MPEG;
  v->chroma_sample_location = AVCHROMA_LOC_LEFT;
  v->thread_count = X264FrameThreads(settings.threads);
  v->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
  v->gop_size = static_cast<int>(std::clamp<int64_t>(settings.fps.num / settings.fps.den * 2, 1, 600));
  AVDictionary* options = nullptr;
  av_dict_set(&options, "preset", X264Preset(settings.quality), 0);
  av_dict_set(&options, "crf", std::to_string(settings.crf.value_or(DefaultCrf(settings.quality))).c_str(), 0);
  av_dict_set(&options, "profile", "high", 0);
  // ultrafast turns the 8×8 transform off, which would make the stream Baseline; keep High.
  // sync-lookahead=0: x264's lookahead (frame types, MB-tree) runs in the calling thread, not
  // in a thread of its own. With that thread, renders of one template on a loaded machine
  // came out different in 2-5 % of runs (other B/P decisions and QPs, the same frames given
  // to x264), breaking "same input and --threads → same bytes"; without it none of 315 such
  // runs differed.
  // lookahead-threads=<threads>: that lookahead, now on the calling thread, is the serial step
  // of every frame; x264 splits its analysis of each frame into row slices on that many
  // threads, deterministically (300 frames of 1080p, loaded machine: same bytes every run).
  // 1080p on 2 cores: standard 4.3 s → 3.9 s, high 15.6 s → 13.9 s; files 0.1-0.2 % smaller.
  const std::string x264_params =
      fmt::format("8x8dct=1:sync-lookahead=0:lookahead-threads={}",
                  std::clamp(settings.threads, 1, 16));
  av_dict_set(&options, "x264-params", x264_params.c_str(), 0);
  rc = avcodec_open2(v, h264, &options);
  av_dict_free(&options);
  if (rc < 0) return Fail("cannot open the H.264 encoder", rc);
  state->video_stream = avformat_new_stream(state->format, nullptr);
  state->video_stream->time_base = v->time_base;
  state->video_stream->avg_frame_rate = v->framerate;
  avcodec_parameters_from_context(state->video_stream->codecpar, v);

  if (settings.audio) {
    const AVCodec* aac = avcodec_find_encoder(AV_CODEC_ID_AAC);
    if (!aac) return Status(ErrorCode::kRenderFailed, "this FFmpeg build has no AAC encoder");
    state->audio.reset(avcodec_alloc_context3(aac));
    AVCodecContext* a = state->audio.get();
    a->sample_fmt = AV_SAMPLE_FMT_FLTP;
    a->sample_rate = 48000;
    a->bit_rate = 192000;
    a->time_base = AVRational{1, 48000};
    a->profile = FF_PROFILE_AAC_LOW;
    a->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
    av_channel_layout_default(&a->ch_layout, 2);
    // The "fast" coder (constant quantiser search) instead of the default two-loop search:
    // at 192 kb/s it is as close to the source (bench music: 45.4 dB SNR against 44.9) and
    // costs half the CPU (a 10 s stereo track: 0.5 → 0.27 core-s), which at 1080p standard
    // is 3 % of a render that the video encoder and the drawing share.
    AVDictionary* audio_options = nullptr;
    av_dict_set(&audio_options, "aac_coder", "fast", 0);
    rc = avcodec_open2(a, aac, &audio_options);
    av_dict_free(&audio_options);
    if (rc < 0) return Fail("cannot open the AAC encoder", rc);
    state->audio_stream = avformat_new_stream(state->format, nullptr);
    state->audio_stream->time_base = a->time_base;
    avcodec_parameters_from_context(state->audio_stream->codecpar, a);
    state->audio_frame.reset(av_frame_alloc());
    state->audio_frame->format = AV_SAMPLE_FMT_FLTP;
    state->audio_frame->sample_rate = 48000;
    av_channel_layout_default(&state->audio_frame->ch_layout, 2);
    state->audio_frame->nb_samples = a->frame_size;
    rc = av_frame_get_buffer(state->audio_frame.get(), 0);
    if (rc < 0) return Fail("audio buffer", rc);
  }

  rc = avio_open(&state->format->pb, settings.path.c_str(), AVIO_FLAG_WRITE);
  if (rc < 0) return Fail("cannot open " + settings.path + " for writing", rc);
  state->io_open = true;
  AVDictionary* mux_options = nullptr;
  av_dict_set(&mux_options, "movflags", "+faststart", 0);
  rc = avformat_write_header(state->format, &mux_options);
  av_dict_free(&mux_options);
  if (rc < 0) return Fail("cannot write the MP4 header", rc);
  state->header_written = true;
  return std::unique_ptr<Encoder>(new Encoder(std::move(state)));
}

VideoFrame* Encoder::AcquireFrame() {
  {
    std::lock_guard lock(state_->pool_mutex);
    if (!state_->pool.empty()) {
      VideoFrame* f = state_->pool.back().release();
      state_->pool.pop_back();
      return f;
    }
  }
  auto frame = std::make_unique<VideoFrame>();
  frame->frame.reset(av_frame_alloc());
  AVFrame* f = frame->frame.get();
  f->format = AV_PIX_FMT_YUV420P;
  f->width = state_->settings.width;
  f->height = state_->settings.height;
  // The planes in one block aligned to a huge page and advised as such: a frame is touched
  // for the first time by the conversion, and faulting 3 MB in 4 KiB pages (760 faults per
  // 1080p frame, for every frame of the pool) costs more than converting it.
  // As av_frame_get_buffer does, each plane has rows up to a multiple of 32 and rows padded
  // to 64 bytes, and here all of it is cleared once (the conversion never writes the padding):
  // x264 reads beyond the picture when the height is not a multiple of 16, and with exactly
  // sized, uncleared planes those bytes (whatever the allocator returned) changed its rate
  // control, hence the file, from one render to the next.
  constexpr size_t kHugePage = size_t{2} << 20;
  const int luma_stride = (f->width + 63) & ~63, chroma_stride = ((f->width + 1) / 2 + 63) & ~63;
  const int luma_rows = (f->height + 31) & ~31, chroma_rows = luma_rows / 2;
  const size_t luma_size = static_cast<size_t>(luma_stride) * luma_rows;
  const size_t chroma_size = static_cast<size_t>(chroma_stride) * chroma_rows;
  const size_t size = luma_size + 2 * chroma_size;
  void* block = nullptr;
  VG_CHECK(posix_memalign(&block, kHugePage, size) == 0);
  if (size >= kHugePage) madvise(block, size & ~(kHugePage - 1), MADV_HUGEPAGE);
  std::memset(block, 0, size);
  f->buf[0] = av_buffer_create(
      static_cast<uint8_t*>(block), size, [](void*, uint8_t* data) { std::free(data); }, nullptr, 0);
  VG_CHECK(f->buf[0] != nullptr);
  f->data[0] = static_cast<uint8_t*>(block);
  f->data[1] = f->data[0] + luma_size;
  f->data[2] = f->data[1] + chroma_size;
  f->linesize[0] = luma_stride;
  f->linesize[1] = f->linesize[2] = chroma_stride;
  return frame.release();
}

void Encoder::ReleaseFrame(VideoFrame* frame) {
  std::lock_guard lock(state_->pool_mutex);
  state_->pool.emplace_back(frame);
}

YuvPlanes Encoder::Planes(VideoFrame* frame) {
  AVFrame* f = frame->frame.get();
  return {f->data[0], f->linesize[0], f->data[1], f->linesize[1], f->data[2], f->linesize[2]};
}

Status Encoder::EncodeVideo(VideoFrame* frame) {
  AVFrame* f = frame->frame.get();
  f->pts = state_->next_video_pts++;
  f->color_primaries = AVCOL_PRI_BT709;
  f->color_trc = AVCOL_TRC_BT709;
  f->colorspace = AVCOL_SPC_BT709;
  f->color_range = AVCOL_RANGE_MPEG;
  int rc = avcodec_send_frame(state_->video.get(), f);
  // x264 copies the picture, so the frame can go straight back to the pool.
  ReleaseFrame(frame);
  if (rc < 0) return Fail("video encoding failed", rc);
  return state_->Drain(state_->video.get(), state_->video_stream);
}

Status Encoder::EncodeAudio(const float* interleaved, int count, AudioPackets& out) {
  if (!state_->audio) return Status::Ok();
  state_->pending.insert(state_->pending.end(), interleaved, interleaved + 2 * count);
  const int frame_size = state_->audio->frame_size;
  while (static_cast<int>(state_->pending.size()) >= 2 * frame_size) {
    VG_RETURN_IF_ERROR(state_->SendAudioFrame(frame_size, *out.list_));
  }
  return Status::Ok();
}

Status Encoder::FlushAudio(AudioPackets& out) {
  if (!state_->audio) return Status::Ok();
  if (!state_->pending.empty()) {
    VG_RETURN_IF_ERROR(
        state_->SendAudioFrame(static_cast<int>(state_->pending.size() / 2), *out.list_));
  }
  avcodec_send_frame(state_->audio.get(), nullptr);
  return state_->CollectAudio(*out.list_);
}

Status Encoder::WriteAudio(AudioPackets& packets) {
  for (PacketPtr& p : packets.list_->packets) {
    VG_RETURN_IF_ERROR(state_->Write(p.get(), state_->audio.get(), state_->audio_stream));
  }
  packets.list_->packets.clear();
  return Status::Ok();
}

Status Encoder::Finish() {
  avcodec_send_frame(state_->video.get(), nullptr);
  VG_RETURN_IF_ERROR(state_->Drain(state_->video.get(), state_->video_stream));
  int rc = av_write_trailer(state_->format);
  if (rc < 0) return Fail("cannot finish the MP4 file", rc);
  rc = avio_closep(&state_->format->pb);
  state_->io_open = false;
  if (rc < 0) return Fail("cannot close the video file", rc);
  return Status::Ok();
}

}  // namespace vg::render
