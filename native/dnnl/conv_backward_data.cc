// Conv2DBackpropInput on oneDNN: dx = W^T * dy, in place on tfjs-wasm tensors (dy, dx nhwc); the HWIO filter is
// reordered into the layout the backward-data primitive wants (once per call; it changes every training step).
#include "conv_common.h"

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  PackedWeights w;
};
}  // namespace

napi_value convBackwardData(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kBackwardData, &c)) return nullptr;
  return guarded(env, "Conv2DBackpropInput (oneDNN)", [&] {
    useThreads(threadsFor(c.p));  // before creating the primitive too: oneDNN sizes its work split then
    Entry& e = cachedEntry<Entry>(c.p, [&](Entry& n) {
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, c.p.src(), c.p.anyWeights(), c.p.dst(), c.p.strides(),
                                              c.p.dilates(), c.p.padL(), c.p.padR());
      n.pd = dnnl::convolution_backward_data::primitive_desc(d, cpuEngine(), c.p.forwardHint());
      n.prim = dnnl::convolution_backward_data(n.pd);
      n.w.init(n.pd.weights_desc(), c.p.weights(), true);
    });
    auto& eng = cpuEngine();
    auto& s = cpuStream();
    memory dy(c.p.dst(), eng, c.a), wUser(c.p.weights(), eng, c.b), dx(c.p.src(), eng, c.out);
    e.prim.execute(s, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, e.w.read(s, wUser)}, {DNNL_ARG_DIFF_SRC, dx}});
    s.wait();
  });
}

}  // namespace tessera
