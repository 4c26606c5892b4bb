// matmul_fast.cpp: the kernels the library uses. Same contract as the
// reference (matmul.h), same results up to summation order (the equivalence
// test in tests/test_matmul.cpp bounds the difference).
//
// All three products are one operation, C (rows, cols) <- C + A (rows, depth)
// B (depth, cols), where A and B are strided views of the caller's arrays:
//
//   forward           Y  <- X W      C = Y  (M,N), A = X   (M,K), B = W   (K,N)
//   backward_input    dX <- dY W^T   C = dX (M,K), A = dY  (M,N), B = W^T (N,K)
//   backward_params   dW <- X^T dY   C = dW (K,N), A = X^T (K,M), B = dY  (M,N)
//
// (the forward first writes the bias, or zero, into Y, then accumulates). The
// blocking scheme, BLIS-like but packing B only when it must:
//   1. Depth is cut into blocks of kDepthBlock (128) so that one B panel,
//      kDepthBlock x (4 vectors) = 32 KiB, stays in the 48 KiB L1 cache while
//      it is reused for every row tile of C.
//   2. Columns of C are cut into panels of 4, 2 or 1 SIMD vectors (64, 32, 16
//      floats with AVX-512). B's panel is copied into a stack buffer when B
//      is a transpose (backward_input reads W^T), when the panel is narrower
//      than one vector (zero-padded, e.g. N = 1, 8, 11, 38's last 6), or when
//      B's rows are kAliasStride or more elements apart and the panel serves
//      more than one row tile. A panel read in place from a 512-wide W has its
//      rows 2 KiB apart; they fall into 2 of the 64 sets of an 8-way 32 KiB
//      L1 (Zen 3), so only 16 of its 512 lines stay cached and every row tile
//      reads it again from L2: 62 GFLOP/s at 256x512x512 against 88 packed on
//      a Zen 3 with AVX2 (docs/benchmarks.md). Small, narrow-strided B (a
//      64-wide layer) is still read in place.
//   3. Rows of C are cut into tiles of kRows (6). One tile, 6 x 4 vectors = 24
//      accumulators, lives in registers for the whole depth block: each step
//      loads 4 vectors of B, broadcasts 6 scalars of A and issues 24 FMAs.
//      The last 1..5 rows use the same template with fewer rows.
//   4. The tile kernel is plain C++ over a local `acc[rows][vectors][lanes]`
//      array with compile-time bounds; GCC 12 at -O3 vectorises the lane loop
//      (kept rolled by `#pragma GCC unroll 1` so that it is vectorised, not
//      unrolled into scalars), unrolls the rest and keeps `acc` in registers
//      (checked in the assembly: the depth loop is 4 loads, 6 broadcasts and
//      24 vfmadd231ps on zmm registers). Every a*b+c is an explicit
//      mul_add (mul_add.h: a fused multiply-add where the target has one),
//      so each element gets the same operations whichever tile computes it.
//   5. Thin shapes where a C tile would be mostly padding, or packing would
//      cost as much as the product, use dot products of contiguous rows with
//      one vector of partial sums each (dot_rows): forward with N = 1 (a value
//      head), backward_input with K = 1 or fewer than kFewRows (8) rows. And
//      backward_params with N = 1 runs transposed, dW^T (1,K) <- dY^T X.
//      With fewer than kFewRows rows, the last columns narrower than one
//      vector are computed from B in place (narrow_tile) instead of from a
//      zero-padded copy: one action's velocity layer (N = A) paid more for
//      the copy than for its products.
//   6. One row of C (one action) reads B row after row, in chunks of up to
//      8 vectors held in registers (stream_row), not panel by panel down
//      B's columns; see gemm_accumulate.
// No heap: the packing buffer (32 KiB) and the tail tile are stack arrays.
// Not here: threads (kernels_fast.h and threads.h split the *_block
// functions below over a pool), -ffast-math (never), intrinsics.
#include <cstddef>

#include "matmul_fast.h"
#include "mul_add.h"

namespace rql {
namespace {

using Index = std::ptrdiff_t;

// SIMD width the compiler may use, from its predefined macros. Only sets the
// tile shape; correctness never depends on it.
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kTileVectors = 4;  // 32 zmm registers: 24 accumulators + 5
#elif defined(__AVX__)
constexpr int kVectorBytes = 32;
constexpr int kTileVectors = 2;  // 16 ymm registers: 12 accumulators + 3
#else
constexpr int kVectorBytes = 16;
constexpr int kTileVectors = 2;  // 16 xmm registers
#endif
constexpr int kLanes = kVectorBytes / static_cast<int>(sizeof(real));
constexpr int kRows = 6;                                  // rows of one C tile
constexpr int kMaxCols = kTileVectors * kLanes;           // widest C tile
constexpr int kFewRows = 8;  // backward_input below this many rows: dot products, no packing
constexpr Index kAliasStride = 256;  // B rows this many elements apart (1 KiB in float) share few L1 sets: pack
constexpr int kDepthBlock = 32768 / (kMaxCols * static_cast<int>(sizeof(real)));  // B panel: 32 KiB

// A strided read-only view: element (r, c) is data[r * row_stride + c * col_stride].
struct View {
  const real* data;
  Index row_stride;
  Index col_stride;
};

// C (ROWS, COLS) <- C + A (ROWS, depth) B (depth, COLS)
//   C(r, c) = C[r * ldc + c], A(r, p) = A[r * a_rs + p * a_ps], B(p, c) = B[p * ldb + c].
// Columns are indexed as (vector v, lane l), c = v * kLanes + l, and the lane
// loop is marked `unroll 1`: GCC then vectorises it into one SIMD operation
// instead of unrolling it into scalars first, which it does for a 16-trip
// loop (COLS = 16 ran at 7 GFLOP/s without the hint; see the file header).
template <int ROWS, int COLS>
void tile_kernel(real* C, Index ldc, const real* A, Index a_rs, Index a_ps, const real* B, Index ldb, int depth) {
  static_assert(COLS % kLanes == 0, "a tile is whole vectors wide");
  constexpr int V = COLS / kLanes;
  real acc[ROWS][V][kLanes];
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
      for (int l = 0; l < kLanes; ++l) acc[r][v][l] = C[r * ldc + v * kLanes + l];
  for (int p = 0; p < depth; ++p) {
    const real* b = B + p * ldb;  // row p of the B panel (COLS)
    for (int r = 0; r < ROWS; ++r) {
      const real a = A[r * a_rs + p * a_ps];
      for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
        for (int l = 0; l < kLanes; ++l) acc[r][v][l] = mul_add(a, b[v * kLanes + l], acc[r][v][l]);
    }
  }
  for (int r = 0; r < ROWS; ++r)
    for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
      for (int l = 0; l < kLanes; ++l) C[r * ldc + v * kLanes + l] = acc[r][v][l];
}

// One column panel: C (rows, COLS) <- C + A (rows, depth) B (depth, COLS),
// in tiles of kRows rows and a final tile of rows % kRows.
template <int COLS>
void panel(real* C, Index ldc, const real* A, Index a_rs, Index a_ps, const real* B, Index ldb, int rows, int depth) {
  static_assert(kRows == 6, "the remainder switch below covers 1..5 rows");
  int r = 0;
  for (; r + kRows <= rows; r += kRows)
    tile_kernel<kRows, COLS>(C + r * ldc, ldc, A + r * a_rs, a_rs, a_ps, B, ldb, depth);
  real* c = C + r * ldc;
  const real* a = A + r * a_rs;
  switch (rows - r) {
    case 5: tile_kernel<5, COLS>(c, ldc, a, a_rs, a_ps, B, ldb, depth); break;
    case 4: tile_kernel<4, COLS>(c, ldc, a, a_rs, a_ps, B, ldb, depth); break;
    case 3: tile_kernel<3, COLS>(c, ldc, a, a_rs, a_ps, B, ldb, depth); break;
    case 2: tile_kernel<2, COLS>(c, ldc, a, a_rs, a_ps, B, ldb, depth); break;
    case 1: tile_kernel<1, COLS>(c, ldc, a, a_rs, a_ps, B, ldb, depth); break;
    default: break;
  }
}

void panel_of_width(int width, real* C, Index ldc, const real* A, Index a_rs, Index a_ps, const real* B, Index ldb,
                    int rows, int depth) {
  if (width == 4 * kLanes)
    panel<4 * kLanes>(C, ldc, A, a_rs, a_ps, B, ldb, rows, depth);
  else if (width == 2 * kLanes)
    panel<2 * kLanes>(C, ldc, A, a_rs, a_ps, B, ldb, rows, depth);
  else
    panel<kLanes>(C, ldc, A, a_rs, a_ps, B, ldb, rows, depth);
}

// Widest tile (4, 2 or 1 vectors, up to kTileVectors) for `remaining` columns.
int panel_width(int remaining) {
  if (kTileVectors >= 4 && remaining >= 4 * kLanes) return 4 * kLanes;
  if (remaining >= 2 * kLanes) return 2 * kLanes;
  return kLanes;  // a full vector, or a zero-padded partial one
}

// packed (depth, width) = B (p0 .. p0+depth, c0 .. c0+cols), zero-padded to width.
void pack_panel(real* packed, int width, const View& B, int p0, int depth, int c0, int cols) {
  if (B.col_stride == 1) {
    for (int p = 0; p < depth; ++p) {
      const real* b = B.data + (p0 + p) * B.row_stride + c0;  // row p0+p of B, from column c0
      for (int c = 0; c < cols; ++c) packed[p * width + c] = b[c];
      for (int c = cols; c < width; ++c) packed[p * width + c] = real(0);
    }
    return;
  }
  // A transpose (B = W^T): walk each column of B, a contiguous row of W.
  // Walking B by rows instead would touch `cols` lines 4 KiB apart on every
  // step, which share a few L1 sets and evict each other (3x slower here).
  for (int c = 0; c < cols; ++c) {
    const real* b = B.data + p0 * B.row_stride + (c0 + c) * B.col_stride;  // column c0+c of B
    for (int p = 0; p < depth; ++p) packed[p * width + c] = b[p * B.row_stride];
  }
  for (int p = 0; p < depth; ++p)
    for (int c = cols; c < width; ++c) packed[p * width + c] = real(0);
}

// C (rows, NC) <- C + A (rows, depth) B (depth, NC) for NC < kLanes columns,
// B read in place. Each element gets exactly the tile kernel's operations,
// acc = a b + acc in depth order starting from C's value, so this path and a
// zero-padded tile give the same bits.
template <int NC>
void narrow_tile(real* C, Index ldc, const real* A, Index a_rs, Index a_ps, const real* B, Index ldb, int rows,
                 int depth) {
  for (int r = 0; r < rows; ++r) {
    real acc[NC];
    for (int c = 0; c < NC; ++c) acc[c] = C[r * ldc + c];
    for (int p = 0; p < depth; ++p) {
      const real a = A[r * a_rs + p * a_ps];
      for (int c = 0; c < NC; ++c) acc[c] = mul_add(a, B[p * ldb + c], acc[c]);
    }
    for (int c = 0; c < NC; ++c) C[r * ldc + c] = acc[c];
  }
}

// narrow_tile<nc> for a run-time nc in 1..NC.
template <int NC>
void narrow_columns(int nc, real* C, Index ldc, const real* A, Index a_rs, Index a_ps, const real* B, Index ldb,
                    int rows, int depth) {
  if (nc == NC) return narrow_tile<NC>(C, ldc, A, a_rs, a_ps, B, ldb, rows, depth);
  if constexpr (NC > 1) narrow_columns<NC - 1>(nc, C, ldc, A, a_rs, a_ps, B, ldb, rows, depth);
}

// c (V vectors) <- c + a (depth) B (depth, V vectors), B(p, j) = B[p * ldb + j]:
// one row of C in registers, B's rows read in order.
template <int V>
void row_chunk(real* c, const real* a, Index a_ps, const real* B, Index ldb, int depth) {
  real acc[V][kLanes];
  for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
    for (int l = 0; l < kLanes; ++l) acc[v][l] = c[v * kLanes + l];
  for (int p = 0; p < depth; ++p) {
    const real ap = a[p * a_ps];
    const real* b = B + p * ldb;
    for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
      for (int l = 0; l < kLanes; ++l) acc[v][l] = mul_add(ap, b[v * kLanes + l], acc[v][l]);
  }
  for (int v = 0; v < V; ++v)
#pragma GCC unroll 1
    for (int l = 0; l < kLanes; ++l) c[v * kLanes + l] = acc[v][l];
}

// row_chunk<nv> for a run-time nv in 1..V.
template <int V>
void row_chunk_of(int nv, real* c, const real* a, Index a_ps, const real* B, Index ldb, int depth) {
  if (nv == V) return row_chunk<V>(c, a, a_ps, B, ldb, depth);
  if constexpr (V > 1) row_chunk_of<V - 1>(nv, c, a, a_ps, B, ldb, depth);
}

// c (cols) <- c + a (depth) B (depth, cols): chunks of 8 vectors, then one
// of 1..7, then 1..kLanes-1 columns (narrow_tile). Each c[j] gets the tile
// kernel's operations in the same order, so the bits are a tile's.
void stream_row(real* c, const real* a, Index a_ps, const real* B, Index ldb, int cols, int depth) {
  int c0 = 0;
  for (; c0 + 8 * kLanes <= cols; c0 += 8 * kLanes) row_chunk<8>(c + c0, a, a_ps, B + c0, ldb, depth);
  const int nv = (cols - c0) / kLanes;
  if (nv > 0) row_chunk_of<7>(nv, c + c0, a, a_ps, B + c0, ldb, depth);
  c0 += nv * kLanes;
  if (c0 < cols) narrow_columns<kLanes - 1>(cols - c0, c + c0, 0, a, 0, a_ps, B + c0, ldb, 1, depth);
}

// C (rows, cols) <- C + A (rows, depth) B (depth, cols); C(r, c) = C[r * ldc + c].
void gemm_accumulate(real* C, Index ldc, const View& A, const View& B, int rows, int cols, int depth) {
  if (rows == 1 && B.col_stride == 1) {
    // One row (one action's layers; backward_params of a value head): a
    // 16-wide tile read B's panels down their columns, one cache line per
    // row of B, 2 KiB apart for a 512-wide W (1x512x512 forward ran at 7
    // GFLOP/s on a Zen 3, 20-25 this way), and kept only 2 accumulator chains
    // going for a 64-wide layer.
    stream_row(C, A.data, A.col_stride, B.data, B.row_stride, cols, depth);
    return;
  }
  alignas(64) real packed[kDepthBlock * kMaxCols];  // one B panel
  alignas(64) real tail[kRows * kLanes];            // one C tile narrower than a vector
  for (int p0 = 0; p0 < depth; p0 += kDepthBlock) {
    const int kc = depth - p0 < kDepthBlock ? depth - p0 : kDepthBlock;
    const real* a = A.data + p0 * A.col_stride;
    for (int c0 = 0; c0 < cols;) {
      const int width = panel_width(cols - c0);
      const int nc = cols - c0 < width ? cols - c0 : width;
      const real* b = B.data + p0 * B.row_stride + c0;
      Index ldb = B.row_stride;
      if (nc < width && rows < kFewRows && B.col_stride == 1) {
        // A few rows and fewer than kLanes columns (one action when acting:
        // the velocity layer, N = A): copying and zero-padding a panel would
        // cost more than the few products, so B is read in place.
        narrow_columns<kLanes - 1>(nc, C + c0, ldc, a, A.row_stride, A.col_stride, b, ldb, rows, kc);
        c0 += nc;
        continue;
      }
      if (B.col_stride != 1 || nc < width || (rows > kRows && B.row_stride >= kAliasStride)) {
        pack_panel(packed, width, B, p0, kc, c0, nc);
        b = packed;
        ldb = width;
      }
      if (nc == width) {
        panel_of_width(width, C + c0, ldc, a, A.row_stride, A.col_stride, b, ldb, rows, kc);
      } else {
        // Fewer than kLanes columns left: run full-width tiles on a
        // zero-padded copy of C's last columns, then copy the valid part back.
        for (int r0 = 0; r0 < rows; r0 += kRows) {
          const int mr = rows - r0 < kRows ? rows - r0 : kRows;
          for (int r = 0; r < mr; ++r)
            for (int c = 0; c < kLanes; ++c) tail[r * kLanes + c] = c < nc ? C[(r0 + r) * ldc + c0 + c] : real(0);
          panel<kLanes>(tail, kLanes, a + r0 * A.row_stride, A.row_stride, A.col_stride, b, ldb, mr, kc);
          for (int r = 0; r < mr; ++r)
            for (int c = 0; c < nc; ++c) C[(r0 + r) * ldc + c0 + c] = tail[r * kLanes + c];
        }
      }
      c0 += nc;
    }
  }
}

// dx (ROWS) <- dx + W (ROWS, n) dy (n), W(r, j) = W[r * ldw + j]: ROWS dot
// products of length n, each kept as kLanes partial sums (one vector) and
// added up lane by lane at the end. For backward_input with few rows of dY,
// where packing W^T would cost as much as the product itself.
template <int ROWS>
void dot_rows(real* dx, const real* W, Index ldw, const real* dy, int n) {
  real part[ROWS][kLanes] = {};
  int j0 = 0;
  for (; j0 + kLanes <= n; j0 += kLanes)
    for (int r = 0; r < ROWS; ++r)
#pragma GCC unroll 1
      for (int l = 0; l < kLanes; ++l) part[r][l] = mul_add(W[r * ldw + j0 + l], dy[j0 + l], part[r][l]);
  for (int r = 0; r < ROWS; ++r) {
    real s = 0;
    for (int l = 0; l < kLanes; ++l) s += part[r][l];
    for (int j = j0; j < n; ++j) s = mul_add(W[r * ldw + j], dy[j], s);
    dx[r] += s;
  }
}

// y (rows) <- y + A (rows, n) x (n), A(r, j) = A[r * lda + j], in blocks of 4 rows.
void dot_many(real* y, const real* A, Index lda, const real* x, int rows, int n) {
  int r = 0;
  for (; r + 4 <= rows; r += 4) dot_rows<4>(y + r, A + r * lda, lda, x, n);
  for (; r < rows; ++r) dot_rows<1>(y + r, A + r * lda, lda, x, n);
}

}  // namespace

// Each product below is also available for one block of its output (the
// *_block functions, used by the threaded set of kernels_fast.h). The path
// (gemm or dot products) is chosen from the FULL shape, and every element of
// a block is computed by exactly the operations the whole call performs on
// it: the depth blocks start at 0 in both, a tile's lanes and rows never mix,
// and the panel widths only decide which columns are computed together. So
// cutting the output into blocks, on any number of threads, gives results
// bit-identical to one call (tests/fast/test_kernels_fast.cpp).

// Y[i0:i1, j0:j1] = X (M,K) W (K,N) + b (N), that block only
void matmul_forward_fast_block(real* Y, const real* X, const real* W, const real* b, int M, int K, int N, int i0,
                               int i1, int j0, int j1) {
  (void)M;
  for (int i = i0; i < i1; ++i) {  // Y (M,N) = b, or 0
    real* y = Y + Index(i) * N;
    if (b)
      for (int j = j0; j < j1; ++j) y[j] = b[j];
    else
      for (int j = j0; j < j1; ++j) y[j] = real(0);
  }
  if (i1 <= i0 || j1 <= j0) return;
  if (N == 1) {
    // One output column (a value head): Y[i] <- Y[i] + X[i, :] . W, W is (K).
    dot_many(Y + i0, X + Index(i0) * K, K, W, i1 - i0, K);
    return;
  }
  // Y (M,N) <- Y + X (M,K) W (K,N), rows i0.., columns j0..
  gemm_accumulate(Y + Index(i0) * N + j0, N, View{X + Index(i0) * K, K, 1}, View{W + j0, N, 1}, i1 - i0, j1 - j0,
                  K);
}

// dX[i0:i1, k0:k1] <- dX + dY (M,N) W^T, W is (K,N), that block only
void matmul_backward_input_fast_block(real* dX, const real* dY, const real* W, int M, int K, int N, int i0, int i1,
                                      int k0, int k1) {
  if (i1 <= i0 || k1 <= k0) return;
  if (K == 1) {
    // dX[i] <- dX[i] + dY[i, :] . W[0, :]
    dot_many(dX + i0, dY + Index(i0) * N, N, W, i1 - i0, N);
    return;
  }
  if (M < kFewRows) {
    // dX[i, k] <- dX[i, k] + W[k, :] . dY[i, :]   (rows of W are contiguous)
    for (int i = i0; i < i1; ++i) dot_many(dX + Index(i) * K + k0, W + Index(k0) * N, N, dY + Index(i) * N, k1 - k0, N);
    return;
  }
  // dX (M,K) <- dX + dY (M,N) W^T (N,K); W^T(j, k) = W[k * N + j]
  gemm_accumulate(dX + Index(i0) * K + k0, K, View{dY + Index(i0) * N, N, 1}, View{W + Index(k0) * N, 1, N},
                  i1 - i0, k1 - k0, N);
}

// dW[k0:k1, j0:j1] <- dW + X^T dY and, if db, db[j0:j1] <- db + sum_rows(dY)
void matmul_backward_params_fast_block(real* dW, real* db, const real* X, const real* dY, int M, int K, int N, int k0,
                                       int k1, int j0, int j1) {
  if (k1 > k0 && j1 > j0) {
    if (N == 1) {
      // dW and dY are vectors: dW^T (1,K) <- dW^T + dY^T (1,M) X (M,K), a
      // single-row product whose B = X is read in place (columns k0..k1).
      gemm_accumulate(dW + k0, K, View{dY, 1, 1}, View{X + k0, K, 1}, 1, k1 - k0, M);
    } else {
      // dW (K,N) <- dW + X^T (K,M) dY (M,N); X^T(k, i) = X[i * K + k]
      gemm_accumulate(dW + Index(k0) * N + j0, N, View{X + k0, 1, K}, View{dY + j0, N, 1}, k1 - k0, j1 - j0, M);
    }
  }
  if (db)
    for (int i = 0; i < M; ++i)
      for (int j = j0; j < j1; ++j) db[j] += dY[Index(i) * N + j];  // db (N) <- db + sum_i dY (M,N)
  (void)K;
}

// Y (M,N) = X (M,K) W (K,N) + b (N)
void matmul_forward_fast(real* Y, const real* X, const real* W, const real* b, int M, int K, int N) {
  matmul_forward_fast_block(Y, X, W, b, M, K, N, 0, M, 0, N);
}

// dX (M,K) <- dX + dY (M,N) W^T, W is (K,N)
void matmul_backward_input_fast(real* dX, const real* dY, const real* W, int M, int K, int N) {
  matmul_backward_input_fast_block(dX, dY, W, M, K, N, 0, M, 0, K);
}

// dW (K,N) <- dW + X^T dY, db (N) <- db + sum_rows(dY); X is (M,K), dY (M,N)
void matmul_backward_params_fast(real* dW, real* db, const real* X, const real* dY, int M, int K, int N) {
  matmul_backward_params_fast_block(dW, db, X, dY, M, K, N, 0, K, 0, N);
}

}  // namespace rql
