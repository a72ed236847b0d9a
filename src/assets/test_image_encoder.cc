// Test image encoders over libavcodec/libavformat.
#include "assets/test_image_encoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

namespace vg::assets::testing {
namespace {

struct ContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
  void operator()(AVFrame* f) const { av_frame_free(&f); }
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
using Context = std::unique_ptr<AVCodecContext, ContextDeleter>;
using Frame = std::unique_ptr<AVFrame, ContextDeleter>;
using Packet = std::unique_ptr<AVPacket, ContextDeleter>;

Frame AllocFrame(int width, int height, AVPixelFormat format) {
  Frame frame(av_frame_alloc());
  frame->width = width;
  frame->height = height;
  frame->format = format;
  if (av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  return frame;
}

// RGBA → `format` through swscale (full range for the yuvj formats).
Frame Convert(const RgbaImage& image, AVPixelFormat format, bool full_range) {
  Frame frame = AllocFrame(image.width, image.height, format);
  SwsContext* sws =
      sws_getContext(image.width, image.height, AV_PIX_FMT_RGBA, image.width, image.height, format,
                     SWS_POINT | SWS_ACCURATE_RND, nullptr, nullptr, nullptr);
  const int* coefficients = sws_getCoefficients(SWS_CS_ITU601);
  sws_setColorspaceDetails(sws, coefficients, 1, coefficients, full_range ? 1 : 0, 0, 1 << 16,
                           1 << 16);
  const uint8_t* source[4] = {image.rgba.data(), nullptr, nullptr, nullptr};
  const int source_stride[4] = {image.width * 4, 0, 0, 0};
  sws_scale(sws, source, source_stride, 0, image.height, frame->data, frame->linesize);
  sws_freeContext(sws);
  return frame;
}

// Encodes one frame; returns the first packet (a whole file for png, mjpeg, libwebp).
std::string EncodeOne(const char* codec_name, Frame frame,
                      const std::map<std::string, std::string>& options, bool jpeg_range) {
  const AVCodec* codec = avcodec_find_encoder_by_name(codec_name);
  if (codec == nullptr) {
    ADD_FAILURE() << "encoder " << codec_name << " missing";
    return "";
  }
  Context context(avcodec_alloc_context3(codec));
  context->width = frame->width;
  context->height = frame->height;
  context->pix_fmt = static_cast<AVPixelFormat>(frame->format);
  context->time_base = AVRational{1, 25};
  if (jpeg_range) {
    context->color_range = AVCOL_RANGE_JPEG;
    context->flags |= AV_CODEC_FLAG_QSCALE;
    context->global_quality = FF_QP2LAMBDA * 2;
    frame->quality = context->global_quality;
  }
  for (const auto& [key, value] : options) {
    av_opt_set(context->priv_data, key.c_str(), value.c_str(), 0);
  }
  if (avcodec_open2(context.get(), codec, nullptr) < 0) {
    ADD_FAILURE() << "cannot open encoder " << codec_name;
    return "";
  }
  Packet packet(av_packet_alloc());
  if (avcodec_send_frame(context.get(), frame.get()) < 0) {
    ADD_FAILURE() << "send_frame failed";
    return "";
  }
  avcodec_send_frame(context.get(), nullptr);
  if (avcodec_receive_packet(context.get(), packet.get()) < 0) {
    ADD_FAILURE() << "receive_packet failed";
    return "";
  }
  return std::string(reinterpret_cast<const char*>(packet->data), packet->size);
}

uint32_t Argb(const RgbaImage& image, size_t i) {
  const uint8_t* p = &image.rgba[i * 4];
  const uint32_t alpha = p[3] < 128 ? 0 : 255;
  return (alpha << 24) | (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}

}  // namespace

RgbaImage RgbaImage::Filled(int width, int height, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
  RgbaImage image;
  image.width = width;
  image.height = height;
  image.rgba.resize(static_cast<size_t>(width) * height * 4);
  image.Fill(0, 0, width, height, r, g, b, a);
  return image;
}

void RgbaImage::Set(int x, int y, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
  uint8_t* p = &rgba[(static_cast<size_t>(y) * width + x) * 4];
  p[0] = r;
  p[1] = g;
  p[2] = b;
  p[3] = a;
}

void RgbaImage::Fill(int x0, int y0, int x1, int y1, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
  for (int y = y0; y < y1; ++y) {
    for (int x = x0; x < x1; ++x) Set(x, y, r, g, b, a);
  }
}

std::string EncodePng(const RgbaImage& image) {
  Frame frame = AllocFrame(image.width, image.height, AV_PIX_FMT_RGBA);
  for (int y = 0; y < image.height; ++y) {
    std::memcpy(frame->data[0] + static_cast<size_t>(y) * frame->linesize[0],
                &image.rgba[static_cast<size_t>(y) * image.width * 4],
                static_cast<size_t>(image.width) * 4);
  }
  return EncodeOne("png", std::move(frame), {}, false);
}

std::string EncodeJpeg(const RgbaImage& image) {
  return EncodeOne("mjpeg", Convert(image, AV_PIX_FMT_YUVJ444P, true), {}, true);
}

std::string EncodeWebp(const RgbaImage& image, bool lossless) {
  Frame frame = AllocFrame(image.width, image.height, AV_PIX_FMT_BGRA);
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* s = &image.rgba[(static_cast<size_t>(y) * image.width + x) * 4];
      uint8_t* d = frame->data[0] + static_cast<size_t>(y) * frame->linesize[0] + x * 4;
      d[0] = s[2];
      d[1] = s[1];
      d[2] = s[0];
      d[3] = s[3];
    }
  }
  std::map<std::string, std::string> options;
  if (lossless) {
    options.emplace("lossless", "1");
  } else {
    options.emplace("quality", "95");
  }
  return EncodeOne("libwebp", std::move(frame), options, false);
}

std::string EncodeGif(const std::vector<RgbaImage>& frames) {
  // One palette for all frames.
  std::vector<uint32_t> palette;
  for (const RgbaImage& image : frames) {
    for (size_t i = 0; i < image.rgba.size() / 4; ++i) {
      const uint32_t color = Argb(image, i);
      if (std::find(palette.begin(), palette.end(), color) == palette.end()) {
        palette.push_back(color);
      }
    }
  }
  if (palette.size() > 256) {
    ADD_FAILURE() << "too many colours for a GIF";
    return "";
  }
  const AVCodec* codec = avcodec_find_encoder_by_name("gif");
  Context context(avcodec_alloc_context3(codec));
  context->width = frames[0].width;
  context->height = frames[0].height;
  context->pix_fmt = AV_PIX_FMT_PAL8;
  context->time_base = AVRational{1, 10};
  if (avcodec_open2(context.get(), codec, nullptr) < 0) {
    ADD_FAILURE() << "cannot open the gif encoder";
    return "";
  }
  AVFormatContext* muxer = nullptr;
  avformat_alloc_output_context2(&muxer, nullptr, "gif", nullptr);
  AVStream* stream = avformat_new_stream(muxer, nullptr);
  avcodec_parameters_from_context(stream->codecpar, context.get());
  stream->time_base = context->time_base;
  avio_open_dyn_buf(&muxer->pb);
  if (avformat_write_header(muxer, nullptr) < 0) ADD_FAILURE() << "gif header";
  Packet packet(av_packet_alloc());
  auto drain = [&] {
    while (avcodec_receive_packet(context.get(), packet.get()) == 0) {
      av_packet_rescale_ts(packet.get(), context->time_base, stream->time_base);
      packet->stream_index = 0;
      av_interleaved_write_frame(muxer, packet.get());
    }
  };
  int64_t pts = 0;
  for (const RgbaImage& image : frames) {
    Frame frame = AllocFrame(image.width, image.height, AV_PIX_FMT_PAL8);
    auto* colors = reinterpret_cast<uint32_t*>(frame->data[1]);
    for (size_t i = 0; i < 256; ++i) colors[i] = i < palette.size() ? palette[i] : 0xff000000;
    for (int y = 0; y < image.height; ++y) {
      for (int x = 0; x < image.width; ++x) {
        const uint32_t color = Argb(image, static_cast<size_t>(y) * image.width + x);
        frame->data[0][static_cast<size_t>(y) * frame->linesize[0] + x] = static_cast<uint8_t>(
            std::find(palette.begin(), palette.end(), color) - palette.begin());
      }
    }
    frame->pts = pts++;
    avcodec_send_frame(context.get(), frame.get());
    drain();
  }
  avcodec_send_frame(context.get(), nullptr);
  drain();
  av_write_trailer(muxer);
  uint8_t* buffer = nullptr;
  const int size = avio_close_dyn_buf(muxer->pb, &buffer);
  muxer->pb = nullptr;
  std::string out(reinterpret_cast<const char*>(buffer), static_cast<size_t>(std::max(size, 0)));
  av_free(buffer);
  avformat_free_context(muxer);
  return out;
}

std::string AddExifOrientation(const std::string& jpeg, int orientation) {
  // APP1: "Exif\0\0", little-endian TIFF header, IFD0 with one entry (0x0112 SHORT = n).
  std::string tiff("II\x2a\x00\x08\x00\x00\x00", 8);
  tiff += std::string("\x01\x00", 2);          // one entry
  tiff += std::string("\x12\x01\x03\x00", 4);  // tag 0x0112, type SHORT
  tiff += std::string("\x01\x00\x00\x00", 4);  // count 1
  tiff += static_cast<char>(orientation);
  tiff += std::string("\x00\x00\x00", 3);      // value, padded
  tiff += std::string("\x00\x00\x00\x00", 4);  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const size_t length = payload.size() + 2;
  std::string segment = "\xFF\xE1";
  segment += static_cast<char>(length >> 8);
  segment += static_cast<char>(length & 0xff);
  segment += payload;
  return jpeg.substr(0, 2) + segment + jpeg.substr(2);
}

}  // namespace vg::assets::testing
