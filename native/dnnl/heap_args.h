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

// A per-channel kernel's call (batch norm): (memory, offsets..., params: rows = N·H·W, C, bits of ε as float32);
// operand i is rows·C floats when perRow[i], else C.
struct ChannelCall {
  int64_t rows = 0, C = 0;
  float eps = 0;
  std::vector<float*> p;
};
bool parseChannelCall(napi_env env, napi_callback_info info, const char* what, const std::vector<bool>& perRow, ChannelCall* call);

// Entry points of the non-convolution kernels (one file each).
napi_value maxPoolGrad(napi_env env, napi_callback_info info);
napi_value batchNormForward(napi_env env, napi_callback_info info);
napi_value batchNormBackward(napi_env env, napi_callback_info info);
napi_value adamwUpdate(napi_env env, napi_callback_info info);
napi_value sumSquares(napi_env env, napi_callback_info info);

}  // namespace tessera
