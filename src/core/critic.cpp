// critic.cpp: TD target pieces and the expectile loss (critic.h, docs/spec.md §5).
#include "critic.h"

#include <cmath>

#include "sum.h"

namespace rql {

void shifted_terminals(real* rt, const real* terminals, int h, int B) {
  for (int b = 0; b < B; ++b) rt[b] = 0;
  for (int i = 1; i <= h; ++i)
    for (int b = 0; b < B; ++b) rt[static_cast<long>(i) * B + b] = terminals[static_cast<long>(i - 1) * B + b];
}

void chunk_reward(real* R, const real* rewards, const real* rt, int h, int B, real discount) {
  for (int b = 0; b < B; ++b) {
    real sum = 0, w = 1;  // w = gamma^i
    for (int i = 0; i < h; ++i) {
      const long k = static_cast<long>(i) * B + b;
      sum += w * rewards[k] * (real(1) - rt[k]);
      w *= discount;
    }
    R[b] = sum;
  }
}

void chunk_valid(real* valid, const real* rt, int h, int B) {
  for (int b = 0; b < B; ++b) {
    real n = 0;
    for (int i = 0; i <= h; ++i) n += rt[static_cast<long>(i) * B + b];
    valid[b] = n <= real(1) ? real(1) : real(0);
  }
}

void ensemble_pessimistic(real* out, const real* q, int K, int B, real rho) {
  for (int b = 0; b < B; ++b) {
    real mean = 0;
    for (int k = 0; k < K; ++k) mean += q[static_cast<long>(k) * B + b];
    mean /= static_cast<real>(K);
    real var = 0;
    for (int k = 0; k < K; ++k) {
      const real e = q[static_cast<long>(k) * B + b] - mean;
      var += e * e;
    }
    var /= static_cast<real>(K);
    out[b] = mean - rho * std::sqrt(var);
  }
}

void td_target(real* y, const real* R, const real* next_q, const real* mask_last, int B, real discount, int h) {
  // gamma^h as the product of h factors, like chunk_reward's weights.
  real gh = 1;
  for (int i = 0; i < h; ++i) gh *= discount;
  for (int b = 0; b < B; ++b) y[b] = R[b] + gh * next_q[b] * mask_last[b];
}

ExpectileWeights expectile_weights(double tau) {
  // Setup-time conversion (once per update, not per element).
  return {static_cast<real>(tau), static_cast<real>(1.0 - tau)};
}

namespace {
// Expectile weight |tau - 1(u < 0)|: tau above the target, 1 - tau below.
real expectile_weight(real u, ExpectileWeights tau) { return u < 0 ? tau.below : tau.above; }
}  // namespace

real critic_loss(const real* q, const real* y, const real* valid, int K, int B, ExpectileWeights tau) {
  CompensatedSum sum;  // K B terms: a float running sum would lose ~K B ulps (sum.h)
  for (int k = 0; k < K; ++k)
    for (int b = 0; b < B; ++b) {
      const real u = y[b] - q[static_cast<long>(k) * B + b];
      csum_add(sum, expectile_weight(u, tau) * u * u * valid[b]);
    }
  return csum_value(sum) / static_cast<real>(static_cast<long>(K) * B);
}

void critic_loss_backward(real* dq, const real* q, const real* y, const real* valid, int K, int B,
                          ExpectileWeights tau) {
  const real c = real(-2) / static_cast<real>(static_cast<long>(K) * B);
  for (int k = 0; k < K; ++k)
    for (int b = 0; b < B; ++b) {
      const long i = static_cast<long>(k) * B + b;
      const real u = y[b] - q[i];
      dq[i] += c * expectile_weight(u, tau) * u * valid[b];
    }
}

}  // namespace rql
