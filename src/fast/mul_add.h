// mul_add.h: a b + c as one fused multiply-add where the target has one
// (__FP_FAST_FMAF / __FP_FAST_FMA: x86-64-v3, AVX-512, Cortex-M4F for
// float), else a product and a sum, never a slow library fma. Written out
// instead of left to -ffp-contract, which GCC applies per loop as it
// vectorises: with AVX2 it compiled the matrix kernel's 1 x 8 tile as
// vmulps + vaddps and its 6 x 16 tile as vfmadd231ps, so one element rounded
// two ways (docs/benchmarks.md). Used by the matrix kernels
// (matmul_fast.cpp) and the fast GELU (tanh_fast.h's madd).
#pragma once

namespace rql {

inline float mul_add(float a, float b, float c) {
#if defined(__FP_FAST_FMAF)
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

inline double mul_add(double a, double b, double c) {
#if defined(__FP_FAST_FMA)
  return __builtin_fma(a, b, c);
#else
  return a * b + c;
#endif
}

}  // namespace rql
