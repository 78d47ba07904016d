// Per-channel reductions over the rows of an NHWC tensor (rows = N·H·W), shared by the batch-norm kernels.
// Sums are in double over fixed 256-row chunks, combined in chunk order: the result does not depend on the thread
// count (bit-identical on 1 or 2 threads, so a resumed run matches whatever TESSERA_NATIVE_THREADS says), and it is
// accurate where a sequential float32 sum over 10^5 rows is not (the reason layers.ts splits its sums in two).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>
#include "conv_common.h"

namespace tessera {

// OpenMP team for an elementwise/reduction pass over `elements` floats: one thread below 64 Ki elements, where waking
// a second one costs more than it saves.
inline int teamFor(int64_t elements) { return elements < (1 << 16) ? 1 : threads(); }

// out[k*C + c] = Σ_rows of the K terms addRow(row, acc) adds into acc[k*C + c] (acc zeroed per chunk).
template <int K, typename F>
void channelSums(int64_t rows, int64_t C, int nthr, double* out, F addRow) {
  const int64_t chunk = 256, nChunks = (rows + chunk - 1) / chunk, width = K * C;
  std::vector<double> part(static_cast<size_t>(nChunks * width), 0.0);
#pragma omp parallel for num_threads(nthr) schedule(static)
  for (int64_t k = 0; k < nChunks; k++) {
    double* acc = part.data() + k * width;
    const int64_t end = std::min(rows, (k + 1) * chunk);
    for (int64_t r = k * chunk; r < end; r++) addRow(r, acc);
  }
  std::fill(out, out + width, 0.0);
  for (int64_t k = 0; k < nChunks; k++) {
    const double* acc = part.data() + k * width;
    for (int64_t i = 0; i < width; i++) out[i] += acc[i];
  }
}

}  // namespace tessera
