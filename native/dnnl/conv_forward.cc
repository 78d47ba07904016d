// Conv2D forward on oneDNN, in place on tfjs-wasm tensors: x (nhwc) and y (nhwc) are used where they lie; the HWIO
// filter is reordered each call into oneDNN's blocked layout (weights change every training step; ~1 % of the conv).
#include "conv_common.h"

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_forward::primitive_desc pd;
  dnnl::convolution_forward prim;
  PackedWeights w;
};
}  // namespace

napi_value convForward(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kForward, &c)) return nullptr;
  return guarded(env, "Conv2D (oneDNN)", [&] {
    useThreads(threadsFor(c.p));  // before creating the primitive too: oneDNN sizes its work split then
    Entry& e = cachedEntry<Entry>(c.p, [&](Entry& n) {
      n.pd = c.p.forwardHint();
      n.prim = dnnl::convolution_forward(n.pd);
      n.w.init(n.pd.weights_desc(), c.p.weights(), true);
    });
    auto& eng = cpuEngine();
    auto& s = cpuStream();
    memory src(c.p.src(), eng, c.a), wUser(c.p.weights(), eng, c.b), dst(c.p.dst(), eng, c.out);
    e.prim.execute(s, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, e.w.read(s, wUser)}, {DNNL_ARG_DST, dst}});
    s.wait();
  });
}

}  // namespace tessera
