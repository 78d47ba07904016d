// BatchNorm backward in training mode (NHWC) in one native kernel, in place on tfjs-wasm tensors: from dy, x and the
// forward's batch mean/variance, dβ = Σdy, dγ = Σdy·x̂, dx = γ/σ · (dy − dβ/M − x̂·dγ/M) with x̂ = (x − mean)/σ,
// σ = √(var + ε), M = N·H·W. One pass of double sums (thread-count independent, channel_sums.h), one elementwise pass.
// Replaces ~12 single-threaded wasm ops per layer (reductions and broadcasts of the closed form in layers.ts).
#include <cmath>
#include "channel_sums.h"
#include "heap_args.h"

namespace tessera {

// offsets: dy, x, mean, variance, gamma → dx, dgamma, dbeta; params: rows (N·H·W), C, bits of ε as float32
napi_value batchNormBackward(napi_env env, napi_callback_info info) {
  ChannelCall c;
  const char* what = "BatchNorm backward (native)";
  if (!parseChannelCall(env, info, what, {true, true, false, false, false, true, false, false}, &c)) return nullptr;
  const int64_t rows = c.rows, C = c.C;
  const float eps = c.eps;
  const float *dy = c.p[0], *x = c.p[1], *meanIn = c.p[2], *varIn = c.p[3], *gamma = c.p[4];
  float *dx = c.p[5], *dGamma = c.p[6], *dBeta = c.p[7];
  return guarded(env, what, [&] {
    const int nthr = teamFor(rows * C);
    std::vector<double> sums(2 * C), a(C), b(C), k(C), mean(meanIn, meanIn + C);
    // sums[c] = Σdy, sums[C + c] = Σdy·(x − mean)
    channelSums<2>(rows, C, nthr, sums.data(), [&](int64_t r, double* acc) {
      const float *dyr = dy + r * C, *xr = x + r * C;
      for (int64_t ch = 0; ch < C; ch++) {
        acc[ch] += dyr[ch];
        acc[C + ch] += dyr[ch] * (xr[ch] - mean[ch]);
      }
    });
    const double m = static_cast<double>(rows);
    for (int64_t ch = 0; ch < C; ch++) {
      const double inv = 1.0 / std::sqrt(static_cast<double>(varIn[ch]) + static_cast<double>(eps));
      dBeta[ch] = static_cast<float>(sums[ch]);
      dGamma[ch] = static_cast<float>(sums[C + ch] * inv);
      a[ch] = gamma[ch] * inv;           // dx = a·(dy − b − (x − mean)·k)
      b[ch] = sums[ch] / m;
      k[ch] = sums[C + ch] * inv * inv / m;
    }
#pragma omp parallel for num_threads(nthr) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float *dyr = dy + r * C, *xr = x + r * C;
      float* dxr = dx + r * C;
      for (int64_t ch = 0; ch < C; ch++) dxr[ch] = static_cast<float>(a[ch] * (dyr[ch] - b[ch] - (xr[ch] - mean[ch]) * k[ch]));
    }
  });
}

}  // namespace tessera
