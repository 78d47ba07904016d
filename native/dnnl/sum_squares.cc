// Sum of squares over many tensors (the optimizer's squared global gradient norm) in the exact order of the composite
// tf-op path (src-main/ml/mcm/optimizer.ts sumSquares on tfjs-wasm): per tensor, tf.square rounds each x*x to float32
// and tfjs-wasm's Sum adds them one by one in a float32 accumulator starting at 0, in memory order; the per-tensor sums
// are then folded left to right with float32 adds. So the result is bit-identical to it. The per-tensor sums are
// sequential chains (the order is the contract), so threads split the tensors, not a tensor, and one thread runs
// up to 8 chains at once; the fold stays in order.
// Compiled with -ffp-contract=off (no fused multiply-add); workers compute in the calling thread's MXCSR (fp_env.h).
#include <omp.h>
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>
#include "conv_common.h"
#include "fp_env.h"
#include "heap_args.h"

namespace tessera {

namespace {
// Up to kChains tensors summed in lockstep: each keeps its own sequential float32 chain (so its own order), but the
// independent chains overlap in the pipeline, where one chain waits an add's latency per element.
constexpr size_t kChains = 8;

// Advances the first K chains over elements [from, to).
template <size_t K>
void lockstep(const float* const* x, float* acc, int64_t from, int64_t to) {
  float a[K];
  for (size_t k = 0; k < K; k++) a[k] = acc[k];
  for (int64_t i = from; i < to; i++) {
    for (size_t k = 0; k < K; k++) {
      const float sq = x[k][i] * x[k][i];
      a[k] += sq;
    }
  }
  for (size_t k = 0; k < K; k++) acc[k] = a[k];
}

// x, n: up to kChains tensors, longest first. In phases: all chains up to the shortest one's end, then the rest up to
// the next shortest, and so on (the active chains are always a prefix).
void sumsOfSquares(const float* const* x, const int64_t* n, size_t count, float* sums) {
  float acc[kChains] = {};
  size_t active = count;
  int64_t pos = 0;
  while (active > 0 && n[active - 1] == pos) active--;
  while (active > 0) {
    const int64_t end = n[active - 1];
    switch (active) {
      case 1: lockstep<1>(x, acc, pos, end); break;
      case 2: lockstep<2>(x, acc, pos, end); break;
      case 3: lockstep<3>(x, acc, pos, end); break;
      case 4: lockstep<4>(x, acc, pos, end); break;
      case 5: lockstep<5>(x, acc, pos, end); break;
      case 6: lockstep<6>(x, acc, pos, end); break;
      case 7: lockstep<7>(x, acc, pos, end); break;
      default: lockstep<kChains>(x, acc, pos, end); break;
    }
    pos = end;
    while (active > 0 && n[active - 1] == pos) active--;
  }
  for (size_t k = 0; k < count; k++) sums[k] = acc[k];
}

napi_value fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ERR_TESSERA_DNNL", ("sum of squares (native): " + msg).c_str());
  return nullptr;
}
}  // namespace

// (memory, offOut, table: Float64Array of (byte offset, element count) per tensor, in fold order) -> writes the scalar
napi_value sumSquares(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 3) return fail(env, "wrong number of arguments");
  void* base = nullptr;
  size_t byteLength = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &base, &byteLength) != napi_ok) return fail(env, "argument 0 must be the wasm memory ArrayBuffer");
  int64_t offOut = 0;
  if (napi_get_value_int64(env, argv[1], &offOut) != napi_ok) return fail(env, "the output offset must be a number");
  napi_typedarray_type type;
  size_t len = 0;
  void* tdata = nullptr;
  if (napi_get_typedarray_info(env, argv[2], &type, &len, &tdata, nullptr, nullptr) != napi_ok || type != napi_float64_array || len == 0 || len % 2 != 0) {
    return fail(env, "the table must be a non-empty Float64Array of (offset, count) pairs");
  }
  const double* table = static_cast<const double*>(tdata);
  const size_t count = len / 2;
  const int64_t limit = static_cast<int64_t>(byteLength);
  auto inside = [&](double off, double n) {
    return off >= 0 && n >= 0 && off == static_cast<double>(static_cast<int64_t>(off)) && n == static_cast<double>(static_cast<int64_t>(n)) &&
           static_cast<int64_t>(off) % 4 == 0 && off + 4 * n <= static_cast<double>(limit);
  };
  if (!inside(static_cast<double>(offOut), 1)) return fail(env, "tensor outside the wasm memory (stale buffer or wrong offset)");
  std::vector<const float*> xs(count);
  std::vector<int64_t> ns(count);
  for (size_t i = 0; i < count; i++) {
    if (!inside(table[2 * i], table[2 * i + 1])) return fail(env, "tensor " + std::to_string(i) + " outside the wasm memory (stale buffer or wrong offset)");
    xs[i] = reinterpret_cast<const float*>(static_cast<char*>(base) + static_cast<int64_t>(table[2 * i]));
    ns[i] = static_cast<int64_t>(table[2 * i + 1]);
  }
  float* out = reinterpret_cast<float*>(static_cast<char*>(base) + offOut);
  return guarded(env, "sum of squares (native)", [&] {
    std::vector<float> sums(count);
    // largest first, handed out one at a time: the biggest chains start early and the small ones fill in
    std::vector<size_t> order(count);
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return ns[a] > ns[b]; });
    const int64_t total = std::accumulate(ns.begin(), ns.end(), int64_t{0});
    // groups of kChains consecutive tensors in size order (ResNet's are mostly equal in fours and more)
    const int64_t groups = static_cast<int64_t>((count + kChains - 1) / kChains);
    const int nthr = total < (1 << 18) ? 1 : static_cast<int>(std::min<int64_t>(threads(), groups));
    const unsigned csr = _mm_getcsr();
#pragma omp parallel num_threads(nthr)
    {
      const ScopedMxcsr env(csr);
#pragma omp for schedule(dynamic, 1)
      for (int64_t gi = 0; gi < groups; gi++) {
        const size_t from = static_cast<size_t>(gi) * kChains, m = std::min(kChains, count - from);
        const float* gx[kChains];
        int64_t gn[kChains];
        float gs[kChains];
        for (size_t k = 0; k < m; k++) {
          gx[k] = xs[order[from + k]];
          gn[k] = ns[order[from + k]];
        }
        sumsOfSquares(gx, gn, m, gs);
        for (size_t k = 0; k < m; k++) sums[order[from + k]] = gs[k];
      }
    }
    float acc = sums[0];
    for (size_t i = 1; i < count; i++) acc = acc + sums[i];  // the left fold of tf.add
    *out = acc;
  });
}

}  // namespace tessera
