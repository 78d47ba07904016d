// Node-API entry of Tessera's native CPU kernels (oneDNN): convForward, convBackwardData, convBackwardWeights,
// maxPoolGrad, batchNormForward, batchNormBackward, adamwUpdate, sumSquares, setThreads, info. Node-API (not V8/NAN), so one binary loads in Node and in Electron without a rebuild.
#include "conv_common.h"
#include "heap_args.h"
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <string>

namespace tessera {

static napi_value jsSetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 1;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "setThreads(n: number)");
    return nullptr;
  }
  setThreads(n);
  return nullptr;
}

static void setProp(napi_env env, napi_value obj, const char* name, napi_value v) { napi_set_named_property(env, obj, name, v); }

static napi_value jsInfo(napi_env env, napi_callback_info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  const dnnl_version_t* ver = dnnl_version();
  std::string version = std::to_string(ver->major) + "." + std::to_string(ver->minor) + "." + std::to_string(ver->patch);
  napi_create_string_utf8(env, version.c_str(), NAPI_AUTO_LENGTH, &v);
  setProp(env, obj, "oneDnnVersion", v);
  napi_create_int32(env, threads(), &v);
  setProp(env, obj, "threads", v);
  napi_create_int32(env, omp_get_num_procs(), &v);
  setProp(env, obj, "processors", v);
  napi_create_int32(env, static_cast<int32_t>(dnnl_get_effective_cpu_isa()), &v);
  setProp(env, obj, "cpuIsa", v);
  return obj;
}

}  // namespace tessera

NAPI_MODULE_INIT() {
  const struct { const char* name; napi_callback fn; } fns[] = {
      {"convForward", tessera::convForward},
      {"convBackwardData", tessera::convBackwardData},
      {"convBackwardWeights", tessera::convBackwardWeights},
      {"maxPoolGrad", tessera::maxPoolGrad},
      {"batchNormForward", tessera::batchNormForward},
      {"batchNormBackward", tessera::batchNormBackward},
      {"adamwUpdate", tessera::adamwUpdate},
      {"sumSquares", tessera::sumSquares},
      {"setThreads", tessera::jsSetThreads},
      {"info", tessera::jsInfo},
  };
  for (const auto& f : fns) {
    napi_value v;
    napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.fn, nullptr, &v);
    napi_set_named_property(env, exports, f.name, v);
  }
  return exports;
}
