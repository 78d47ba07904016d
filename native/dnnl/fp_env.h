// The calling thread's SSE floating-point environment (MXCSR: rounding, flush-to-zero, denormals-are-zero) carried
// into OpenMP workers for the scope of a kernel: the kernels that must round exactly like tfjs-wasm (which runs on the
// calling JS thread with that thread's MXCSR) then compute the same way on every thread, whatever a worker's state is.
#pragma once
#include <xmmintrin.h>

namespace tessera {

class ScopedMxcsr {
 public:
  explicit ScopedMxcsr(unsigned csr) : saved_(_mm_getcsr()) { _mm_setcsr(csr); }
  ~ScopedMxcsr() { _mm_setcsr(saved_); }
  ScopedMxcsr(const ScopedMxcsr&) = delete;
  ScopedMxcsr& operator=(const ScopedMxcsr&) = delete;

 private:
  unsigned saved_;
};

}  // namespace tessera
