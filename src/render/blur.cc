// Gaussian blur by three extended-box passes per axis. Rows are blurred horizontally a few
// at a time and streamed, still as floats, through three vertical box stages that keep only
// the rows their window needs; finished rows are written back in place. Every inner loop runs
// over contiguous memory with independent lanes, so the compiler vectorises it.
#include "render/blur.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace vg::render {
namespace {

constexpr int kPasses = 3;
// Horizontal passes run on this many interleaved values: 4 ARGB rows or 16 mask rows.
constexpr int kRowLanes = 16;

// A box of 2·radius + 1 taps of weight 1 plus one tap of weight `edge_weight` at each end.
struct ExtendedBox {
  int radius = 0;
  float edge_weight = 0;
  float norm = 1;  // 1 / total weight
};

// The box whose `kPasses`-fold repetition has variance sigma² (Gwosdek et al., eq. 10-11).
ExtendedBox BoxForSigma(double sigma) {
  const double variance = sigma * sigma / kPasses;
  ExtendedBox box;
  box.radius = static_cast<int>(std::floor((std::sqrt(12.0 * variance + 1.0) - 1.0) / 2.0));
  const double r = box.radius;
  double alpha = (2.0 * r + 1.0) * (r * (r + 1.0) - 3.0 * variance) /
                 (6.0 * (variance - (r + 1.0) * (r + 1.0)));
  alpha = std::clamp(alpha, 0.0, 1.0);
  box.edge_weight = static_cast<float>(alpha);
  box.norm = static_cast<float>(1.0 / (2.0 * r + 1.0 + 2.0 * alpha));
  return box;
}

// Zero padding on each side of a line: the first and last radius + 1 entries are never
// written (they stay zero) and three passes spread at most 3·(radius + 1) into the padding.
int PaddingFor(const ExtendedBox& box) { return (kPasses + 1) * (box.radius + 1); }

// Four floats in one SIMD register (GCC/Clang vector extension: SSE on x86-64, NEON on
// arm64, plain scalar code elsewhere), loaded and stored unaligned through memcpy.
using Float4 = float __attribute__((vector_size(16)));

Float4 Load4(const float* p) {
  Float4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void Store4(float* p, Float4 v) { std::memcpy(p, &v, sizeof v); }

// One box pass over `count` positions of kRowLanes (16) interleaved floats each, the running
// sums held in four registers. Positions closer than radius + 1 to either end are left as
// they are (zero padding).
void BoxPass(const float* __restrict in, float* __restrict out, int count, const ExtendedBox& box) {
  static_assert(kRowLanes == 16);
  const int r = box.radius;
  const int first = r + 1;
  const int last = count - r - 1;  // exclusive
  if (last <= first) return;
  Float4 sum0 = {}, sum1 = {}, sum2 = {}, sum3 = {};
  for (int j = first - r; j <= first + r; ++j) {
    const float* p = in + j * kRowLanes;
    sum0 += Load4(p);
    sum1 += Load4(p + 4);
    sum2 += Load4(p + 8);
    sum3 += Load4(p + 12);
  }
  const float alpha = box.edge_weight;
  const float norm = box.norm;
  for (int i = first; i < last; ++i) {
    const float* before = in + (i - r - 1) * kRowLanes;
    const float* after = in + (i + r + 1) * kRowLanes;
    const float* leaving = in + (i - r) * kRowLanes;
    float* o = out + i * kRowLanes;
    const Float4 after0 = Load4(after), after1 = Load4(after + 4);
    const Float4 after2 = Load4(after + 8), after3 = Load4(after + 12);
    Store4(o, (sum0 + alpha * (Load4(before) + after0)) * norm);
    Store4(o + 4, (sum1 + alpha * (Load4(before + 4) + after1)) * norm);
    Store4(o + 8, (sum2 + alpha * (Load4(before + 8) + after2)) * norm);
    Store4(o + 12, (sum3 + alpha * (Load4(before + 12) + after3)) * norm);
    sum0 += after0 - Load4(leaving);
    sum1 += after1 - Load4(leaving + 4);
    sum2 += after2 - Load4(leaving + 8);
    sum3 += after3 - Load4(leaving + 12);
  }
}

// Three passes from `a` back into `b`; returns the buffer holding the result.
const float* ThreePasses(float* a, float* b, int count, const ExtendedBox& box) {
  BoxPass(a, b, count, box);
  BoxPass(b, a, count, box);
  BoxPass(a, b, count, box);
  return b;
}

// The horizontal passes of kRows rows at a time, interleaved position by position so one
// step of a pass works on kRowLanes independent values (a single ARGB row's 4 channels would
// leave every step waiting on the latency of its running sum).
template <int kChannels>
class HorizontalBlur {
 public:
  static constexpr int kRows = kRowLanes / kChannels;

  HorizontalBlur(int width, const ExtendedBox& box)
      : width_(width),
        box_(box),
        pad_(PaddingFor(box)),
        count_(width + 2 * pad_),
        a_(static_cast<size_t>(count_) * kRowLanes, 0.0f),
        b_(a_.size(), 0.0f) {}

  // Blurs `rows` (1..kRows) rows, the first at `first_row`, into out[0..rows).
  void Run(const uint8_t* first_row, int stride, int rows, float* const* out) {
    const size_t row_values = static_cast<size_t>(width_) * kChannels;
    unsigned any = 0;
    for (int g = 0; g < rows; ++g) {
      const uint8_t* row = first_row + static_cast<size_t>(g) * stride;
      for (size_t i = 0; i < row_values; ++i) any |= row[i];
    }
    if (any == 0) {
      for (int g = 0; g < rows; ++g) std::fill(out[g], out[g] + row_values, 0.0f);
      return;
    }
    // Lanes of rows past `rows` (last group) keep stale values: computed, never stored.
    float* line = a_.data() + static_cast<size_t>(pad_) * kRowLanes;
    for (int g = 0; g < rows; ++g) {
      const uint8_t* row = first_row + static_cast<size_t>(g) * stride;
      for (int x = 0; x < width_; ++x) {
        for (int c = 0; c < kChannels; ++c) {
          line[x * kRowLanes + g * kChannels + c] = row[x * kChannels + c];
        }
      }
    }
    const float* result = ThreePasses(a_.data(), b_.data(), count_, box_);
    for (int g = 0; g < rows; ++g) {
      const float* src = result + static_cast<size_t>(pad_) * kRowLanes + g * kChannels;
      float* dst = out[g];
      for (int x = 0; x < width_; ++x) {
        for (int c = 0; c < kChannels; ++c) dst[x * kChannels + c] = src[x * kRowLanes + c];
      }
    }
    // The second pass wrote into a_'s padding, which the next group must read as zero.
    std::fill(a_.begin(), a_.begin() + static_cast<std::ptrdiff_t>(pad_) * kRowLanes, 0.0f);
    std::fill(a_.begin() + static_cast<std::ptrdiff_t>(pad_ + width_) * kRowLanes, a_.end(), 0.0f);
  }

 private:
  int width_;
  ExtendedBox box_;
  int pad_;
  int count_;
  std::vector<float> a_, b_;  // padded interleaved lines
};

// One row through the three vertical stages (see BlurInterleaved): the newest, previous and
// oldest ring rows of each stage's window, its running sums, and where stage 1 and 2 put
// their output (the next stage's newest row). The rows never overlap.
void VerticalStep(const float* __restrict newest1, const float* __restrict previous1,
                  const float* __restrict oldest1, float* __restrict newest2,
                  const float* __restrict previous2, const float* __restrict oldest2,
                  float* __restrict newest3, const float* __restrict previous3,
                  const float* __restrict oldest3, float* __restrict sum1, float* __restrict sum2,
                  float* __restrict sum3, float* __restrict result, size_t count,
                  const ExtendedBox& box) {
  const float alpha = box.edge_weight;
  const float norm = box.norm;
  for (size_t i = 0; i < count; ++i) {
    sum1[i] += previous1[i] - oldest1[i];
    const float v1 = (sum1[i] + alpha * (oldest1[i] + newest1[i])) * norm;
    newest2[i] = v1;
    sum2[i] += previous2[i] - oldest2[i];
    const float v2 = (sum2[i] + alpha * (oldest2[i] + v1)) * norm;
    newest3[i] = v2;
    sum3[i] += previous3[i] - oldest3[i];
    result[i] = (sum3[i] + alpha * (oldest3[i] + v2)) * norm;
  }
}

// Rounds a blurred row of `count` values back to bytes. For ARGB, no colour may end above
// its alpha, which a premultiplied pixel cannot have (float error could put it there).
template <int kChannels>
void StoreRow(const float* src, size_t count, uint8_t* dst) {
  size_t i = 0;
#if defined(__SSE2__)
  // 16 values at a time: clamp, convert, and pack with saturation to 16 bytes.
  const __m128 zero = _mm_setzero_ps(), max = _mm_set1_ps(255.0f), half = _mm_set1_ps(0.5f);
  auto round = [&](__m128 v) {
    if constexpr (kChannels == 4) {
      v = _mm_min_ps(v, _mm_shuffle_ps(v, v, _MM_SHUFFLE(3, 3, 3, 3)));  // x86: alpha last
    }
    return _mm_cvttps_epi32(_mm_min_ps(_mm_max_ps(_mm_add_ps(v, half), zero), max));
  };
  for (; i + 16 <= count; i += 16) {
    const __m128i low =
        _mm_packs_epi32(round(_mm_loadu_ps(src + i)), round(_mm_loadu_ps(src + i + 4)));
    const __m128i high =
        _mm_packs_epi32(round(_mm_loadu_ps(src + i + 8)), round(_mm_loadu_ps(src + i + 12)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_packus_epi16(low, high));
  }
#endif
  for (; i < count; i += kChannels) {
    // ARGB32 is a native-endian word with alpha on top: byte 3 in memory on little-endian.
    constexpr int kAlpha =
        kChannels == 1 || std::endian::native == std::endian::little ? kChannels - 1 : 0;
    const float alpha = src[i + kAlpha];
    for (int c = 0; c < kChannels; ++c) {
      const float v = std::min(src[i + c], alpha);
      dst[i + c] = static_cast<uint8_t>(std::clamp(v + 0.5f, 0.0f, 255.0f));
    }
  }
}

// Horizontal rows stream through three vertical box stages, each keeping the last 2r + 3
// rows of its input in a ring and a running sum per value. Stage k's output lags its input by
// r + 1 rows; the last stage's output row y is written back into the bitmap once input row
// y + 3(r + 1) has been read, so the blur runs in place with memory for a few rows only.
template <int kChannels>
void BlurInterleaved(uint8_t* data, int width, int height, int stride, double sigma) {
  if (!(sigma > 0) || width <= 0 || height <= 0) return;
  const ExtendedBox box = BoxForSigma(sigma);
  if (box.radius == 0 && box.edge_weight == 0) return;
  const int r = box.radius;
  const int lag = r + 1;
  using Horizontal = HorizontalBlur<kChannels>;
  // A stage's window needs its last 2r + 3 input rows; stage 1's ring holds kRows − 1 more
  // so a group of horizontal rows can be written ahead. All rings have that size.
  const int ring_rows = 2 * r + 3 + Horizontal::kRows - 1;
  const size_t row_values = static_cast<size_t>(width) * kChannels;

  Horizontal horizontal(width, box);
  std::vector<float> rings(row_values * ring_rows * kPasses, 0.0f);
  std::vector<float> sums(row_values * kPasses, 0.0f);
  std::vector<float> out_row(row_values);
  auto ring_row = [&](int stage, int index) {
    const int slot = ((index % ring_rows) + ring_rows) % ring_rows;
    return rings.data() + (static_cast<size_t>(stage) * ring_rows + slot) * row_values;
  };

  for (int t = 0; t < height + kPasses * lag; ++t) {
    if (t >= height) {
      float* input = ring_row(0, t);
      std::fill(input, input + row_values, 0.0f);
    } else if (t % Horizontal::kRows == 0) {
      const int rows = std::min(Horizontal::kRows, height - t);
      float* outputs[Horizontal::kRows];
      for (int g = 0; g < rows; ++g) outputs[g] = ring_row(0, t + g);
      horizontal.Run(data + static_cast<size_t>(t) * stride, stride, rows, outputs);
    }
    // Each stage's newest input row is `index`; it now yields output row index − lag:
    // sum(y) = sum(y − 1) + in(y + r) − in(y − r − 1), plus the fractional end taps. The
    // three stages run in one loop so a value goes from one to the next in a register; the
    // ring rows of stages 2 and 3 are still written, as later rows need them.
    const int index1 = t, index2 = t - lag, index3 = t - 2 * lag;
    VerticalStep(ring_row(0, index1), ring_row(0, index1 - 1), ring_row(0, index1 - 2 * r - 2),
                 ring_row(1, index2), ring_row(1, index2 - 1), ring_row(1, index2 - 2 * r - 2),
                 ring_row(2, index3), ring_row(2, index3 - 1), ring_row(2, index3 - 2 * r - 2),
                 sums.data(), sums.data() + row_values, sums.data() + 2 * row_values,
                 out_row.data(), row_values, box);
    const int y = t - kPasses * lag;
    if (y < 0) continue;
    StoreRow<kChannels>(out_row.data(), row_values, data + static_cast<size_t>(y) * stride);
  }
}

}  // namespace

void GaussianBlur(assets::Bitmap& bitmap, double sigma) {
  if (bitmap.empty()) return;
  BlurInterleaved<4>(bitmap.pixels.data(), bitmap.width, bitmap.height, bitmap.stride, sigma);
}

void GaussianBlurMask(uint8_t* data, int width, int height, int stride, double sigma) {
  BlurInterleaved<1>(data, width, height, stride, sigma);
}

int GaussianBlurReach(double sigma) {
  if (!(sigma > 0)) return 0;
  const ExtendedBox box = BoxForSigma(sigma);
  return kPasses * (box.radius + 1);
}

}  // namespace vg::render
