// Conv2D forward on oneDNN, in place on tfjs-wasm tensors: x (nhwc) and y (nhwc) are used where they lie; the HWIO
// filter is reordered each call into oneDNN's blocked layout (weights change every training step; ~1 % of the conv).
#include "conv_common.h"
#include <memory>
#include <unordered_map>

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  bool repack = false;
  memory packed;
  dnnl::reorder toPacked;
};
}  // namespace

napi_value convForward(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kForward, &c)) return nullptr;
  return guarded(env, "Conv2D (oneDNN)", [&] {
    const int nthr = threadsFor(c.p);
    useThreads(nthr);  // before creating the primitive too: oneDNN sizes its work split then
    thread_local std::unordered_map<std::string, std::unique_ptr<Entry>> cache;
    auto& eng = cpuEngine();
    auto& e = cache[c.p.key()];
    if (!e) {
      e = std::make_unique<Entry>();
      e->pd = c.p.forwardHint();
      e->prim = dnnl::convolution_forward(e->pd);
      e->repack = e->pd.weights_desc() != c.p.weights();
      if (e->repack) {
        e->packed = memory(e->pd.weights_desc(), eng);
        e->toPacked = dnnl::reorder(memory(c.p.weights(), eng, nullptr), e->packed);
      }
    }
    auto& s = cpuStream();
    memory src(c.p.src(), eng, c.a), wUser(c.p.weights(), eng, c.b), dst(c.p.dst(), eng, c.out);
    memory w = wUser;
    if (e->repack) {
      reorderSingleThreaded(e->toPacked, s, wUser, e->packed);
      w = e->packed;
    }
    e->prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DST, dst}});
    s.wait();
  });
}

}  // namespace tessera
