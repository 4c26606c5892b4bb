// scalar.h: the one scalar type of the library.
//
// `real` is float by default (what runs on a robot) and double when the
// project is configured with -DRQL_DOUBLE=ON (tight finite-difference checks,
// verifiers who want more digits). Nothing else in the library names float or
// double for network data; file formats convert at the boundary.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rql {

#ifdef RQL_DOUBLE
using real = double;
#else
using real = float;
#endif

// Largest number of Dense layers an MLP may have (hidden + output). A fixed
// bound keeps parameter views plain arrays, with no heap (see mlp.h).
constexpr int kMaxLayers = 16;

}  // namespace rql
