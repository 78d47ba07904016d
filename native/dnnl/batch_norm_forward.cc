// BatchNorm forward in training mode (NHWC, per-channel batch statistics) in one native kernel, in place on tfjs-wasm
// tensors: mean and biased variance (two passes, double sums, thread-count independent: channel_sums.h), then
// y = ((x − mean)·invstd)·γ + β in float32. Replaces ~10 single-threaded wasm ops per layer; the running
// statistics stay in TypeScript (they are [C] vectors). Not oneDNN's batch_normalization: its float32 partial sums
// depend on the thread split, and the backward needs these exact statistics.
#include <cmath>
#include "channel_sums.h"
#include "heap_args.h"

namespace tessera {

// offsets: x, gamma, beta → y, mean, variance; params: rows (N·H·W), C, bits of ε as float32
napi_value batchNormForward(napi_env env, napi_callback_info info) {
  ChannelCall c;
  const char* what = "BatchNorm forward (native)";
  if (!parseChannelCall(env, info, what, {true, false, false, true, false, false}, &c)) return nullptr;
  const int64_t rows = c.rows, C = c.C;
  const float eps = c.eps;
  const float *x = c.p[0], *gamma = c.p[1], *beta = c.p[2];
  float *y = c.p[3], *meanOut = c.p[4], *varOut = c.p[5];
  return guarded(env, what, [&] {
    const int nthr = teamFor(rows * C);
    std::vector<double> mean(C), var(C);
    channelSums<1>(rows, C, nthr, mean.data(), [&](int64_t r, double* acc) {
      const float* xr = x + r * C;
      for (int64_t ch = 0; ch < C; ch++) acc[ch] += xr[ch];
    });
    for (auto& m : mean) m /= static_cast<double>(rows);
    channelSums<1>(rows, C, nthr, var.data(), [&](int64_t r, double* acc) {
      const float* xr = x + r * C;
      for (int64_t ch = 0; ch < C; ch++) {
        const double d = xr[ch] - mean[ch];
        acc[ch] += d * d;
      }
    });
    std::vector<float> meanF(C), invF(C);
    for (int64_t ch = 0; ch < C; ch++) {
      var[ch] /= static_cast<double>(rows);
      meanOut[ch] = meanF[ch] = static_cast<float>(mean[ch]);
      varOut[ch] = static_cast<float>(var[ch]);
      invF[ch] = 1.0f / std::sqrt(varOut[ch] + eps);
    }
    // y in float32 in the composite path's operation order, ((x − mean)·invstd)·γ + β, each step rounded: with statistics
    // equal to float precision the two paths give the same bits, so switching the addon on or off moves results less
#pragma omp parallel for num_threads(nthr) schedule(static)
    for (int64_t r = 0; r < rows; r++) {
      const float* xr = x + r * C;
      float* yr = y + r * C;
      for (int64_t ch = 0; ch < C; ch++) {
        const float xhat = (xr[ch] - meanF[ch]) * invF[ch];
        yr[ch] = xhat * gamma[ch] + beta[ch];
      }
    }
  });
}

}  // namespace tessera
