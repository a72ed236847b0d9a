// Owning handles for libavcodec's context, frame and packet, wrapped once for every file that
// decodes or encodes with libav (image decoding here, audio and video in render/). Include it
// only from .cc files: it brings in FFmpeg's headers.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
}

#include "base/c_handle.h"

namespace vg::av {

inline void FreeCodecContext(AVCodecContext* context) { avcodec_free_context(&context); }
inline void FreeFrame(AVFrame* frame) { av_frame_free(&frame); }
inline void FreePacket(AVPacket* packet) { av_packet_free(&packet); }

using CodecContextPtr = CHandle<AVCodecContext, FreeCodecContext>;
using FramePtr = CHandle<AVFrame, FreeFrame>;
using PacketPtr = CHandle<AVPacket, FreePacket>;

}  // namespace vg::av
