// PNG and JPEG writers, and the write-then-rename helpers every output uses.
#include "render/still.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
}

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "assets/libav_handles.h"
#include "base/c_handle.h"
#include "render/paint.h"

namespace vg::render {
std::string TemporaryPathBeside(const std::string& path) {
  std::filesystem::path p(path);
  std::string name = fmt::format(".{}.{}.part", p.filename().string(), static_cast<long>(getpid()));
  return (p.parent_path() / name).string();
}

Status CommitFile(const std::string& from, const std::string& to) {
  std::error_code ec;
  std::filesystem::rename(from, to, ec);
  if (ec) {
    std::filesystem::remove(from, ec);
    return Status(ErrorCode::kRenderFailed, fmt::format("cannot move the result into place at {}", to));
  }
  return Status::Ok();
}

Status WritePng(const assets::Bitmap& frame, const std::string& path) {
  std::string temp = TemporaryPathBeside(path);
  SurfacePtr surface = WrapBitmap(frame);
  if (cairo_surface_write_to_png(surface.get(), temp.c_str()) != CAIRO_STATUS_SUCCESS) {
    std::remove(temp.c_str());
    return Status(ErrorCode::kRenderFailed, fmt::format("cannot write the PNG {}", path));
  }
  return CommitFile(temp, path);
}

Status WriteJpegThumbnail(const assets::Bitmap& frame, int width, const std::string& path) {
  const int height = std::max(2, static_cast<int>(std::lround(
                                     static_cast<double>(width) * frame.height / frame.width / 2)) * 2);
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!codec) return Status(ErrorCode::kRenderFailed, "this FFmpeg build has no JPEG encoder");
  av::CodecContextPtr c(avcodec_alloc_context3(codec));
  c->width = width;
  c->height = height;
  c->pix_fmt = AV_PIX_FMT_YUVJ420P;
  c->time_base = AVRational{1, 25};
  c->flags |= AV_CODEC_FLAG_QSCALE | AV_CODEC_FLAG_BITEXACT;
  c->global_quality = FF_QP2LAMBDA * 3;
  if (avcodec_open2(c.get(), codec, nullptr) < 0) {
    return Status(ErrorCode::kRenderFailed, "cannot open the JPEG encoder");
  }
  av::FramePtr picture(av_frame_alloc());
  picture->format = AV_PIX_FMT_YUVJ420P;
  picture->width = width;
  picture->height = height;
  picture->quality = c->global_quality;
  if (av_frame_get_buffer(picture.get(), 0) < 0) return Status(ErrorCode::kRenderFailed, "JPEG buffer");
  SwsContext* sws = sws_getContext(frame.width, frame.height, AV_PIX_FMT_BGRA, width, height,
                                   AV_PIX_FMT_YUVJ420P, SWS_AREA, nullptr, nullptr, nullptr);
  if (!sws) return Status(ErrorCode::kRenderFailed, "cannot scale the thumbnail");
  const uint8_t* src[1] = {frame.pixels.data()};
  const int src_stride[1] = {frame.stride};
  sws_scale(sws, src, src_stride, 0, frame.height, picture->data, picture->linesize);
  sws_freeContext(sws);
  av::PacketPtr packet(av_packet_alloc());
  if (avcodec_send_frame(c.get(), picture.get()) < 0 || avcodec_send_frame(c.get(), nullptr) < 0 ||
      avcodec_receive_packet(c.get(), packet.get()) < 0) {
    return Status(ErrorCode::kRenderFailed, "JPEG encoding failed");
  }
  std::string temp = TemporaryPathBeside(path);
  FILE* f = std::fopen(temp.c_str(), "wb");
  if (!f) return Status(ErrorCode::kRenderFailed, fmt::format("cannot write {}", path));
  const bool ok = std::fwrite(packet->data, 1, packet->size, f) == static_cast<size_t>(packet->size);
  if (std::fclose(f) != 0 || !ok) {
    std::remove(temp.c_str());
    return Status(ErrorCode::kRenderFailed, fmt::format("cannot write {}", path));
  }
  return CommitFile(temp, path);
}

}  // namespace vg::render
