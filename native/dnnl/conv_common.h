// Shared pieces of Tessera's oneDNN convolution kernels: parameters, the in-place views of tfjs-wasm tensors
// (NHWC activations, HWIO filters, both living inside the wasm backend's WebAssembly.Memory), and the engine/stream.
#pragma once
#include <node_api.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

namespace tessera {

// One 2-D convolution as tfjs describes it (computeConv2DInfo); dilations are tfjs's (1 = none).
struct ConvParams {
  int64_t n, h, w, ci, co, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, oh, ow;
  std::string key() const;
  dnnl::memory::desc src() const;      // x  [N,H,W,Ci]  (nhwc)
  dnnl::memory::desc dst() const;      // y  [N,Ho,Wo,Co] (nhwc)
  dnnl::memory::desc weights() const;  // W  [kh,kw,Ci,Co] (hwio)
  dnnl::memory::desc anyWeights() const;
  dnnl::memory::dims strides() const { return {sh, sw}; }
  dnnl::memory::dims dilates() const { return {dh - 1, dw - 1}; }
  dnnl::memory::dims padL() const { return {pt, pl}; }
  dnnl::memory::dims padR() const { return {pb, pr}; }
  dnnl::convolution_forward::primitive_desc forwardHint() const;
};

// Per-thread engine and stream (tfjs may run in several worker threads, each with its own wasm instance).
dnnl::engine& cpuEngine();
dnnl::stream& cpuStream();

// The OpenMP team size for one conv shape: the configured count, or 1 for small convolutions (< 32 MFLOP), where waking
// a second thread costs more than it saves (on a loaded machine a wake-up can wait a whole scheduler slice). Fixed per
// shape, and oneDNN plans its work split when the primitive is created, so primitives are created and run with it.
int threadsFor(const ConvParams& p);
// Sets the calling thread's OpenMP team size (OpenMP ICVs are per thread).
void useThreads(int n);
// Runs a weight reorder on one thread: it is memory-bound and sub-millisecond, and a 2-thread OpenMP team on a loaded
// 2-core machine turned 0.5 ms into 18 ms (threads waiting on a descheduled partner at the barrier).
void reorderSingleThreaded(dnnl::reorder& r, dnnl::stream& s, dnnl::memory& from, dnnl::memory& to);
void setThreads(int n);
int threads();

// The calling thread's primitive for one conv shape, created by make(entry) on first use. One cache per Entry type (one
// per conv kind); primitives and their packed-weight buffers live as long as the thread (shapes are few).
template <typename Entry, typename Make>
Entry& cachedEntry(const ConvParams& p, Make make) {
  thread_local std::unordered_map<std::string, std::unique_ptr<Entry>> cache;
  auto& e = cache[p.key()];
  if (!e) {
    e = std::make_unique<Entry>();
    make(*e);
  }
  return *e;
}

// Weights (or their gradient) in the blocked layout a primitive chose, when it differs from the user's HWIO, with the
// single-threaded reorder between the two (into the packed buffer for forward/backward-data, out of it for weights).
struct PackedWeights {
  bool repack = false;
  dnnl::memory packed;
  dnnl::reorder reorder;
  void init(const dnnl::memory::desc& chosen, const dnnl::memory::desc& user, bool intoPacked);
  // the memory the primitive reads: the user's weights, or the packed buffer after reordering them into it
  dnnl::memory read(dnnl::stream& s, dnnl::memory& user);
  // the memory the primitive writes: the user's buffer, or the packed one (then call writeBack)
  dnnl::memory target(dnnl::memory& user) const { return repack ? packed : user; }
  void writeBack(dnnl::stream& s, dnnl::memory& user);
};

// Arguments of every conv entry point: (memory: ArrayBuffer, offA, offB, offOut, params: Int32Array(17)).
struct ConvCall {
  ConvParams p;
  float* a;
  float* b;
  float* out;
};
// Parses and bounds-checks the arguments; on failure throws a JS error and returns false.
bool parseConvCall(napi_env env, napi_callback_info info, int which, ConvCall* call);
enum ConvKind { kForward = 0, kBackwardData = 1, kBackwardWeights = 2 };

napi_value convForward(napi_env env, napi_callback_info info);
napi_value convBackwardData(napi_env env, napi_callback_info info);
napi_value convBackwardWeights(napi_env env, napi_callback_info info);

// Runs fn, turning a C++/oneDNN exception into a JS error.
template <typename F>
napi_value guarded(napi_env env, const char* what, F fn) {
  try {
    fn();
  } catch (const dnnl::error& e) {
    std::string msg = std::string(what) + ": oneDNN error " + std::to_string(static_cast<int>(e.status)) + " (" + e.what() + ")";
    napi_throw_error(env, "ERR_TESSERA_DNNL", msg.c_str());
  } catch (const std::exception& e) {
    std::string msg = std::string(what) + ": " + e.what();
    napi_throw_error(env, "ERR_TESSERA_DNNL", msg.c_str());
  }
  return nullptr;
}

}  // namespace tessera
