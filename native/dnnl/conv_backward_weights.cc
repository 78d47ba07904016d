// Conv2DBackpropFilter on oneDNN: dW = x^T * dy, reading x and dy (nhwc) in place in the wasm memory; the result
// comes out in oneDNN's blocked layout and is reordered into the HWIO output tensor tfjs allocated.
// Determinism: for a fixed thread count oneDNN's reduction order is fixed (bit-identical reruns); it differs across counts.
#include "conv_common.h"
#include <memory>
#include <unordered_map>

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  bool repack = false;
  memory packed;
  dnnl::reorder fromPacked;
};
}  // namespace

napi_value convBackwardWeights(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kBackwardWeights, &c)) return nullptr;
  return guarded(env, "Conv2DBackpropFilter (oneDNN)", [&] {
    const int nthr = threadsFor(c.p);
    useThreads(nthr);  // before creating the primitive too: oneDNN sizes its work split then
    thread_local std::unordered_map<std::string, std::unique_ptr<Entry>> cache;
    auto& eng = cpuEngine();
    auto& e = cache[c.p.key()];
    if (!e) {
      e = std::make_unique<Entry>();
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, c.p.src(), c.p.anyWeights(), c.p.dst(), c.p.strides(),
                                                 c.p.dilates(), c.p.padL(), c.p.padR());
      e->pd = dnnl::convolution_backward_weights::primitive_desc(d, eng, c.p.forwardHint());
      e->prim = dnnl::convolution_backward_weights(e->pd);
      e->repack = e->pd.diff_weights_desc() != c.p.weights();
      if (e->repack) {
        e->packed = memory(e->pd.diff_weights_desc(), eng);
        e->fromPacked = dnnl::reorder(e->packed, memory(c.p.weights(), eng, nullptr));
      }
    }
    auto& s = cpuStream();
    memory x(c.p.src(), eng, c.a), dy(c.p.dst(), eng, c.b), dwUser(c.p.weights(), eng, c.out);
    memory dw = e->repack ? e->packed : dwUser;
    e->prim.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
    if (e->repack) reorderSingleThreaded(e->fromPacked, s, e->packed, dwUser);
    s.wait();
  });
}

}  // namespace tessera
