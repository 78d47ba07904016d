// Argument parsing and operand bounds checks for the non-convolution kernels (see heap_args.h).
#include "heap_args.h"
#include <cstring>
#include <string>

namespace tessera {

static bool fail(napi_env env, const char* what, const char* msg) {
  const std::string text = std::string(what) + ": " + msg;
  napi_throw_error(env, "ERR_TESSERA_DNNL", text.c_str());
  return false;
}

bool parseHeapCall(napi_env env, napi_callback_info info, const char* what, size_t nOffsets, size_t nParams, HeapCall* call) {
  size_t argc = nOffsets + 2;
  std::vector<napi_value> argv(argc);
  if (napi_get_cb_info(env, info, &argc, argv.data(), nullptr, nullptr) != napi_ok || argc != nOffsets + 2) return fail(env, what, "wrong number of arguments");
  void* base = nullptr;
  if (napi_get_arraybuffer_info(env, argv[0], &base, &call->byteLength) != napi_ok) return fail(env, what, "argument 0 must be the wasm memory ArrayBuffer");
  call->base = static_cast<char*>(base);
  call->offsets.resize(nOffsets);
  for (size_t i = 0; i < nOffsets; i++) {
    if (napi_get_value_int64(env, argv[i + 1], &call->offsets[i]) != napi_ok) return fail(env, what, "tensor offsets must be numbers");
  }
  napi_typedarray_type type;
  size_t len = 0;
  void* pdata = nullptr;
  if (napi_get_typedarray_info(env, argv[nOffsets + 1], &type, &len, &pdata, nullptr, nullptr) != napi_ok || type != napi_int32_array || len != nParams) {
    return fail(env, what, ("params must be an Int32Array of " + std::to_string(nParams) + " values").c_str());
  }
  const int32_t* q = static_cast<const int32_t*>(pdata);
  call->params.assign(q, q + nParams);
  return true;
}

float* HeapCall::f32(napi_env env, size_t i, int64_t count) const {
  const int64_t off = offsets[i];
  if (count < 0 || off < 0 || off % 4 != 0 || off + count * 4 > static_cast<int64_t>(byteLength)) {
    napi_throw_error(env, "ERR_TESSERA_DNNL", "tensor outside the wasm memory (stale buffer or wrong offset)");
    return nullptr;
  }
  return reinterpret_cast<float*>(base + off);
}

bool parseChannelCall(napi_env env, napi_callback_info info, const char* what, const std::vector<bool>& perRow, ChannelCall* call) {
  HeapCall h;
  if (!parseHeapCall(env, info, what, perRow.size(), 3, &h)) return false;
  call->rows = h.params[0];
  call->C = h.params[1];
  std::memcpy(&call->eps, &h.params[2], sizeof call->eps);
  if (call->rows < 1 || call->C < 1 || !(call->eps >= 0)) return fail(env, what, "invalid parameters (rows, channels, eps)");
  call->p.resize(perRow.size());
  for (size_t i = 0; i < perRow.size(); i++) {
    if (!(call->p[i] = h.f32(env, i, perRow[i] ? call->rows * call->C : call->C))) return false;
  }
  return true;
}

}  // namespace tessera
