// Conv2DBackpropFilter on oneDNN: dW = x^T * dy, reading x and dy (nhwc) in place in the wasm memory; the result
// comes out in oneDNN's blocked layout and is reordered into the HWIO output tensor tfjs allocated.
// Determinism: for a fixed thread count oneDNN's reduction order is fixed (bit-identical reruns); it differs across counts.
#include "conv_common.h"

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_backward_weights::primitive_desc pd;
  dnnl::convolution_backward_weights prim;
  PackedWeights dw;
};
}  // namespace

napi_value convBackwardWeights(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kBackwardWeights, &c)) return nullptr;
  return guarded(env, "Conv2DBackpropFilter (oneDNN)", [&] {
    useThreads(threadsFor(c.p));  // before creating the primitive too: oneDNN sizes its work split then
    Entry& e = cachedEntry<Entry>(c.p, [&](Entry& n) {
      dnnl::convolution_backward_weights::desc d(dnnl::algorithm::convolution_direct, c.p.src(), c.p.anyWeights(), c.p.dst(), c.p.strides(),
                                                 c.p.dilates(), c.p.padL(), c.p.padR());
      n.pd = dnnl::convolution_backward_weights::primitive_desc(d, cpuEngine(), c.p.forwardHint());
      n.prim = dnnl::convolution_backward_weights(n.pd);
      n.dw.init(n.pd.diff_weights_desc(), c.p.weights(), false);
    });
    auto& eng = cpuEngine();
    auto& s = cpuStream();
    memory x(c.p.src(), eng, c.a), dy(c.p.dst(), eng, c.b), dwUser(c.p.weights(), eng, c.out);
    e.prim.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_DIFF_WEIGHTS, e.dw.target(dwUser)}});
    e.dw.writeBack(s, dwUser);
    s.wait();
  });
}

}  // namespace tessera
