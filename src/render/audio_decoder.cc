// AudioDecoder over libavformat/libavcodec: a memory AVIOContext over the encoded bytes, one
// decoder, and a same-rate swresample context that turns any sample format and channel layout
// into interleaved stereo float. Positions are counted from the first decoded frame (after the
// codec's priming, which libavcodec removes from skip_samples side data); after a container
// seek the first frame's timestamp places the count again, relative to the first frame's
// timestamp at the start of the file.
#include "render/audio_decoder.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/intreadwrite.h>
#include <libavutil/opt.h>
#include <libswresample/swresample.h>
}

#include "assets/libav_handles.h"
#include "base/c_handle.h"
#include "base/rational.h"
#include "obs/log.h"
#include "render/audio_mix.h"

namespace vg::render {
namespace {

constexpr int kIoBufferSize = 64 * 1024;
// A forward seek shorter than this many seconds decodes through instead of seeking.
constexpr int kForwardDecodeSeconds = 2;
// Packets that fail to decode before the file counts as undecodable while probing.
constexpr int kMaxProbeDecodeErrors = 8;

void FreeFormat(AVFormatContext* p) { avformat_close_input(&p); }
void FreeIo(AVIOContext* p) {
  av_freep(&p->buffer);
  avio_context_free(&p);
}
void FreeSwr(SwrContext* p) { swr_free(&p); }

using FormatPtr = CHandle<AVFormatContext, FreeFormat>;
using IoPtr = CHandle<AVIOContext, FreeIo>;
using CodecPtr = av::CodecContextPtr;
using FramePtr = av::FramePtr;
using PacketPtr = av::PacketPtr;
using SwrPtr = CHandle<SwrContext, FreeSwr>;

std::string AvError(int rc) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(rc, text, sizeof(text));
  return text;
}

Status Unavailable(std::string message) {
  return Status(ErrorCode::kAssetUnavailable, std::move(message));
}

// The reader behind the AVIOContext: a view of the caller's bytes and a cursor.
struct MemoryInput {
  std::string_view bytes;
  int64_t offset = 0;
};

int ReadMemory(void* opaque, uint8_t* buffer, int size) {
  auto* input = static_cast<MemoryInput*>(opaque);
  const int64_t left = static_cast<int64_t>(input->bytes.size()) - input->offset;
  if (left <= 0) return AVERROR_EOF;
  const int count = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buffer, input->bytes.data() + input->offset, static_cast<size_t>(count));
  input->offset += count;
  return count;
}

int64_t SeekMemory(void* opaque, int64_t offset, int whence) {
  auto* input = static_cast<MemoryInput*>(opaque);
  const auto size = static_cast<int64_t>(input->bytes.size());
  if (whence & AVSEEK_SIZE) return size;
  whence &= ~AVSEEK_FORCE;
  int64_t target = 0;
  if (whence == SEEK_SET) {
    target = offset;
  } else if (whence == SEEK_CUR) {
    target = input->offset + offset;
  } else if (whence == SEEK_END) {
    target = size + offset;
  } else {
    return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  input->offset = target;
  return target;
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Codecs whose packets decode independently: a seek needs no pre-roll.
bool IsIntraOnly(AVCodecID id) {
  return (id >= AV_CODEC_ID_PCM_S16LE && id < AV_CODEC_ID_ADPCM_IMA_QT) || id == AV_CODEC_ID_FLAC ||
         id == AV_CODEC_ID_ALAC || id == AV_CODEC_ID_WAVPACK;
}

uint32_t ReadLe32(std::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return value;
}

// A RIFF/WAVE file whose data chunk declares more bytes than follow it was cut short
// (libavformat then estimates the duration from the bit rate instead of saying so).
// Returns the declared and present data sizes when so.
std::optional<std::pair<int64_t, int64_t>> TruncatedWavData(std::string_view bytes) {
  if (bytes.size() < 12 || bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") {
    return std::nullopt;
  }
  size_t offset = 12;
  while (offset + 8 <= bytes.size()) {
    const uint32_t size = ReadLe32(bytes, offset + 4);
    if (bytes.substr(offset, 4) == "data") {
      // 0 and 0xFFFFFFFF mark a stream written without knowing its length.
      if (size == 0 || size == 0xFFFFFFFFu) return std::nullopt;
      const auto present = static_cast<int64_t>(bytes.size() - offset - 8);
      if (present < size) return std::make_pair(int64_t{size}, present);
      return std::nullopt;
    }
    offset += 8 + size + (size & 1);
  }
  return std::nullopt;
}

}  // namespace

struct AudioDecoder::State {
  std::shared_ptr<const std::string> owner;  // may be null (OpenUnowned)
  MemoryInput input;

  // One demux/decode session; Restart() builds a fresh one.
  IoPtr io;
  FormatPtr format;
  CodecPtr codec;
  PacketPtr packet;
  FramePtr frame;
  SwrPtr converter;
  int stream_index = -1;
  AVRational time_base{0, 1};
  bool input_done = false;    // the demuxer is drained and the decoder flushed
  bool decoder_done = false;  // the decoder returned its last frame
  bool held = false;          // `frame` holds a frame NextFrame has not returned yet
  std::optional<int64_t> next_frame_position;  // counted; nullopt after a container seek

  // The converter's current input.
  int converter_format = -1;
  AVChannelLayout converter_layout{};

  // What the file is.
  int sample_rate = 0;
  int channels = 0;
  std::string codec_name;
  std::optional<int64_t> container_length;
  int64_t origin_ts = 0;  // timestamp of position 0, in time_base
  bool origin_known = false;
  int preroll = 0;  // samples decoded before a seek target
  bool seekable = false;

  // Where reading stands.
  int64_t position = 0;  // of the next sample Read returns
  bool eof = false;
  std::vector<float> pending;  // converted frames, pending[0..1] at position `pending_first`
  int64_t pending_first = 0;
  int pending_frames = 0;
  int64_t frame_position = 0;  // of the raw frame NextFrame returned
  int frame_count = 0;         // its samples, cut at container_length

  int64_t decoded_samples = 0;
  int64_t decode_errors = 0;
  bool read_error = false;

  ~State() { av_channel_layout_uninit(&converter_layout); }

  Status OpenSession();
  Result<bool> NextFrame();
  Status Convert();
  Status Refill();
  Status Restart();
  Result<int64_t> DemuxCount();
};

Status AudioDecoder::State::OpenSession() {
  input.offset = 0;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kIoBufferSize));
  if (!buffer) return Status(ErrorCode::kInternal, "out of memory");
  io.reset(avio_alloc_context(buffer, kIoBufferSize, 0, &input, &ReadMemory, nullptr, &SeekMemory));
  if (!io) {
    av_free(buffer);
    return Status(ErrorCode::kInternal, "out of memory");
  }
  AVFormatContext* raw = avformat_alloc_context();
  if (!raw) return Status(ErrorCode::kInternal, "out of memory");
  raw->pb = io.get();
  int rc = avformat_open_input(&raw, nullptr, nullptr, nullptr);  // frees raw on failure
  if (rc < 0) return Unavailable("not an audio file (" + AvError(rc) + ")");
  format.reset(raw);
  rc = avformat_find_stream_info(format.get(), nullptr);
  if (rc < 0) return Unavailable("unreadable audio file (" + AvError(rc) + ")");
  stream_index = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (stream_index < 0) return Unavailable("the file has no audio stream");
  AVStream* stream = format->streams[stream_index];
  for (unsigned i = 0; i < format->nb_streams; ++i) {
    if (static_cast<int>(i) != stream_index) format->streams[i]->discard = AVDISCARD_ALL;
  }
  time_base = stream->time_base;
  const AVCodec* decoder = avcodec_find_decoder(stream->codecpar->codec_id);
  if (!decoder) {
    return Unavailable(fmt::format("no decoder for the audio codec '{}'",
                                   avcodec_get_name(stream->codecpar->codec_id)));
  }
  codec.reset(avcodec_alloc_context3(decoder));
  if (!codec) return Status(ErrorCode::kInternal, "out of memory");
  rc = avcodec_parameters_to_context(codec.get(), stream->codecpar);
  if (rc < 0) return Unavailable("bad audio codec parameters (" + AvError(rc) + ")");
  codec->pkt_timebase = stream->time_base;
  codec->thread_count = 1;  // deterministic, and audio decoding is cheap
  rc = avcodec_open2(codec.get(), decoder, nullptr);
  if (rc < 0) return Unavailable("the audio codec cannot be opened (" + AvError(rc) + ")");
  if (codec->sample_rate <= 0 || codec->ch_layout.nb_channels <= 0) {
    return Unavailable("the audio stream has no sample rate or channels");
  }
  if (!packet) packet.reset(av_packet_alloc());
  if (!frame) frame.reset(av_frame_alloc());
  if (!packet || !frame) return Status(ErrorCode::kInternal, "out of memory");
  input_done = decoder_done = held = false;
  next_frame_position = 0;
  return Status::Ok();
}

// Returns the next decoded frame in `frame` with frame_position/frame_count set, or false at the
// end of the file (or of container_length).
Result<bool> AudioDecoder::State::NextFrame() {
  if (held) {
    held = false;
    return true;
  }
  while (true) {
    if (!decoder_done) {
      int rc = avcodec_receive_frame(codec.get(), frame.get());
      if (rc == 0) {
        if (frame->sample_rate != sample_rate) {
          return Unavailable(fmt::format("the sample rate changes from {} to {} inside the file",
                                         sample_rate, frame->sample_rate));
        }
        decoded_samples += frame->nb_samples;
        if (next_frame_position) {
          frame_position = *next_frame_position;
        } else {
          int64_t ts = frame->pts != AV_NOPTS_VALUE ? frame->pts : frame->best_effort_timestamp;
          if (ts == AV_NOPTS_VALUE) continue;  // unplaceable after a seek: keep reading
          frame_position = av_rescale_q_rnd(ts - origin_ts, time_base, AVRational{1, sample_rate},
                                            AV_ROUND_NEAR_INF);
        }
        next_frame_position = frame_position + frame->nb_samples;
        frame_count = frame->nb_samples;
        if (container_length) {
          if (frame_position >= *container_length) return false;  // end padding
          frame_count =
              static_cast<int>(std::min<int64_t>(frame_count, *container_length - frame_position));
        }
        return true;
      }
      if (rc == AVERROR_EOF) {
        decoder_done = true;
        return false;
      }
      if (rc != AVERROR(EAGAIN)) {
        ++decode_errors;
        continue;
      }
      if (input_done) {
        decoder_done = true;
        return false;
      }
    } else {
      return false;
    }
    int rc = av_read_frame(format.get(), packet.get());
    if (rc < 0) {
      if (rc != AVERROR_EOF) read_error = true;
      input_done = true;
      avcodec_send_packet(codec.get(), nullptr);
      continue;
    }
    if (packet->stream_index != stream_index) {
      av_packet_unref(packet.get());
      continue;
    }
    rc = avcodec_send_packet(codec.get(), packet.get());
    av_packet_unref(packet.get());
    if (rc < 0 && rc != AVERROR(EAGAIN)) {
      if (decode_errors++ == 0) {
        obs::Log(obs::Level::kWarn, "audio.decode_error",
                 {{"codec", codec_name}, {"error", AvError(rc)}});
      }
    }
  }
}

// Converts the raw frame into `pending` (stereo float).
Status AudioDecoder::State::Convert() {
  AVChannelLayout layout{};
  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels <= 0) {
    av_channel_layout_default(&layout, frame->ch_layout.nb_channels > 0
                                           ? frame->ch_layout.nb_channels
                                           : codec->ch_layout.nb_channels);
  } else if (av_channel_layout_copy(&layout, &frame->ch_layout) < 0) {
    return Status(ErrorCode::kInternal, "out of memory");
  }
  if (!converter || converter_format != frame->format ||
      av_channel_layout_compare(&converter_layout, &layout) != 0) {
    converter.reset();
    SwrContext* swr = nullptr;
    AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
    int rc =
        swr_alloc_set_opts2(&swr, &stereo, AV_SAMPLE_FMT_FLT, sample_rate, &layout,
                            static_cast<AVSampleFormat>(frame->format), sample_rate, 0, nullptr);
    converter.reset(swr);
    if (rc < 0 || !swr) {
      av_channel_layout_uninit(&layout);
      return Unavailable("unsupported audio sample format (" + AvError(rc) + ")");
    }
    if (layout.nb_channels == 1) {
      // Mono plays on both channels at full level (swresample's default is -3 dB each).
      const double matrix[2] = {1.0, 1.0};
      swr_set_matrix(swr, matrix, 1);
    }
    rc = swr_init(swr);
    if (rc < 0) {
      av_channel_layout_uninit(&layout);
      return Unavailable("unsupported audio channel layout (" + AvError(rc) + ")");
    }
    converter_format = frame->format;
    av_channel_layout_uninit(&converter_layout);
    converter_layout = layout;
  } else {
    av_channel_layout_uninit(&layout);
  }
  pending.resize(2 * static_cast<size_t>(frame->nb_samples));
  uint8_t* out = reinterpret_cast<uint8_t*>(pending.data());
  int converted = swr_convert(converter.get(), &out, frame->nb_samples,
                              const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples);
  if (converted != frame->nb_samples) {
    return Unavailable("audio conversion failed (" + AvError(converted) + ")");
  }
  pending_first = frame_position;
  pending_frames = frame_count;
  return Status::Ok();
}

// Makes `pending` hold the sample at `position`, or sets eof.
Status AudioDecoder::State::Refill() {
  while (!eof && !(position >= pending_first && position < pending_first + pending_frames)) {
    VG_ASSIGN_OR_RETURN(bool got, NextFrame());
    if (!got) {
      eof = true;
      pending_frames = 0;
      break;
    }
    if (frame_position + frame_count <= position) continue;  // wholly before: skip unconverted
    // Counting from a frame at or before the target means frames arrive contiguously; only the
    // first frame after a container seek can start later, and Seek checks that one.
    VG_CHECK(frame_position <= position);
    VG_RETURN_IF_ERROR(Convert());
  }
  return Status::Ok();
}

Status AudioDecoder::State::Restart() {
  format.reset();
  io.reset();
  codec.reset();
  converter.reset();
  converter_format = -1;
  pending_frames = 0;
  eof = false;
  position = 0;
  return OpenSession();
}

// Counts an MP3's samples from its packets without decoding them: every frame's duration, less
// the encoder delay and end padding the demuxer marks (from the LAME header) as skip side data.
// Returns -1 when a packet has no duration (then decode-count instead).
Result<int64_t> AudioDecoder::State::DemuxCount() {
  VG_RETURN_IF_ERROR(Restart());
  int64_t total = 0;
  while (av_read_frame(format.get(), packet.get()) >= 0) {
    if (packet->stream_index != stream_index) {
      av_packet_unref(packet.get());
      continue;
    }
    if (packet->duration <= 0) {
      av_packet_unref(packet.get());
      total = -1;
      break;
    }
    total += av_rescale_q(packet->duration, time_base, AVRational{1, sample_rate});
    size_t size = 0;
    const uint8_t* skip = av_packet_get_side_data(packet.get(), AV_PKT_DATA_SKIP_SAMPLES, &size);
    if (skip && size >= 10) total -= int64_t{AV_RL32(skip)} + int64_t{AV_RL32(skip + 4)};
    av_packet_unref(packet.get());
  }
  VG_RETURN_IF_ERROR(Restart());
  return total < 0 ? -1 : total;
}

AudioDecoder::AudioDecoder(std::unique_ptr<State> state) : state_(std::move(state)) {}
AudioDecoder::~AudioDecoder() = default;

Result<std::unique_ptr<AudioDecoder>> AudioDecoder::Open(std::shared_ptr<const std::string> bytes) {
  if (!bytes) return Unavailable("no audio bytes");
  std::string_view view(*bytes);
  return OpenView(view, std::move(bytes));
}

Result<std::unique_ptr<AudioDecoder>> AudioDecoder::OpenUnowned(std::string_view bytes) {
  return OpenView(bytes, nullptr);
}

Result<std::unique_ptr<AudioDecoder>> AudioDecoder::OpenView(
    std::string_view bytes, std::shared_ptr<const std::string> owner) {
  if (bytes.empty()) return Unavailable("the audio file is empty");
  auto state = std::make_unique<State>();
  state->owner = std::move(owner);
  state->input.bytes = bytes;
  VG_RETURN_IF_ERROR(state->OpenSession());
  AVStream* stream = state->format->streams[state->stream_index];
  state->sample_rate = state->codec->sample_rate;
  state->channels = state->codec->ch_layout.nb_channels;
  state->codec_name = avcodec_get_name(stream->codecpar->codec_id);
  state->preroll = IsIntraOnly(stream->codecpar->codec_id)
                       ? 0
                       : std::max(state->sample_rate / 4,
                                  static_cast<int>(av_rescale(stream->codecpar->seek_preroll,
                                                              state->sample_rate, 48000)));

  // The container's own length, where it states the playable length exactly.
  const std::string_view name = state->format->iformat->name;
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0 &&
      state->format->duration_estimation_method != AVFMT_DURATION_FROM_BITRATE) {
    const int64_t length =
        av_rescale_q(stream->duration, stream->time_base, AVRational{1, state->sample_rate});
    if (Contains(name, "mov") || Contains(name, "mp4") || Contains(name, "wav") ||
        Contains(name, "flac") || Contains(name, "aiff") || Contains(name, "w64") ||
        Contains(name, "caf")) {
      state->container_length = length;
    } else if (Contains(name, "ogg")) {
      // Ogg granules count the Opus pre-skip, which the decoder removes.
      state->container_length =
          length - av_rescale(stream->codecpar->initial_padding, state->sample_rate, 48000);
    }
  }

  // The first frame's timestamp is position 0; it also proves the stream decodes.
  VG_ASSIGN_OR_RETURN(bool got, state->NextFrame());
  if (!got) {
    if (state->container_length && *state->container_length <= 0) {
      return Unavailable("the audio stream is empty");
    }
    return Unavailable(
        fmt::format("the audio stream cannot be decoded ({} errors)", state->decode_errors));
  }
  state->held = true;
  state->decoded_samples = 0;
  const int64_t ts =
      state->frame->pts != AV_NOPTS_VALUE ? state->frame->pts : state->frame->best_effort_timestamp;
  state->origin_known = ts != AV_NOPTS_VALUE;
  state->origin_ts = state->origin_known ? ts : 0;
  state->seekable = state->origin_known && (state->io->seekable & AVIO_SEEKABLE_NORMAL);
  return std::unique_ptr<AudioDecoder>(new AudioDecoder(std::move(state)));
}

int AudioDecoder::sample_rate() const { return state_->sample_rate; }
int AudioDecoder::channels() const { return state_->channels; }
const std::string& AudioDecoder::codec() const { return state_->codec_name; }
std::optional<int64_t> AudioDecoder::container_length() const { return state_->container_length; }
int64_t AudioDecoder::position() const { return state_->position; }
int64_t AudioDecoder::decoded_samples() const { return state_->decoded_samples; }

Result<int64_t> AudioDecoder::CountSamples() {
  State& s = *state_;
  VG_RETURN_IF_ERROR(s.Restart());
  int64_t end = 0;
  while (true) {
    VG_ASSIGN_OR_RETURN(bool got, s.NextFrame());
    if (!got) break;
    end = s.frame_position + s.frame_count;
  }
  s.position = end;
  s.pending_frames = 0;
  s.eof = true;
  return end;
}

Status AudioDecoder::Seek(int64_t position) {
  State& s = *state_;
  if (position < 0) return Status(ErrorCode::kInvalidArgument, "negative audio seek");
  if (s.eof && position >= s.position) {
    s.position = position;  // still past the end
    return Status::Ok();
  }
  if (position == s.position) return Status::Ok();
  if (s.pending_frames > 0 && position >= s.pending_first &&
      position < s.pending_first + s.pending_frames) {
    s.position = position;
    return Status::Ok();
  }
  const bool forward = position > s.position && !s.eof;
  if (forward && position - s.position <= int64_t{kForwardDecodeSeconds} * s.sample_rate) {
    s.position = position;  // Refill decodes and drops what lies before
    return Status::Ok();
  }
  // Land at least `preroll` samples before the target so the decoder's state (MDCT overlap, bit
  // reservoir, Opus pre-roll) is rebuilt by then. Some demuxers (Ogg) land after the requested
  // timestamp: then ask again further back. The first frame after a seek is dropped and its
  // successor placed by its timestamp, because the first one's timestamp is the least reliable.
  int64_t target = position - s.preroll;
  for (int attempt = 0; attempt < 4 && s.seekable && target > 0; ++attempt) {
    const int64_t ts =
        s.origin_ts + av_rescale_q(target, AVRational{1, s.sample_rate}, s.time_base);
    if (av_seek_frame(s.format.get(), s.stream_index, ts, AVSEEK_FLAG_BACKWARD) < 0) break;
    avcodec_flush_buffers(s.codec.get());
    s.input_done = s.decoder_done = s.held = false;
    s.pending_frames = 0;
    s.eof = false;
    s.next_frame_position.reset();
    VG_ASSIGN_OR_RETURN(bool got, s.NextFrame());
    if (got) {
      s.next_frame_position.reset();
      VG_ASSIGN_OR_RETURN(got, s.NextFrame());
    }
    if (!got) break;
    if (s.frame_position <= position - s.preroll) {
      s.held = true;
      s.position = position;
      return Status::Ok();
    }
    target -= std::max<int64_t>(s.frame_position - target, s.preroll) * 2;
  }
  // No usable seek: decode from the start (exact, slower).
  VG_RETURN_IF_ERROR(s.Restart());
  s.position = position;
  return Status::Ok();
}

Result<int> AudioDecoder::Read(float* out, int max_frames) {
  State& s = *state_;
  int written = 0;
  while (written < max_frames) {
    VG_RETURN_IF_ERROR(s.Refill());
    if (s.eof) break;
    const auto offset = static_cast<int>(s.position - s.pending_first);
    const int count = std::min(max_frames - written, s.pending_frames - offset);
    std::memcpy(out + 2 * static_cast<size_t>(written),
                s.pending.data() + 2 * static_cast<size_t>(offset),
                2 * sizeof(float) * static_cast<size_t>(count));
    written += count;
    s.position += count;
  }
  return written;
}

Result<int64_t> AudioDecoder::ProbeLength() {
  State& s = *state_;
  if (s.container_length) {
    // Trust the header, but check the data reaches it: decode the last second only.
    const int64_t declared = *s.container_length;
    VG_RETURN_IF_ERROR(Seek(std::max<int64_t>(0, declared - s.sample_rate)));
    std::vector<float> scratch(2 * 4096);
    while (true) {
      VG_ASSIGN_OR_RETURN(int got, Read(scratch.data(), 4096));
      if (got == 0) break;
    }
    const int64_t reached = s.position;
    const int64_t tolerance = s.sample_rate / 20;
    if (reached < declared - tolerance) {
      return Unavailable(fmt::format(
          "the audio file is truncated: its data ends at {:.3f} s of the {:.3f} s it declares",
          static_cast<double>(reached) / s.sample_rate,
          static_cast<double>(declared) / s.sample_rate));
    }
    return std::min(reached, declared);
  }
  if (auto cut = TruncatedWavData(s.input.bytes)) {
    return Unavailable(fmt::format(
        "the audio file is truncated: {} of the {} data bytes its header declares are present",
        cut->second, cut->first));
  }
  int64_t counted = -1;
  if (s.codec_name == "mp3") {
    VG_ASSIGN_OR_RETURN(counted, s.DemuxCount());
  }
  if (counted < 0) {
    VG_ASSIGN_OR_RETURN(counted, CountSamples());
  }
  if (counted <= 0 || (s.decode_errors > kMaxProbeDecodeErrors && s.decode_errors * 2 > counted)) {
    return Unavailable("the audio stream cannot be decoded");
  }
  // An MP3 with a Xing/LAME header (or any container with a stated duration) declares its
  // frame count; much less data than that means the file was cut.
  AVStream* stream = s.format->streams[s.stream_index];
  if (stream->duration != AV_NOPTS_VALUE && stream->duration > 0 &&
      s.format->duration_estimation_method == AVFMT_DURATION_FROM_STREAM) {
    int64_t declared =
        av_rescale_q(stream->duration, stream->time_base, AVRational{1, s.sample_rate});
    if (stream->start_time != AV_NOPTS_VALUE && stream->start_time > 0) {
      declared -= av_rescale_q(stream->start_time, stream->time_base, AVRational{1, s.sample_rate});
    }
    const int64_t tolerance = std::max<int64_t>(4 * 1152, s.sample_rate / 10);
    if (counted < declared - tolerance) {
      return Unavailable(fmt::format(
          "the audio file is truncated: its data ends at {:.3f} s of the {:.3f} s it declares",
          static_cast<double>(counted) / s.sample_rate,
          static_cast<double>(declared) / s.sample_rate));
    }
  }
  return counted;
}

Result<AudioFileInfo> ProbeAudioFile(std::string_view bytes) {
  VG_ASSIGN_OR_RETURN(auto decoder, AudioDecoder::OpenUnowned(bytes));
  AudioFileInfo info;
  info.sample_rate = decoder->sample_rate();
  info.channels = decoder->channels();
  info.codec = decoder->codec();
  VG_ASSIGN_OR_RETURN(info.length_samples, decoder->ProbeLength());
  return info;
}

// ---- AudioClipStream ----
// AudioClipStream: decoder → (loop/trim index mapping) → soxr resampler → output buffer.
// The resampler's input is the "clip source": sample i is source sample trim + i (once), or
// trim + (i mod period) (loop), so a loop is one continuous signal to the resampler and its
// seams are exactly the source's own. A seek restarts the resampler at an input index on its
// phase grid (input_step_ source samples ↔ output_step_ output samples, from gcd(rate, 48000))
// at least kResamplerPreroll outputs before the target; soxr's output depends only on nearby
// input, so the samples from the target on match a sequential run.
namespace {

constexpr int kStreamBlockFrames = 4096;
// Outputs produced and dropped before a seek target: soxr's very-high-quality filter reaches
// fewer than 700 outputs back even from 8 kHz sources.
constexpr int64_t kResamplerPreroll = 4096;
// A forward seek up to this many samples reads through instead of restarting.
constexpr int64_t kForwardReadLimit = 2 * kAudioSampleRate;

}  // namespace

struct AudioClipStream::Resampler {
  SwrPtr swr;
};

AudioClipStream::~AudioClipStream() = default;

Result<std::unique_ptr<AudioClipStream>> AudioClipStream::Create(
    std::shared_ptr<const std::string> bytes, double trim_s, bool loop) {
  if (!(trim_s >= 0)) return Status(ErrorCode::kInvalidArgument, "trim must be >= 0");
  auto stream = std::unique_ptr<AudioClipStream>(new AudioClipStream());
  VG_ASSIGN_OR_RETURN(stream->decoder_, AudioDecoder::Open(std::move(bytes)));
  AudioDecoder& decoder = *stream->decoder_;
  stream->rate_ = decoder.sample_rate();
  stream->loop_ = loop;
  stream->trim_ = RoundTimeToIndex(trim_s, Rational(stream->rate_, 1));
  // A loop's period must be what the decoder delivers, to the sample; a single pass only needs
  // its length for the clip's natural end.
  int64_t total = 0;
  if (loop) {
    VG_ASSIGN_OR_RETURN(total, decoder.CountSamples());
  } else {
    VG_ASSIGN_OR_RETURN(total, decoder.ProbeLength());
  }
  stream->source_length_ = std::max<int64_t>(0, total - stream->trim_);
  if (loop) {
    // Crossfade at the loop seam with the audio before the trim point, when there is some.
    stream->seam_ =
        std::min({stream->trim_, int64_t{stream->rate_ / 100}, stream->source_length_ / 2});
  }
  const int64_t common = std::gcd<int64_t>(stream->rate_, kAudioSampleRate);
  stream->input_step_ = stream->rate_ / common;
  stream->output_step_ = kAudioSampleRate / common;
  if (stream->rate_ != kAudioSampleRate) {
    stream->resampler_ = std::make_unique<Resampler>();
    VG_RETURN_IF_ERROR(stream->ResetResampler());
  }
  stream->input_block_.resize(2 * kStreamBlockFrames);
  stream->seam_block_.resize(2 * static_cast<size_t>(stream->seam_));
  VG_RETURN_IF_ERROR(stream->Restart(0, 0));
  return stream;
}

int64_t AudioClipStream::pass_length() const {
  // ceil(source_length × 48000 / rate)
  return (source_length_ * output_step_ + input_step_ - 1) / input_step_;
}
int AudioClipStream::source_rate() const { return rate_; }
int64_t AudioClipStream::trim_samples() const { return trim_; }
int64_t AudioClipStream::buffered_frames() const {
  return static_cast<int64_t>(output_.capacity() + input_block_.capacity()) / 2;
}

Status AudioClipStream::ResetResampler() {
  AVChannelLayout stereo = AV_CHANNEL_LAYOUT_STEREO;
  for (bool soxr : {true, false}) {
    SwrContext* swr = nullptr;
    if (swr_alloc_set_opts2(&swr, &stereo, AV_SAMPLE_FMT_FLT, kAudioSampleRate, &stereo,
                            AV_SAMPLE_FMT_FLT, rate_, 0, nullptr) < 0) {
      return Status(ErrorCode::kInternal, "swresample allocation failed");
    }
    resampler_->swr.reset(swr);
    if (soxr) {
      // soxr "very high quality": flat to 20 kHz, aliasing and images below -150 dB.
      av_opt_set(swr, "resampler", "soxr", 0);
      av_opt_set_int(swr, "precision", 28, 0);
    } else {
      // swresample's own polyphase filter, long and steep (libswresample without soxr).
      av_opt_set_int(swr, "filter_size", 128, 0);
      av_opt_set_double(swr, "cutoff", 0.91, 0);
      av_opt_set_double(swr, "kaiser_beta", 12, 0);
      av_opt_set_int(swr, "exact_rational", 1, 0);
    }
    if (swr_init(swr) >= 0) return Status::Ok();
    if (soxr) obs::Log(obs::Level::kWarn, "audio.soxr_unavailable");
  }
  return Status(ErrorCode::kInternal, "swresample cannot resample to 48 kHz");
}

Status AudioClipStream::Restart(int64_t input_index, int64_t output_index) {
  if (resampler_) VG_RETURN_IF_ERROR(ResetResampler());
  input_index_ = input_index;
  output_.clear();
  output_offset_ = 0;
  position_ = output_index;
  input_ended_ = source_length_ == 0 || (!loop_ && input_index >= source_length_);
  if (input_ended_) return Status::Ok();
  const int64_t in_pass = loop_ ? input_index % source_length_ : input_index;
  return decoder_->Seek(trim_ + in_pass);
}

// Decodes one block of the clip source, resamples it and appends the result to output_.
Status AudioClipStream::Feed() {
  const int64_t in_pass = loop_ ? input_index_ % source_length_ : input_index_;
  const int64_t tail_start = source_length_ - seam_;
  int got = 0;
  int fed = 0;
  if (seam_ > 0 && in_pass >= tail_start) {
    // The last seam_ samples of a pass fade out while the audio just before the trim point
    // fades in, which then runs on into the next pass: the seam is as smooth as the source.
    const int64_t into = in_pass - tail_start;
    const auto n = static_cast<int>(seam_ - into);
    VG_ASSIGN_OR_RETURN(int tail, decoder_->Read(input_block_.data(), n));
    std::fill(input_block_.begin() + 2 * tail, input_block_.begin() + 2 * n, 0.0f);
    VG_RETURN_IF_ERROR(decoder_->Seek(trim_ - seam_ + into));
    VG_ASSIGN_OR_RETURN(int head, decoder_->Read(seam_block_.data(), n));
    std::fill(seam_block_.begin() + 2 * head, seam_block_.begin() + 2 * n, 0.0f);
    for (int i = 0; i < n; ++i) {
      const double w = (static_cast<double>(into + i) + 0.5) / static_cast<double>(seam_);
      for (int c = 0; c < 2; ++c) {
        float& sample = input_block_[2 * static_cast<size_t>(i) + c];
        sample =
            static_cast<float>((1 - w) * sample + w * seam_block_[2 * static_cast<size_t>(i) + c]);
      }
    }
    got = fed = n;  // the decoder now stands at the trim point
  } else {
    const int64_t pass_end = seam_ > 0 ? tail_start : source_length_;
    const int wanted = static_cast<int>(std::min<int64_t>(kStreamBlockFrames, pass_end - in_pass));
    VG_ASSIGN_OR_RETURN(got, decoder_->Read(input_block_.data(), wanted));
    fed = got;
    if (loop_ && got < wanted) {
      // The decoder stopped short of the counted length: keep the period with silence.
      std::fill(input_block_.begin() + 2 * got, input_block_.begin() + 2 * wanted, 0.0f);
      fed = wanted;
    }
  }
  input_index_ += fed;
  const bool pass_done = in_pass + fed >= source_length_;
  const bool ended = !loop_ && (pass_done || got == 0);  // a short read ends on the next call

  if (!resampler_) {
    output_.insert(output_.end(), input_block_.begin(), input_block_.begin() + 2 * fed);
  } else {
    SwrContext* swr = resampler_->swr.get();
    auto convert = [&](const float* in, int frames) -> Status {
      const int capacity = swr_get_out_samples(swr, frames);
      if (capacity < 0) return Status(ErrorCode::kInternal, "swresample failed");
      const size_t at = output_.size();
      output_.resize(at + 2 * static_cast<size_t>(capacity));
      auto* out = reinterpret_cast<uint8_t*>(output_.data() + at);
      const auto* in_bytes = reinterpret_cast<const uint8_t*>(in);
      const int made = swr_convert(swr, &out, capacity, in ? &in_bytes : nullptr, frames);
      if (made < 0) return Status(ErrorCode::kInternal, "swresample failed");
      output_.resize(at + 2 * static_cast<size_t>(made));
      return Status::Ok();
    };
    if (fed > 0) VG_RETURN_IF_ERROR(convert(input_block_.data(), fed));
    if (ended) {
      // Drain the filter's tail: the source ends, the last samples still come out.
      while (true) {
        const size_t at = output_.size();
        VG_RETURN_IF_ERROR(convert(nullptr, 0));
        if (output_.size() == at) break;
      }
    }
  }
  if (ended) {
    input_ended_ = true;
  } else if (loop_ && pass_done && seam_ == 0) {
    VG_RETURN_IF_ERROR(decoder_->Seek(trim_));
  }
  return Status::Ok();
}

Status AudioClipStream::Read(float* out, int count) {
  while (count > 0) {
    const size_t available = output_.size() / 2 - output_offset_;
    if (available == 0) {
      if (input_ended_) {
        std::fill(out, out + 2 * static_cast<size_t>(count), 0.0f);
        position_ += count;
        return Status::Ok();
      }
      output_.clear();
      output_offset_ = 0;
      VG_RETURN_IF_ERROR(Feed());
      continue;
    }
    const int n = static_cast<int>(std::min<size_t>(available, static_cast<size_t>(count)));
    std::memcpy(out, output_.data() + 2 * output_offset_, 2 * sizeof(float) * n);
    output_offset_ += static_cast<size_t>(n);
    out += 2 * static_cast<size_t>(n);
    count -= n;
    position_ += n;
  }
  return Status::Ok();
}

Status AudioClipStream::Seek(int64_t index) {
  if (index < 0) return Status(ErrorCode::kInvalidArgument, "negative clip index");
  if (index == position_) return Status::Ok();
  if (index < position_ || index - position_ > kForwardReadLimit) {
    if (!resampler_) {
      VG_RETURN_IF_ERROR(Restart(index, index));
    } else {
      const int64_t k = std::max<int64_t>(0, index - kResamplerPreroll) / output_step_;
      VG_RETURN_IF_ERROR(Restart(k * input_step_, k * output_step_));
    }
  }
  // Read through to the target; what lies before it is dropped.
  std::vector<float> scratch(2 * static_cast<size_t>(kStreamBlockFrames));
  while (position_ < index) {
    const int n = static_cast<int>(std::min<int64_t>(kStreamBlockFrames, index - position_));
    VG_RETURN_IF_ERROR(Read(scratch.data(), n));
  }
  return Status::Ok();
}

}  // namespace vg::render
