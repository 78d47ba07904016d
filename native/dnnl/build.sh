#!/usr/bin/env bash
# Builds native/dnnl/build/tessera_dnnl.node (Node-API addon over the system oneDNN, Debian `libdnnl-dev`).
# Plain g++, no node-gyp: Node-API needs only node_api.h (Debian's nodejs ships it) and no link against node.
# Exits non-zero with a message when headers or the library are missing; callers treat that as "native kernels off".
set -euo pipefail
cd "$(dirname "$0")"
NODE_INC="${NODE_INCLUDE_DIR:-$(node -p "require('path').resolve(process.execPath, '../../include/node')")}"
[ -f "$NODE_INC/node_api.h" ] || NODE_INC=/usr/include/node
[ -f "$NODE_INC/node_api.h" ] || { echo "native/dnnl: node_api.h not found (set NODE_INCLUDE_DIR)" >&2; exit 1; }
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || [ -n "${DNNL_INCLUDE_DIR:-}" ] || { echo "native/dnnl: oneDNN headers not found (apt-get install libdnnl-dev)" >&2; exit 1; }
CXX="${CXX:-g++}"
mkdir -p build
objs=()
pids=()
for src in conv_common.cc conv_forward.cc conv_backward_data.cc conv_backward_weights.cc heap_args.cc max_pool_grad.cc batch_norm_forward.cc batch_norm_backward.cc adamw.cc sum_squares.cc addon.cc; do
  obj="build/${src%.cc}.o"
  # the optimizer kernels must round like tfjs-wasm's op-by-op path: no contraction into fused multiply-adds (sqrt never
  # sets errno here, so it may stay an inline instruction; results are the same); -O3 vectorises the AdamW loop
  case "$src" in adamw.cc|sum_squares.cc) extra=(-O3 -ffp-contract=off -fno-math-errno) ;; *) extra=() ;; esac
  "$CXX" -std=c++17 -O2 -fPIC -fvisibility=hidden -fopenmp -DNAPI_VERSION=8 "${extra[@]}" -I"$NODE_INC" ${DNNL_INCLUDE_DIR:+-I"$DNNL_INCLUDE_DIR"} -c "$src" -o "$obj" &
  pids+=($!)
  objs+=("$obj")
done
for pid in "${pids[@]}"; do wait "$pid"; done   # a bare `wait` would hide a failed compile
"$CXX" -shared -fopenmp -o build/tessera_dnnl.node.tmp "${objs[@]}" ${DNNL_LIB_DIR:+-L"$DNNL_LIB_DIR"} -ldnnl
mv build/tessera_dnnl.node.tmp build/tessera_dnnl.node
echo "native/dnnl: built $(pwd)/build/tessera_dnnl.node"
