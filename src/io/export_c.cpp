// export_c.cpp: generate the C99 module of export_c.h. The C text below is
// the executable statement of what the module computes; each function says
// which line of the C++ it mirrors (the order of operations is what makes
// the two bit-identical).
#include "export_c.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "error.h"
#include "npy.h"

namespace rql {

namespace {

// A float as a C literal that reads back as exactly this float: 9
// significant digits round-trip every float; the 'f' suffix keeps the
// arithmetic single precision.
std::string c_float(float v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.9g", static_cast<double>(v));
  std::string s = buf;
  if (s.find_first_of(".e") == std::string::npos) s += ".0";  // "3" -> "3.0f", "-0" -> "-0.0f"
  return s + "f";
}

std::string upper(const std::string& s) {
  std::string u = s;
  for (char& c : u)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return u;
}

std::string str(long v) { return std::to_string(v); }

// Replace every "P_" in a template by "<name>_" and "PP_" by "<NAME>_".
std::string instantiate(const std::string& text, const std::string& name) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  const std::string lower = name + "_", up = upper(name) + "_";
  for (size_t i = 0; i < text.size();) {
    const bool word_start = i == 0 || !(std::isalnum(static_cast<unsigned char>(text[i - 1])) || text[i - 1] == '_');
    if (word_start && text.compare(i, 3, "PP_") == 0) {
      out += up;
      i += 3;
    } else if (word_start && text.compare(i, 2, "P_") == 0) {
      out += lower;
      i += 2;
    } else {
      out += text[i++];
    }
  }
  return out;
}

template <typename T, typename Fmt>
void append_array(std::string& out, const T* v, long n, Fmt fmt) {
  for (long i = 0; i < n; ++i) {
    out += (i % 8 == 0) ? "\n  " : " ";
    out += fmt(v[i]);
    if (i + 1 < n) out += ",";
  }
  out += "\n};\n";
}

// ---- The fixed C text (P_ / PP_ become the module's prefix) ----

const char* const kHeaderApi = R"(
/* chunk (A floats, row-major [h, action_dim]) = clip(Euler flow of the EMA
 * actor from noise (A floats) at obs (OBS_DIM floats)), using the static
 * scratch P_scratch (PP_WORK_FLOATS floats): not re-entrant. */
void P_act(const float *obs, const float *noise, float *chunk);

/* The same with caller-supplied working memory, work (PP_WORK_FLOATS
 * floats): re-entrant, and lets the firmware place the scratch. */
void P_act_work(const float *obs, const float *noise, float *chunk, float *work);

/* Gaussian noise on the device, float only: xoshiro128** (32-bit words)
 * and Marsaglia's polar method with a float logarithm (no libm, no double).
 * The state is the caller's; seed it once, then draw one noise per call. */
typedef struct {
  uint32_t s[4];
} P_rng;
void P_rng_seed(P_rng *rng, uint32_t seed);
/* noise (PP_ACTION_DIM) <- independent N(0, 1) draws */
void P_noise(P_rng *rng, float *noise);
)";

const char* const kSourceFunctions = R"(
/* ---- Kernels ---- */

/* tanh in float: rql-cpp's chained tanh_float (src/fast/tanh_fast.h),
 * written with a branch (same operations, same results):
 *   |x| < 9.1   1 - 2 / (exp(2|x|) + 1), exp(y) = 2^k exp(r), r = y - k ln 2
 *               (ln 2 in two parts), exp(r) by a degree-6 polynomial
 *   otherwise   1 (tanh rounds to 1 in float)
 * then the sign of x. Not libm's tanhf: a board's libm could differ in the
 * last bit, and this costs no call. Within 2e-7 of the exact tanh
 * (absolute; near 0 the relative error is large, which GELU's 1 + tanh
 * does not see). */
static float P_tanh(float x) {
  const float a = fabsf(x);
  float t = 1.0f;
  if (a < 9.1f) {
    const float y = 2.0f * a;
    const int k = (int)P_madd(0.5f, y, 1.44269504f); /* y >= 0: round half up */
    const float kf = (float)k;
    const float r = P_msub(P_msub(y, kf, 0.693145752f), kf, 1.42860677e-6f);
    float er = P_madd(0.00837483f, r, 0.0013838162f);
    er = P_madd(0.041668203f, r, er);
    er = P_madd(0.1666642f, r, er);
    er = P_madd(0.4999999f, r, er);
    er = P_madd(1.0f, r, er);
    er = P_madd(1.0f, r, er);
    {
      union {
        uint32_t u;
        float f;
      } scale; /* 2^k, k in [0, 27] */
      scale.u = (uint32_t)(k + 127) << 23;
      t = 1.0f - 2.0f / P_madd(1.0f, er, scale.f);
    }
  }
  return x < 0.0f ? -t : t;
}

/* x (n) <- gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))  (docs/spec.md §1) */
static void P_gelu(float *x, int n) {
  int i;
  for (i = 0; i < n; ++i) {
    const float v = x[i];
    const float u = P_GELU_C * P_madd(v, P_GELU_A * v * v, v); /* C (v + A v^3) */
    x[i] = 0.5f * v * (1.0f + P_tanh(u));
  }
}
)";

// acc += x * w, one rounding after the product and one after the sum. On
// a Cortex-M4/M7 FPU that is exactly VMLA.F32 (a chained, not fused,
// multiply-accumulate), one instruction where GCC emits VMUL + VADD even with
// contraction off; VFMA (fused) would round once and break bit-identity.
const char* const kMac = R"(
/* acc += x * w with the product rounded before the sum (no fused
 * multiply-add). On Cortex-M4/M7 that is one VMLA.F32 instruction (a
 * chained multiply-accumulate: same result as VMUL then VADD); compilers
 * emit two, so it is written out there. Define PP_PORTABLE to use C only. */
#if defined(__GNUC__) && defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 4) && !defined(PP_PORTABLE)
#define P_MAC(acc, x, w) __asm__("vmla.f32 %0, %1, %2" : "+t"(acc) : "t"(x), "t"(w))
#define P_MSC(acc, x, w) __asm__("vmls.f32 %0, %1, %2" : "+t"(acc) : "t"(x), "t"(w))
#else
#define P_MAC(acc, x, w) ((acc) += (x) * (w))
#define P_MSC(acc, x, w) ((acc) -= (x) * (w))
#endif

/* c + x w and c - x w, each rounded twice as written: VMLA / VMLS on the FPU. */
static float P_madd(float c, float x, float w) {
  P_MAC(c, x, w);
  return c;
}
static float P_msub(float c, float x, float w) {
  P_MSC(c, x, w);
  return c;
}
)";

const char* const kLayerNorm = R"(
/* x (n) <- (x - mean) / sqrt(var + 1e-6) g + beta, population mean and
 * variance in two passes (Flax's eps 1e-6, not PyTorch's 1e-5). */
static void P_layernorm(float *x, const float *g, const float *beta, int n) {
  float m = 0.0f, var = 0.0f, s;
  int j;
  for (j = 0; j < n; ++j) m += x[j];
  m /= (float)n;
  for (j = 0; j < n; ++j) var += (x[j] - m) * (x[j] - m);
  var /= (float)n;
  s = 1.0f / sqrtf(var + 1e-6f);
  for (j = 0; j < n; ++j) x[j] = (x[j] - m) * s * g[j] + beta[j];
}
)";

// The float Dense: acc_j starts at b_j and adds x_k W_kj for k = 0..K-1 in
// order, as matmul_forward_ref does; blocks of 8 (then 4, then 1) outputs
// stay in registers so that each x_k is loaded once per block and the
// block's weights W[k, j..j+7] are adjacent in memory.
const char* const kDenseF32 = R"(
/* One row k of the eight-output block: a0..a7 += xk * W[k, j..j+7]
 * (w points at W[k, j]). Used only inside P_dense, whose accumulators
 * a0..a7 it updates. */
#define P_ROW8(xk, w)            \
  do {                           \
    const float x_ = (xk);       \
    const float *w_ = (w);       \
    P_MAC(a0, x_, w_[0]);        \
    P_MAC(a1, x_, w_[1]);        \
    P_MAC(a2, x_, w_[2]);        \
    P_MAC(a3, x_, w_[3]);        \
    P_MAC(a4, x_, w_[4]);        \
    P_MAC(a5, x_, w_[5]);        \
    P_MAC(a6, x_, w_[6]);        \
    P_MAC(a7, x_, w_[7]);        \
  } while (0)

/* y (N) = x (K) W (K, N) + b (N). acc_j = b_j, then acc_j += x_k W[k, j]
 * for k = 0..K-1 in order (the reference product's order: bit-identical).
 * Eight outputs at a time stay in registers; W[k, j..j+7] are adjacent;
 * two rows k, k+1 per pass (each accumulator still adds in k order). */
static void P_dense(float *y, const float *x, const float *W, const float *b, int K, int N) {
  int j = 0, k;
  for (; j + 8 <= N; j += 8) {
    float a0 = b[j], a1 = b[j + 1], a2 = b[j + 2], a3 = b[j + 3];
    float a4 = b[j + 4], a5 = b[j + 5], a6 = b[j + 6], a7 = b[j + 7];
    for (k = 0; k + 2 <= K; k += 2) { /* two rows per pass: half the loop overhead */
      P_ROW8(x[k], W + k * N + j);
      P_ROW8(x[k + 1], W + (k + 1) * N + j);
    }
    if (k < K) P_ROW8(x[k], W + k * N + j); /* odd K: the last row */
    y[j] = a0;
    y[j + 1] = a1;
    y[j + 2] = a2;
    y[j + 3] = a3;
    y[j + 4] = a4;
    y[j + 5] = a5;
    y[j + 6] = a6;
    y[j + 7] = a7;
  }
  for (; j + 4 <= N; j += 4) {
    float a0 = b[j], a1 = b[j + 1], a2 = b[j + 2], a3 = b[j + 3];
    for (k = 0; k < K; ++k) {
      const float xk = x[k];
      const float *w = W + k * N + j; /* W[k, j..j+3] */
      P_MAC(a0, xk, w[0]);
      P_MAC(a1, xk, w[1]);
      P_MAC(a2, xk, w[2]);
      P_MAC(a3, xk, w[3]);
    }
    y[j] = a0;
    y[j + 1] = a1;
    y[j + 2] = a2;
    y[j + 3] = a3;
  }
  for (; j < N; ++j) {
    float a0 = b[j];
    for (k = 0; k < K; ++k) P_MAC(a0, x[k], W[k * N + j]);
    y[j] = a0;
  }
}
#undef P_ROW8
)";

const char* const kDenseInt8 = R"(
/* y (N) = (x (K) Q (K, N)) scale (N) + b (N), Q int8: acc_j = 0, then
 * acc_j += x_k Q[k, j] for k = 0..K-1 in order, y_j = acc_j scale_j + b_j.
 * Eight outputs at a time stay in registers; Q[k, j..j+7] are adjacent. */
static void P_dense(float *y, const float *x, const int8_t *Q, const float *scale, const float *b, int K, int N) {
  int j = 0, k;
  for (; j + 8 <= N; j += 8) {
    float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f, a4 = 0.0f, a5 = 0.0f, a6 = 0.0f, a7 = 0.0f;
    for (k = 0; k < K; ++k) {
      const float xk = x[k];
      const int8_t *q = Q + k * N + j; /* Q[k, j..j+7] */
      P_MAC(a0, xk, (float)q[0]);
      P_MAC(a1, xk, (float)q[1]);
      P_MAC(a2, xk, (float)q[2]);
      P_MAC(a3, xk, (float)q[3]);
      P_MAC(a4, xk, (float)q[4]);
      P_MAC(a5, xk, (float)q[5]);
      P_MAC(a6, xk, (float)q[6]);
      P_MAC(a7, xk, (float)q[7]);
    }
    y[j] = a0 * scale[j] + b[j];
    y[j + 1] = a1 * scale[j + 1] + b[j + 1];
    y[j + 2] = a2 * scale[j + 2] + b[j + 2];
    y[j + 3] = a3 * scale[j + 3] + b[j + 3];
    y[j + 4] = a4 * scale[j + 4] + b[j + 4];
    y[j + 5] = a5 * scale[j + 5] + b[j + 5];
    y[j + 6] = a6 * scale[j + 6] + b[j + 6];
    y[j + 7] = a7 * scale[j + 7] + b[j + 7];
  }
  for (; j < N; ++j) {
    float a0 = 0.0f;
    for (k = 0; k < K; ++k) P_MAC(a0, x[k], (float)Q[k * N + j]);
    y[j] = a0 * scale[j] + b[j];
  }
}
)";

const char* const kNoise = R"(
/* ---- Noise ---- */

static uint32_t P_rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

/* xoshiro128** (Blackman and Vigna): one 32-bit draw. */
static uint32_t P_rng_next(P_rng *rng) {
  const uint32_t result = P_rotl(rng->s[1] * 5u, 7) * 9u;
  const uint32_t t = rng->s[1] << 9;
  rng->s[2] ^= rng->s[0];
  rng->s[3] ^= rng->s[1];
  rng->s[1] ^= rng->s[2];
  rng->s[0] ^= rng->s[3];
  rng->s[2] ^= t;
  rng->s[3] = P_rotl(rng->s[3], 11);
  return result;
}

/* The four state words from a 32-bit seed (a splitmix32-style mix of
 * seed + i * golden ratio; never all zero). */
void P_rng_seed(P_rng *rng, uint32_t seed) {
  uint32_t z = seed;
  int i;
  for (i = 0; i < 4; ++i) {
    uint32_t w;
    z += 0x9E3779B9u;
    w = z;
    w = (w ^ (w >> 16)) * 0x85EBCA6Bu;
    w = (w ^ (w >> 13)) * 0xC2B2AE35u;
    rng->s[i] = w ^ (w >> 16);
  }
  if ((rng->s[0] | rng->s[1] | rng->s[2] | rng->s[3]) == 0u) rng->s[0] = 1u;
}

/* ln(s) for a normal float s > 0: s = m 2^e with m in [sqrt(1/2), sqrt(2)),
 * ln m = 2 atanh(z), z = (m - 1) / (m + 1), |z| <= 0.172, by its series to
 * z^9 (next term < 1e-9). */
static float P_log(float s) {
  union {
    uint32_t u;
    float f;
  } m;
  int e;
  float z, z2;
  m.f = s;
  e = (int)((m.u >> 23) & 255u) - 127;
  m.u = (m.u & 0x007FFFFFu) | 0x3F800000u; /* m in [1, 2) */
  if (m.f > 1.41421356f) {
    m.f *= 0.5f;
    e += 1;
  }
  z = (m.f - 1.0f) / (m.f + 1.0f);
  z2 = z * z;
  return 2.0f * z * (1.0f + z2 * (0.333333333f + z2 * (0.2f + z2 * (0.142857143f + z2 * 0.111111111f)))) +
         (float)e * 0.693147181f;
}

/* Marsaglia's polar method: u, v uniform in (-1, 1) on a 2^-23 grid, kept
 * when 0 < s = u^2 + v^2 < 1 (so s >= 2^-46, a normal float); then u f and
 * v f with f = sqrt(-2 ln s / s) are two independent N(0, 1) draws. */
void P_noise(P_rng *rng, float *noise) {
  int i = 0;
  while (i < PP_ACTION_DIM) {
    const float u = 2.0f * ((float)(P_rng_next(rng) >> 8) * 5.96046448e-8f) - 1.0f; /* 2^-24 */
    const float v = 2.0f * ((float)(P_rng_next(rng) >> 8) * 5.96046448e-8f) - 1.0f;
    const float s = u * u + v * v;
    float f;
    if (s >= 1.0f || s <= 0.0f) continue;
    f = sqrtf(-2.0f * P_log(s) / s);
    noise[i++] = u * f;
    if (i < PP_ACTION_DIM) noise[i++] = v * f;
  }
}
)";

}  // namespace

std::string export_c_check_name(const std::string& name) {
  if (name.empty()) return "the name is empty";
  if (name.size() > 40) return "'" + name + "' is longer than 40 characters";
  if (name[0] >= '0' && name[0] <= '9') return "'" + name + "' starts with a digit (not a C identifier)";
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
      return "'" + name + "' has '" + std::string(1, c) + "': use lower-case letters, digits and '_' (a C identifier)";
  return "";
}

void quantise_kernel_int8(const real* W, int K, int N, int8_t* q, float* scale) {
  for (int j = 0; j < N; ++j) {
    float m = 0;
    for (int k = 0; k < K; ++k) m = std::fmax(m, std::fabs(static_cast<float>(W[static_cast<long>(k) * N + j])));
    scale[j] = m > 0 ? m / 127.0f : 1.0f;
    for (int k = 0; k < K; ++k) {
      const float r = std::round(static_cast<float>(W[static_cast<long>(k) * N + j]) / scale[j]);  // half away from 0
      q[static_cast<long>(k) * N + j] = static_cast<int8_t>(r > 127.0f ? 127.0f : (r < -127.0f ? -127.0f : r));
    }
  }
}

Agent agent_with_int8_target_actor(const Agent& agent) {
  Agent a = agent;
  const MlpShape& s = a.actor_shape.net;
  MlpGrads p = mlp_grads(s, a.target_actor.data(), 0);  // writable views
  for (int i = 0; i < s.n_layers; ++i) {
    const int K = i == 0 ? s.in_dim : s.dims[i - 1], N = s.dims[i];
    std::vector<int8_t> q(static_cast<size_t>(K) * N);
    std::vector<float> scale(N);
    quantise_kernel_int8(p.W[i], K, N, q.data(), scale.data());
    for (long k = 0; k < static_cast<long>(K) * N; ++k)
      p.W[i][k] = static_cast<real>(static_cast<float>(q[k]) * scale[k % N]);
  }
  return a;
}

ExportCModule export_c(const Agent& agent, const ExportCOptions& options) {
  const std::string bad = export_c_check_name(options.name);
  if (!bad.empty()) throw Error("export c: --name " + bad);
  const FlowShape& fs = agent.actor_shape;
  const MlpShape& s = fs.net;
  const RqlConfig& cfg = agent.cfg;
  const MlpParams p = mlp_params(s, agent.target_actor.data(), 0);
  for (size_t i = 0; i < agent.target_actor.size(); ++i)
    if (!std::isfinite(static_cast<double>(agent.target_actor[i])))
      throw Error("export c: target actor parameter " + std::to_string(i) +
                  " is not finite: the checkpoint holds a diverged actor");

  ExportCModule m;
  m.params = mlp_param_count(s);
  const int n_hidden = s.n_layers - 1;
  int max_hidden = 0;
  for (int i = 0; i < n_hidden; ++i) max_hidden = s.dims[i] > max_hidden ? s.dims[i] : max_hidden;
  m.work_floats = s.in_dim + 2L * max_hidden + fs.A;
  m.weight_bytes = 0;
  long layer_macs = 0;
  for (int i = 0; i < s.n_layers; ++i) {
    const long K = i == 0 ? s.in_dim : s.dims[i - 1], N = s.dims[i];
    layer_macs += K * N;
    m.weight_bytes += K * N * (options.int8 ? 1 : 4) + N * 4 + (options.int8 ? N * 4 : 0);
    if (s.layer_norm && i < n_hidden) m.weight_bytes += 2 * N * 4;
  }
  m.macs = layer_macs * fs.flow_steps;

  const std::string P = options.name, PP = upper(options.name);
  m.header_name = P + ".h";
  m.source_name = P + ".c";

  // ---- header ----
  std::string arch = std::to_string(s.in_dim);
  for (int i = 0; i < s.n_layers; ++i) arch += " -> " + std::to_string(s.dims[i]);
  std::string h;
  h += "/* " + m.header_name + ": a trained RQL policy (the EMA actor) as freestanding C99.\n";
  h += " * Generated by `rql export c` (rql-cpp) from " + (options.origin.empty() ? "an agent" : options.origin) +
       " (step " + std::to_string(agent.step) + "). Do not edit: export again.\n";
  h += " *\n"
       " *   x <- noise;  for i = 0..F-1:  x <- x + v(obs, x, i/F) / F;  chunk = clip(x, -1, 1)\n"
       " *   v = MLP(concat[obs, x, t]): Dense, GELU (tanh form)" +
       std::string(s.layer_norm ? ", LayerNorm (eps 1e-6)" : "") +
       ", ..., Dense\n"
       " *   (docs/spec.md sections 1 and 2 of rql-cpp; docs/embedded.md for the port)\n";
  h += " * Actor " + arch + (options.int8 ? ", int8 kernels with per-output-channel float scales" : ", float32") +
       ".\n";
  h += " *\n"
       " * Memory: flash PP_WEIGHT_BYTES of static const weights plus the code;\n"
       " * RAM PP_WORK_FLOATS floats of scratch (P_scratch, the one mutable global,\n"
       " * used by P_act only); the stack holds no arrays. Float only: no double\n"
       " * arithmetic anywhere, no malloc; libc: <math.h> (sqrtf, fabsf) and <stdint.h>.\n"
       " * Bit-identical to rql-cpp's agent_act (reference matmul, chained fast tanh)\n"
       " * when compiled without FMA contraction: -ffp-contract=off (gcc's -std=c99\n"
       " * implies it; for clang the source carries #pragma STDC FP_CONTRACT OFF).\n"
       " */\n";
  h += "#ifndef " + PP + "_H_INCLUDED\n#define " + PP + "_H_INCLUDED\n\n#include <stdint.h>\n\n";
  h += "#define PP_OBS_DIM " + std::to_string(fs.obs_dim) + "\n";
  h += "#define PP_ACTION_DIM " + std::to_string(fs.A) + " /* A = h * action_dim, the flat chunk */\n";
  h += "#define PP_H " + std::to_string(cfg.h) + "\n";
  h += "#define PP_FLOW_STEPS " + std::to_string(fs.flow_steps) + "\n";
  h += "#define PP_STEP_ACTION_DIM " + std::to_string(cfg.action_dim) +
       " /* action_dim: chunk[t * action_dim + j] is step t's action j */\n";
  h += "#define PP_PARAMS " + str(m.params) + "L /* actor parameters */\n";
  h += "#define PP_WEIGHT_BYTES " + str(m.weight_bytes) + "L /* flash: static const weight data */\n";
  h += "#define PP_WORK_FLOATS " + str(m.work_floats) +
       " /* scratch: input " + std::to_string(s.in_dim) + " + 2 x hidden " + std::to_string(max_hidden) +
       " + velocity " + std::to_string(fs.A) + " */\n";
  h += "#define PP_MACS " + str(m.macs) + "L /* multiply-accumulates per act call */\n";
  h += std::string(kHeaderApi);
  h += "\n#endif /* " + PP + "_H_INCLUDED */\n";
  m.header = instantiate(h, P);

  // ---- source ----
  std::string c;
  c += "/* " + m.source_name + ": generated by `rql export c`; see " + m.header_name + ". */\n";
  c += "#include \"" + m.header_name + "\"\n\n#include <math.h>\n\n";
  c += "#if defined(__clang__)\n#pragma STDC FP_CONTRACT OFF /* bit-identity: no a * b + c fused into one rounding */\n"
       "#endif\n\n";
  // The GELU constants as rql-cpp rounds them: real(0.7978845608028654).
  c += "#define P_GELU_C " + c_float(static_cast<float>(0.7978845608028654)) + " /* sqrt(2 / pi) */\n";
  c += "#define P_GELU_A " + c_float(static_cast<float>(0.044715)) + "\n";
  c += "\n/* ---- Weights (flash), the golden tensor names of docs/spec.md section 8 ---- */\n";
  auto fl = [](real v) { return c_float(static_cast<float>(v)); };
  for (int i = 0; i < s.n_layers; ++i) {
    const int K = i == 0 ? s.in_dim : s.dims[i - 1], N = s.dims[i];
    const std::string li = std::to_string(i);
    const long KN = static_cast<long>(K) * N;
    if (options.int8) {
      std::vector<int8_t> q(static_cast<size_t>(KN));
      std::vector<float> scale(N);
      quantise_kernel_int8(p.W[i], K, N, q.data(), scale.data());
      c += "\n/* target_actor.dense" + li + ".kernel (" + std::to_string(K) + ", " + std::to_string(N) +
           ") = Q scale: Q int8, scale per output (column) */\n";
      c += "static const int8_t P_dense" + li + "_kernel[" + str(KN) + "] = {";
      append_array(c, q.data(), KN, [](int8_t v) { return std::to_string(static_cast<int>(v)); });
      c += "static const float P_dense" + li + "_scale[" + std::to_string(N) + "] = {";
      append_array(c, scale.data(), N, c_float);
    } else {
      c += "\n/* target_actor.dense" + li + ".kernel (" + std::to_string(K) + ", " + std::to_string(N) +
           "), row-major: y = x W + b */\n";
      c += "static const float P_dense" + li + "_kernel[" + str(KN) + "] = {";
      append_array(c, p.W[i], KN, fl);
    }
    c += "static const float P_dense" + li + "_bias[" + std::to_string(N) + "] = {";
    append_array(c, p.b[i], N, fl);
    if (s.layer_norm && i < n_hidden) {
      c += "static const float P_ln" + li + "_scale[" + std::to_string(N) + "] = {";
      append_array(c, p.g[i], N, fl);
      c += "static const float P_ln" + li + "_bias[" + std::to_string(N) + "] = {";
      append_array(c, p.beta[i], N, fl);
    }
  }
  c += "\n/* The scratch of P_act (RAM): the one mutable global. */\nstatic float P_scratch[PP_WORK_FLOATS];\n";
  c += kMac;
  c += kSourceFunctions;
  if (s.layer_norm) c += kLayerNorm;
  c += options.int8 ? kDenseInt8 : kDenseF32;

  // The act function, layer by layer (mirrors flow_sample + mlp_forward).
  const std::string D = std::to_string(fs.obs_dim), A = std::to_string(fs.A);
  c += "\n/* ---- The policy (flow_sample in rql-cpp's src/core/flow.cpp) ---- */\n\n";
  c += "void P_act_work(const float *obs, const float *noise, float *chunk, float *work) {\n";
  c += "  float *in = work; /* concat[obs, x, t] (" + std::to_string(s.in_dim) + ") */\n";
  c += "  float *h0 = work + " + std::to_string(s.in_dim) + "; /* hidden (" +
       std::to_string(max_hidden) + ") */\n";
  if (n_hidden >= 2)
    c += "  float *h1 = h0 + " + std::to_string(max_hidden) + "; /* hidden (" +
         std::to_string(max_hidden) + ") */\n";
  c += "  float *v = h0 + " + std::to_string(2 * max_hidden) + "; /* velocity (A) */\n";
  c += "  int i, k;\n";
  c += "  for (k = 0; k < PP_ACTION_DIM; ++k) chunk[k] = noise[k];\n";
  c += "  for (i = 0; i < PP_FLOW_STEPS; ++i) {\n";
  if (fs.obs_dim > 0) c += "    for (k = 0; k < PP_OBS_DIM; ++k) in[k] = obs[k];\n";
  else c += "    (void)obs;\n";
  c += "    for (k = 0; k < PP_ACTION_DIM; ++k) in[" + D + " + k] = chunk[k];\n";
  c += "    in[" + D + " + " + A + "] = (float)i / (float)PP_FLOW_STEPS; /* t = i / F */\n";
  for (int i = 0; i < s.n_layers; ++i) {
    const int K = i == 0 ? s.in_dim : s.dims[i - 1], N = s.dims[i];
    const std::string li = std::to_string(i);
    const std::string src = i == 0 ? "in" : (i % 2 == 1 ? "h0" : "h1");
    const std::string dst = i == s.n_layers - 1 ? "v" : (i % 2 == 0 ? "h0" : "h1");
    c += "    P_dense(" + dst + ", " + src + ", P_dense" + li + "_kernel, " +
         (options.int8 ? "P_dense" + li + "_scale, " : std::string()) + "P_dense" + li + "_bias, " +
         std::to_string(K) + ", " + std::to_string(N) + ");\n";
    if (i < n_hidden) {
      c += "    P_gelu(" + dst + ", " + std::to_string(N) + ");\n";
      if (s.layer_norm)
        c += "    P_layernorm(" + dst + ", P_ln" + li + "_scale, P_ln" + li + "_bias, " + std::to_string(N) + ");\n";
    }
  }
  c += "    for (k = 0; k < PP_ACTION_DIM; ++k) chunk[k] += v[k] / (float)PP_FLOW_STEPS;\n";
  c += "  }\n";
  c += "  for (k = 0; k < PP_ACTION_DIM; ++k) chunk[k] = chunk[k] < -1.0f ? -1.0f : (chunk[k] > 1.0f ? 1.0f : chunk[k]);\n";
  c += "}\n\n";
  c += "void P_act(const float *obs, const float *noise, float *chunk) { P_act_work(obs, noise, chunk, P_scratch); }\n";
  c += kNoise;
  m.source = instantiate(c, P);
  return m;
}

void export_c_write(const ExportCModule& module, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create the folder (" + ec.message() + ")");
  write_file_bytes(dir + "/" + module.header_name, module.header);
  write_file_bytes(dir + "/" + module.source_name, module.source);
}

}  // namespace rql
