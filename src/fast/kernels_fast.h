// kernels_fast.h: the fast kernel set (core/kernels.h) and the set the
// program uses by default.
//
//   kernels_fast()     matmul_fast.h's products and gelu_fast.h's GELU,
//                      single-threaded
//   kernels_default()  kernels_fast(), or kernels_reference() in a build
//                      configured with -DRQL_FAST_KERNELS=OFF (then every
//                      network runs the reference loops and std::tanh)
#pragma once

#include "core/kernels.h"

namespace rql {

const Kernels& kernels_fast();
const Kernels& kernels_default();

}  // namespace rql
