// MaxPoolGrad (NHWC) on the CPU, OpenMP over the batch, with tfjs's exact semantics (tfjs-backend-cpu maxPoolPositions):
// each window's gradient goes to its FIRST strict maximum in row-major window order (ties: the top-left one), padding
// cells never win, a window of only NaN/-inf passes no gradient; a cell that wins several overlapping windows sums their
// dy in double in (output row, output column) order and is rounded to float32 once, as the cpu backend does. So the
// result is bit-identical to the cpu backend and independent of the thread count (images are independent).
// Not oneDNN's pooling backward: it needs the forward's workspace and picks among ties by its own rule.
#include <omp.h>
#include <algorithm>
#include <limits>
#include <vector>
#include "conv_common.h"
#include "heap_args.h"

namespace tessera {

// params: N, H, W, C, Ho, Wo, strideH, strideW, dilationH, dilationW, effectiveKh, effectiveKw, padTop, padLeft
napi_value maxPoolGrad(napi_env env, napi_callback_info info) {
  HeapCall c;
  const char* what = "MaxPoolGrad (native)";
  if (!parseHeapCall(env, info, what, 3, 14, &c)) return nullptr;
  const auto& q = c.params;
  const int64_t n = q[0], h = q[1], w = q[2], ch = q[3], oh = q[4], ow = q[5], sh = q[6], sw = q[7], dh = q[8], dw = q[9], ekh = q[10],
                ekw = q[11], pt = q[12], pl = q[13];
  for (int i = 0; i < 14; i++) {
    if (q[i] < (i >= 12 ? 0 : 1)) {
      napi_throw_error(env, "ERR_TESSERA_DNNL", "MaxPoolGrad (native): invalid pooling parameters");
      return nullptr;
    }
  }
  const float* x = c.f32(env, 0, n * h * w * ch);
  if (!x) return nullptr;
  const float* dy = c.f32(env, 1, n * oh * ow * ch);
  if (!dy) return nullptr;
  float* dx = c.f32(env, 2, n * h * w * ch);
  if (!dx) return nullptr;
  return guarded(env, what, [&] {
    // small pools (the tests, the demo's smallcnn has none) stay on one thread: waking another costs more than it saves
    const int nthr = n * h * w * ch < (1 << 16) ? 1 : static_cast<int>(std::min<int64_t>(threads(), n));
    const int64_t plane = h * w * ch;
#pragma omp parallel num_threads(nthr)
    {
      std::vector<double> acc(static_cast<size_t>(plane));
      std::vector<int64_t> best(static_cast<size_t>(ch));
      std::vector<float> bestVal(static_cast<size_t>(ch));
#pragma omp for schedule(static)
      for (int64_t b = 0; b < n; b++) {
        const float* xb = x + b * plane;
        const float* dyb = dy + b * oh * ow * ch;
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t yr = 0; yr < oh; yr++) {
          const int64_t rCorner = yr * sh - pt;
          int64_t rMin = rCorner;
          while (rMin < 0) rMin += dh;
          const int64_t rMax = std::min(h, ekh + rCorner);
          for (int64_t yc = 0; yc < ow; yc++) {
            const int64_t cCorner = yc * sw - pl;
            int64_t cMin = cCorner;
            while (cMin < 0) cMin += dw;
            const int64_t cMax = std::min(w, ekw + cCorner);
            std::fill(best.begin(), best.end(), -1);
            std::fill(bestVal.begin(), bestVal.end(), -std::numeric_limits<float>::infinity());
            for (int64_t r = rMin; r < rMax; r += dh) {
              for (int64_t col = cMin; col < cMax; col += dw) {
                const int64_t cell = (r * w + col) * ch;
                const float* px = xb + cell;
                for (int64_t d = 0; d < ch; d++) {
                  if (px[d] > bestVal[d]) {  // strict: the first maximum keeps the gradient; NaN never wins
                    bestVal[d] = px[d];
                    best[d] = cell + d;
                  }
                }
              }
            }
            const float* g = dyb + (yr * ow + yc) * ch;
            for (int64_t d = 0; d < ch; d++) {
              if (best[d] >= 0) acc[best[d]] += static_cast<double>(g[d]);
            }
          }
        }
        float* dxb = dx + b * plane;
        for (int64_t i = 0; i < plane; i++) dxb[i] = static_cast<float>(acc[i]);
      }
    }
  });
}

}  // namespace tessera
