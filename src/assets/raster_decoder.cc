// libavcodec adapter for still images: the whole file goes to the decoder as one packet (how
// FFmpeg's image2 demuxer feeds these decoders), the first frame comes out, and swscale
// converts whatever pixel format it has (YUV, palette, grey, 16-bit, with or without alpha)
// to native-endian ARGB, which we premultiply ourselves.
#include "assets/raster_decoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/error.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <algorithm>
#include <cstring>
#include <string>

#include "assets/libav_handles.h"
#include "base/c_handle.h"

namespace vg::assets {
namespace {

using CodecContext = av::CodecContextPtr;
using Frame = av::FramePtr;
using Packet = av::PacketPtr;
using ScaleContext = CHandle<SwsContext, sws_freeContext>;

std::string AvError(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof(text));
  return text;
}

Status DecodeFailed(const ImageHeader& header, const std::string& why) {
  return Error(ErrorCode::kAssetUnavailable, "not a supported image (" +
                                                 std::string(ImageFormatName(header.format)) +
                                                 " decode failed: " + why + ")");
}

AVCodecID CodecFor(ImageFormat format) {
  switch (format) {
    case ImageFormat::kPng:
      return AV_CODEC_ID_PNG;
    case ImageFormat::kJpeg:
      return AV_CODEC_ID_MJPEG;
    case ImageFormat::kGif:
      return AV_CODEC_ID_GIF;
    case ImageFormat::kWebp:
      return AV_CODEC_ID_WEBP;
    case ImageFormat::kSvg:
      break;
  }
  return AV_CODEC_ID_NONE;
}

// The yuvj* formats are full-range YUV under an old name; swscale wants the plain name and
// the range set explicitly.
AVPixelFormat WithoutJpegRange(AVPixelFormat format, bool* full_range) {
  switch (format) {
    case AV_PIX_FMT_YUVJ420P:
      *full_range = true;
      return AV_PIX_FMT_YUV420P;
    case AV_PIX_FMT_YUVJ422P:
      *full_range = true;
      return AV_PIX_FMT_YUV422P;
    case AV_PIX_FMT_YUVJ444P:
      *full_range = true;
      return AV_PIX_FMT_YUV444P;
    case AV_PIX_FMT_YUVJ440P:
      *full_range = true;
      return AV_PIX_FMT_YUV440P;
    case AV_PIX_FMT_YUVJ411P:
      *full_range = true;
      return AV_PIX_FMT_YUV411P;
    default:
      return format;
  }
}

// round(c·a / 255) for each colour channel of one row of native-endian ARGB words.
// (c·a + 127) / 255 is exact: c·a / 255 is never halfway between two integers (255 is odd).
void PremultiplyRow(const uint32_t* source, uint32_t* destination, int width) {
  for (int x = 0; x < width; ++x) {
    const uint32_t pixel = source[x];
    const uint32_t alpha = pixel >> 24;
    if (alpha == 255) {
      destination[x] = pixel;
    } else if (alpha == 0) {
      destination[x] = 0;
    } else {
      const uint32_t red = (((pixel >> 16) & 0xff) * alpha + 127) / 255;
      const uint32_t green = (((pixel >> 8) & 0xff) * alpha + 127) / 255;
      const uint32_t blue = ((pixel & 0xff) * alpha + 127) / 255;
      destination[x] = (alpha << 24) | (red << 16) | (green << 8) | blue;
    }
  }
}

// Converts the decoded frame to straight ARGB words in a new frame. swscale's SIMD code may
// write a little past the end of a row, so it writes into an AVFrame buffer (padded for
// exactly that), never straight into a Bitmap.
Result<Frame> ToArgb(const AVFrame& frame, const ImageHeader& header) {
  bool full_range = frame.color_range == AVCOL_RANGE_JPEG;
  const AVPixelFormat source =
      WithoutJpegRange(static_cast<AVPixelFormat>(frame.format), &full_range);
  if (sws_isSupportedInput(source) <= 0) {
    const char* name = av_get_pix_fmt_name(source);
    return DecodeFailed(header, std::string("unsupported pixel format ") + (name ? name : "?"));
  }
  Frame argb(av_frame_alloc());
  if (!argb) return DecodeFailed(header, "out of memory");
  argb->width = frame.width;
  argb->height = frame.height;
  argb->format = AV_PIX_FMT_RGB32;
  if (av_frame_get_buffer(argb.get(), 0) < 0) return DecodeFailed(header, "out of memory");
  // Same size in and out: no scaling, only format conversion, with chroma interpolated to
  // full resolution. SWS_ACCURATE_RND is left out on purpose: it gains at most one level per
  // channel and disables swscale's SIMD path (1080p JPEG: 43 ms with it, 0.9 ms without).
  ScaleContext scale(sws_getContext(
      frame.width, frame.height, source, frame.width, frame.height, AV_PIX_FMT_RGB32,
      SWS_BILINEAR | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP, nullptr, nullptr, nullptr));
  if (!scale) return DecodeFailed(header, "no pixel format conversion");
  const AVPixFmtDescriptor* descriptor = av_pix_fmt_desc_get(source);
  const bool is_yuv = descriptor != nullptr && descriptor->nb_components >= 3 &&
                      (descriptor->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) == 0;
  if (is_yuv) {
    // JPEG and WebP use BT.601 coefficients; JPEG is full range, WebP (VP8) limited.
    const int* coefficients = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(scale.get(), coefficients, full_range ? 1 : 0, coefficients, 1, 0,
                             1 << 16, 1 << 16);
  }
  const int rows = sws_scale(scale.get(), frame.data, frame.linesize, 0, frame.height, argb->data,
                             argb->linesize);
  if (rows != frame.height) return DecodeFailed(header, "pixel format conversion failed");
  return argb;
}

}  // namespace

void PremultiplyInPlace(Bitmap* bitmap) {
  for (int y = 0; y < bitmap->height; ++y) {
    auto* row = reinterpret_cast<uint32_t*>(bitmap->pixels.data() +
                                            static_cast<size_t>(y) * bitmap->stride);
    PremultiplyRow(row, row, bitmap->width);
  }
}

Bitmap ApplyOrientation(const Bitmap& source, int orientation) {
  if (orientation < 2 || orientation > 8) return source;
  const int w = source.width;
  const int h = source.height;
  const bool swap = orientation >= 5;
  Bitmap out = Bitmap::Allocate(swap ? h : w, swap ? w : h);
  auto source_pixel = [&](int x, int y) {
    uint32_t value;
    std::memcpy(&value, source.pixels.data() + static_cast<size_t>(y) * source.stride + x * 4, 4);
    return value;
  };
  for (int y = 0; y < out.height; ++y) {
    auto* row = out.pixels.data() + static_cast<size_t>(y) * out.stride;
    for (int x = 0; x < out.width; ++x) {
      int sx = x;
      int sy = y;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;  // mirrored
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;  // rotated 180°
        case 4:
          sy = h - 1 - y;
          break;  // mirrored vertically
        case 5:
          sx = y;
          sy = x;
          break;  // transposed
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // rotate 90° clockwise
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // transversed
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // rotate 90° counter-clockwise
      }
      const uint32_t value = source_pixel(sx, sy);
      std::memcpy(row + x * 4, &value, 4);
    }
  }
  return out;
}

Result<Bitmap> DecodeRaster(std::string_view bytes, const ImageHeader& header, int64_t max_pixels) {
  const AVCodec* codec = avcodec_find_decoder(CodecFor(header.format));
  if (codec == nullptr) return DecodeFailed(header, "no decoder in this libavcodec");
  CodecContext context(avcodec_alloc_context3(codec));
  if (!context) return DecodeFailed(header, "out of memory");
  context->thread_count = 1;
  // The decoder refuses larger frames itself, too. It counts rows padded to its stride
  // alignment (≤ 64 pixels), so it gets that much slack; the exact limit is checked on the
  // frame below.
  context->max_pixels = max_pixels + 128 * std::max(header.width, header.height);
  int result = avcodec_open2(context.get(), codec, nullptr);
  if (result < 0) return DecodeFailed(header, AvError(result));

  if (bytes.size() > static_cast<size_t>(INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE)) {
    return DecodeFailed(header, "file too large for the decoder");
  }
  Packet packet(av_packet_alloc());
  if (!packet || av_new_packet(packet.get(), static_cast<int>(bytes.size())) < 0) {
    return DecodeFailed(header, "out of memory");
  }
  std::memcpy(packet->data, bytes.data(), bytes.size());
  packet->flags |= AV_PKT_FLAG_KEY;

  Frame frame(av_frame_alloc());
  if (!frame) return DecodeFailed(header, "out of memory");
  result = avcodec_send_packet(context.get(), packet.get());
  if (result < 0) return DecodeFailed(header, AvError(result));
  result = avcodec_receive_frame(context.get(), frame.get());
  if (result == AVERROR(EAGAIN)) {
    // Some decoders hold the frame until they are told no more input is coming.
    static_cast<void>(avcodec_send_packet(context.get(), nullptr));
    result = avcodec_receive_frame(context.get(), frame.get());
  }
  if (result < 0) return DecodeFailed(header, AvError(result));
  if (frame->width <= 0 || frame->height <= 0) return DecodeFailed(header, "empty frame");
  if (static_cast<int64_t>(frame->width) * frame->height > max_pixels) {
    return Error(ErrorCode::kLimitExceeded,
                 "image is " + std::to_string(frame->width) + " x " +
                     std::to_string(frame->height) + " pixels, more than the limit of " +
                     std::to_string(max_pixels) + " (LIMIT_IMAGE_PIXELS)");
  }
  VG_ASSIGN_OR_RETURN(Frame argb, ToArgb(*frame, header));
  frame.reset();  // the decoded planes are no longer needed; keep the peak memory down
  Bitmap bitmap = Bitmap::Allocate(argb->width, argb->height);
  for (int y = 0; y < bitmap.height; ++y) {
    PremultiplyRow(
        reinterpret_cast<const uint32_t*>(argb->data[0] +
                                          static_cast<ptrdiff_t>(y) * argb->linesize[0]),
        reinterpret_cast<uint32_t*>(bitmap.pixels.data() + static_cast<size_t>(y) * bitmap.stride),
        bitmap.width);
  }
  if (header.orientation != 1) bitmap = ApplyOrientation(bitmap, header.orientation);
  return bitmap;
}

}  // namespace vg::assets
