// critic.h: the collapsed-horizon TD target and the expectile critic loss
// (docs/spec.md §5, "Collapsed-horizon TD target" and "Critic loss").
//
// Shapes: batch fields (h+1, B) as in batch.h's Batch; q (K, B); every
// per-sample vector (B). Coefficients are reals: the update converts the
// config's doubles once, at its start (rql.cpp, update_coefficients).
#pragma once

#include "scalar.h"

namespace rql {

// rt[0] = 0, rt[i] = terminals[i-1] for i = 1..h         rt, terminals (h+1, B)
void shifted_terminals(real* rt, const real* terminals, int h, int B);

// R = sum_{i=0..h-1} gamma^i rew[i] (1 - rt[i])  (the i = h term has weight 0)
void chunk_reward(real* R, const real* rewards, const real* rt, int h, int B, real discount);

// valid = 1 if sum_{i=0..h} rt[i] <= 1 else 0: a chunk may end an episode at
// its last action, not cross an episode end before it.
void chunk_valid(real* valid, const real* rt, int h, int B);

// out[b] = mean_k q[k, b] - rho * std_k q[k, b]   (population std)
void ensemble_pessimistic(real* out, const real* q, int K, int B, real rho);

// y = R + gamma^h next_q mask_last       mask_last = masks[h-1] (B)
void td_target(real* y, const real* R, const real* next_q, const real* mask_last, int B, real discount, int h);

// The expectile weight |tau - 1(u < 0)| as two reals: `above` = tau for
// u >= 0, `below` = 1 - tau for u < 0, each the real nearest to its exact
// value (1 - tau is subtracted in double, then rounded once).
struct ExpectileWeights {
  real above, below;
};
ExpectileWeights expectile_weights(double tau);

// u = y - q,  L = mean_{K,B} |tau - 1(u < 0)| u^2 valid       q (K, B)
// (compensated sum, sum.h)
real critic_loss(const real* q, const real* y, const real* valid, int K, int B, ExpectileWeights tau);
// dq <- dL/dq = -2 |tau - 1(u < 0)| u valid / (K B)
void critic_loss_backward(real* dq, const real* q, const real* y, const real* valid, int K, int B,
                          ExpectileWeights tau);

}  // namespace rql
