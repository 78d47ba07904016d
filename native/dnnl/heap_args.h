// Argument parsing shared by the non-convolution kernels: (memory: ArrayBuffer, ...byte offsets, params: Int32Array),
// each operand bounds-checked against the wasm memory before a kernel touches it.
#pragma once
#include <node_api.h>
#include <cstdint>
#include <vector>

namespace tessera {

struct HeapCall {
  char* base = nullptr;
  size_t byteLength = 0;
  std::vector<int64_t> offsets;
  std::vector<int32_t> params;
  // A float32 operand of `count` elements at offsets[i]; nullptr (and a JS error thrown) when it lies outside the memory.
  float* f32(napi_env env, size_t i, int64_t count) const;
};

// Parses (memory, off_0 .. off_{nOffsets-1}, params) with params.length == nParams; throws a JS error naming `what`
// and returns false on a malformed call.
bool parseHeapCall(napi_env env, napi_callback_info info, const char* what, size_t nOffsets, size_t nParams, HeapCall* call);

// Entry points of the non-convolution kernels (one file each).
napi_value maxPoolGrad(napi_env env, napi_callback_info info);

}  // namespace tessera
