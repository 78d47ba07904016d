// Fused AdamW update of one parameter tensor: (param, m, v, grad) -> new (param, m, v) in fresh outputs, in the exact
// float32 operation order of the composite tf-op path in src-main/ml/mcm/optimizer.ts, so the result is bit-identical
// to it on tfjs-wasm: every tf op rounds to float32 (here: each float operation, no excess precision on x86-64 SSE),
// the JS-number scalars arrive as the float32 values tfjs makes of them, sqrt is correctly rounded in both, and this
// file is compiled with -ffp-contract=off (a fused multiply-add would skip a rounding). Elementwise, so any thread split
// gives the same bits; workers compute in the calling thread's MXCSR (fp_env.h), as wasm does on that thread.
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include "conv_common.h"
#include "fp_env.h"
#include "heap_args.h"

namespace tessera {

namespace {
struct AdamWScalars {
  float clip, b1, oneMinusB1, b2, oneMinusB2, bc1, bc2, eps, wd, lr;
};

// One chunk [from, to). `Clip`/`Decay` as template flags keep the inner loop branch-free (and vectorisable).
template <bool Clip, bool Decay>
void update(const AdamWScalars& s, const float* __restrict p, const float* __restrict m, const float* __restrict v,
            const float* __restrict g, float* __restrict pOut, float* __restrict mOut, float* __restrict vOut, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; i++) {
    const float gc = Clip ? g[i] * s.clip : g[i];                  // tf.mul(grad, clip)
    const float mA = m[i] * s.b1, mB = gc * s.oneMinusB1;           // tf.mul(m, b1), tf.mul(gc, 1 - b1)
    const float mN = mA + mB;                                       // tf.add
    const float sq = gc * gc;                                       // tf.square(gc)
    const float vA = v[i] * s.b2, vB = sq * s.oneMinusB2;           // tf.mul(v, b2), tf.mul(square, 1 - b2)
    const float vN = vA + vB;                                       // tf.add
    const float mHat = mN / s.bc1;                                  // tf.div(mNew, bc1)
    const float root = std::sqrt(vN / s.bc2);                       // tf.sqrt(tf.div(vNew, bc2))
    float upd = mHat / (root + s.eps);                              // tf.div(., tf.add(root, eps))
    if (Decay) {
      const float decay = p[i] * s.wd;                              // tf.mul(param, weightDecay)
      upd = upd + decay;                                            // tf.add(upd, .)
    }
    const float step = upd * s.lr;                                  // tf.mul(upd, lr)
    pOut[i] = p[i] - step;                                          // tf.sub(param, .)
    mOut[i] = mN;
    vOut[i] = vN;
  }
}
}  // namespace

// (memory, offParam, offM, offV, offGrad, offParamOut, offMOut, offVOut, params: n, flags (1 clip, 2 decay), then the
// float32 bits of clip, b1, 1 - b1, b2, 1 - b2, bc1, bc2, eps, weightDecay, lr)
napi_value adamwUpdate(napi_env env, napi_callback_info info) {
  HeapCall c;
  const char* what = "AdamW (native)";
  if (!parseHeapCall(env, info, what, 7, 12, &c)) return nullptr;
  const int64_t n = c.params[0];
  const int32_t flags = c.params[1];
  AdamWScalars s;
  static_assert(sizeof s == 10 * sizeof(int32_t), "ten float32 scalars");
  std::memcpy(&s, &c.params[2], sizeof s);
  if (n < 1 || (flags & ~3) != 0) {
    napi_throw_error(env, "ERR_TESSERA_DNNL", "AdamW (native): invalid parameters (size, flags)");
    return nullptr;
  }
  float* ptr[7];
  for (size_t i = 0; i < 7; i++) {
    if (!(ptr[i] = c.f32(env, i, n))) return nullptr;
  }
  const bool clip = flags & 1, decay = flags & 2;
  auto fn = clip ? (decay ? update<true, true> : update<true, false>) : (decay ? update<false, true> : update<false, false>);
  return guarded(env, what, [&] {
    // memory-bound (7 floats moved per element): a second thread pays only on large tensors (ResNet-18's 3x3x256x256
    // and up); below 256 K elements the wake-up costs more than it saves
    const int nthr = n < (1 << 18) ? 1 : threads();
    const int64_t chunk = (n + nthr - 1) / nthr;
    const unsigned csr = _mm_getcsr();
#pragma omp parallel num_threads(nthr)
    {
      const ScopedMxcsr env(csr);
#pragma omp for schedule(static, 1)
      for (int t = 0; t < nthr; t++) {
        const int64_t from = t * chunk, to = std::min<int64_t>(n, from + chunk);
        if (from < to) fn(s, ptr[0], ptr[1], ptr[2], ptr[3], ptr[4], ptr[5], ptr[6], from, to);
      }
    }
  });
}

}  // namespace tessera
