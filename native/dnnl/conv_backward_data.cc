// Conv2DBackpropInput on oneDNN: dx = W^T * dy, in place on tfjs-wasm tensors (dy, dx nhwc); the HWIO filter is
// reordered into the layout the backward-data primitive wants (once per call; it changes every training step).
#include "conv_common.h"
#include <memory>
#include <unordered_map>

namespace tessera {
using dnnl::memory;

namespace {
struct Entry {
  dnnl::convolution_backward_data::primitive_desc pd;
  dnnl::convolution_backward_data prim;
  bool repack = false;
  memory packed;
  dnnl::reorder toPacked;
};
}  // namespace

napi_value convBackwardData(napi_env env, napi_callback_info info) {
  ConvCall c;
  if (!parseConvCall(env, info, kBackwardData, &c)) return nullptr;
  return guarded(env, "Conv2DBackpropInput (oneDNN)", [&] {
    const int nthr = threadsFor(c.p);
    useThreads(nthr);  // before creating the primitive too: oneDNN sizes its work split then
    thread_local std::unordered_map<std::string, std::unique_ptr<Entry>> cache;
    auto& eng = cpuEngine();
    auto& e = cache[c.p.key()];
    if (!e) {
      e = std::make_unique<Entry>();
      dnnl::convolution_backward_data::desc d(dnnl::algorithm::convolution_direct, c.p.src(), c.p.anyWeights(), c.p.dst(), c.p.strides(),
                                              c.p.dilates(), c.p.padL(), c.p.padR());
      e->pd = dnnl::convolution_backward_data::primitive_desc(d, eng, c.p.forwardHint());
      e->prim = dnnl::convolution_backward_data(e->pd);
      e->repack = e->pd.weights_desc() != c.p.weights();
      if (e->repack) {
        e->packed = memory(e->pd.weights_desc(), eng);
        e->toPacked = dnnl::reorder(memory(c.p.weights(), eng, nullptr), e->packed);
      }
    }
    auto& s = cpuStream();
    memory dy(c.p.dst(), eng, c.a), wUser(c.p.weights(), eng, c.b), dx(c.p.src(), eng, c.out);
    memory w = wUser;
    if (e->repack) {
      reorderSingleThreaded(e->toPacked, s, wUser, e->packed);
      w = e->packed;
    }
    e->prim.execute(s, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, w}, {DNNL_ARG_DIFF_SRC, dx}});
    s.wait();
  });
}

}  // namespace tessera
