// Parameter parsing, bounds checks and the per-thread oneDNN engine/stream shared by the convolution kernels.
#include "conv_common.h"
#include <omp.h>
#include <atomic>

namespace tessera {
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

static std::atomic<int> gThreads{1};
void setThreads(int n) { gThreads = n < 1 ? 1 : n; }
int threads() { return gThreads; }
void useThreads(int n) {
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}
int threadsFor(const ConvParams& p) {
  const double flops = 2.0 * p.n * p.oh * p.ow * p.co * p.ci * p.kh * p.kw;
  return flops < 32e6 ? 1 : gThreads.load();
}

void reorderSingleThreaded(dnnl::reorder& r, dnnl::stream& s, dnnl::memory& from, dnnl::memory& to) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  r.execute(s, from, to);
  omp_set_num_threads(before);
}

void PackedWeights::init(const memory::desc& chosen, const memory::desc& user, bool intoPacked) {
  repack = chosen != user;
  if (!repack) return;
  packed = memory(chosen, cpuEngine());
  memory userView(user, cpuEngine(), nullptr);
  reorder = intoPacked ? dnnl::reorder(userView, packed) : dnnl::reorder(packed, userView);
}
memory PackedWeights::read(dnnl::stream& s, memory& user) {
  if (!repack) return user;
  reorderSingleThreaded(reorder, s, user, packed);
  return packed;
}
void PackedWeights::writeBack(dnnl::stream& s, memory& user) {
  if (repack) reorderSingleThreaded(reorder, s, packed, user);
}

std::string ConvParams::key() const {
  std::string k;
  for (int64_t v : {n, h, w, ci, co, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow}) k += std::to_string(v) + ",";
  return k;
}
memory::desc ConvParams::src() const { return memory::desc({n, ci, h, w}, dt::f32, tag::nhwc); }
memory::desc ConvParams::dst() const { return memory::desc({n, co, oh, ow}, dt::f32, tag::nhwc); }
memory::desc ConvParams::weights() const { return memory::desc({co, ci, kh, kw}, dt::f32, tag::hwio); }
memory::desc ConvParams::anyWeights() const { return memory::desc({co, ci, kh, kw}, dt::f32, tag::any); }

dnnl::convolution_forward::primitive_desc ConvParams::forwardHint() const {
  dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, src(), anyWeights(), dst(),
                                    strides(), dilates(), padL(), padR());
  return dnnl::convolution_forward::primitive_desc(d, cpuEngine());
}

dnnl::engine& cpuEngine() {
  thread_local dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}
dnnl::stream& cpuStream() {
  thread_local dnnl::stream s(cpuEngine());
  return s;
}

static bool fail(napi_env env, const std::string& msg) {
  napi_throw_error(env, "ERR_TESSERA_DNNL", msg.c_str());
  return false;
}

bool parseConvCall(napi_env env, napi_callback_info info, int which, ConvCall* call) {
  size_t argc = 5;
  napi_value argv[5];
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 5) return fail(env, "expected (memory, offA, offB, offOut, params)");
  void* base = nullptr;
  size_t byteLength = 0;
  if (napi_get_arraybuffer_info(env, argv[0], &base, &byteLength) != napi_ok) return fail(env, "argument 0 must be the wasm memory ArrayBuffer");
  int64_t off[3];
  for (int i = 0; i < 3; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &off[i]) != napi_ok) return fail(env, "tensor offsets must be numbers");
  }
  napi_typedarray_type type;
  size_t len = 0;
  void* pdata = nullptr;
  if (napi_get_typedarray_info(env, argv[4], &type, &len, &pdata, nullptr, nullptr) != napi_ok || type != napi_int32_array || len != 17) {
    return fail(env, "params must be an Int32Array of 17 values");
  }
  const int32_t* q = static_cast<const int32_t*>(pdata);
  ConvParams& p = call->p;
  p = ConvParams{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], q[14], q[15], q[16]};
  for (int i = 0; i < 17; i++) {
    if (q[i] < 0 || (i < 11 && q[i] < 1) || (i >= 15 && q[i] < 1)) return fail(env, "invalid convolution parameters");
  }
  const int64_t xs = p.n * p.h * p.w * p.ci, ys = p.n * p.oh * p.ow * p.co, ws = p.kh * p.kw * p.ci * p.co;
  // operand sizes per kind: forward (x, W -> y), backward data (dy, W -> dx), backward weights (x, dy -> dW)
  const int64_t sizes[3][3] = {{xs, ws, ys}, {ys, ws, xs}, {xs, ys, ws}};
  float* ptr[3];
  for (int i = 0; i < 3; i++) {
    const int64_t bytes = sizes[which][i] * 4;
    if (off[i] < 0 || off[i] % 4 != 0 || off[i] + bytes > static_cast<int64_t>(byteLength)) return fail(env, "tensor outside the wasm memory (stale buffer or wrong offset)");
    ptr[i] = reinterpret_cast<float*>(static_cast<char*>(base) + off[i]);
  }
  call->a = ptr[0];
  call->b = ptr[1];
  call->out = ptr[2];
  return true;
}

}  // namespace tessera
