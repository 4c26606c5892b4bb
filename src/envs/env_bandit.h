// env_bandit.h: "bandit", a contextual, multimodal problem whose optimal and
// behaviour expected rewards are known exactly (issue 6; docs/environments.md
// derives every number below).
//
// Observation: a context c ~ U[-1, 1) (obs_dim 1), drawn once per episode and
// kept for all kBanditSteps steps. Keeping it fixed is what lets an open-loop
// action chunk (docs/spec.md §2) be optimal: with a fresh context each step, actions
// 2..h of a chunk would be chosen blind and the optimum would depend on h.
// Action: a in [-1, 1]^2 (clipped). Reward, with three modes k = 0, 1, 2:
//
//   r(c, a) = sum_k w_k(c) * max(0, 1 - |a - m_k|^2 / s^2)
//   w_k(c)  = max(0, 1 - |c - c_k|),  c_k = k - 1 in {-1, 0, 1}
//
// m_k are three points on a circle of radius 0.5 (at 90, 210, 330 degrees),
// s = kBanditBumpRadius. The bumps are disjoint (|m_j - m_k| = 0.866 > 2s)
// and lie inside [-0.85, 0.85]^2, so clipping an action never changes its
// reward. The weights are tents that sum to 1 on [-1, 1]: which mode pays
// best depends on the context.
//
// Behaviour data: each step picks a mode uniformly and acts
// a = clip(m_k + sigma z), z ~ N(0, I_2), sigma = kBanditBehaviourStd.
// Behaviour cloning reproduces this mixture; the best mode per context is
// the optimum.
//
// Closed forms (per step, expectation over c and the policy's action):
//   optimal   E_c max_k w_k(c)                      = 3/4            (exact)
//   behaviour g / 3,  g = 1 - (1 - exp(-s^2/(2 sigma^2))) * 2 sigma^2 / s^2
//                                                   = 0.319728       (exact up to < 1e-23)
//   best mode with the data's noise   3 g / 4       = 0.719388       (same)
// g is the mean bump value of one mode's Gaussian cloud (in 2-D,
// |sigma z|^2 is exponential with mean 2 sigma^2). The "< 1e-23" is the chance that a mode's noise
// reaches another mode's bump, 10.3 sigma away.
#pragma once

#include <cstdint>

#include "io/dataset.h"
#include "core/scalar.h"

namespace rql {

constexpr int kBanditModes = 3;
constexpr int kBanditObsDim = 1;
constexpr int kBanditActionDim = 2;
constexpr int kBanditSteps = 5;                 // steps per episode
constexpr double kBanditBehaviourStd = 0.05;    // sigma of each behaviour mode
constexpr double kBanditBumpRadius = 0.35;      // s: the reward bump's radius

// Mode k's centre m_k, out is (2).
void bandit_mode_centre(int k, double* out);
// w_k(c) = max(0, 1 - |c - c_k|), c_k = k - 1.
double bandit_weight(int k, double c);
// r(c, a), a is (2) and is clipped to [-1, 1] first.
double bandit_reward(double c, const double* a);
// argmax_k w_k(c), ties to the lower k.
int bandit_best_mode(double c);
// max_k w_k(c): the best reward achievable in context c (at a = m_best).
double bandit_context_optimum(double c);

// The closed forms above.
double bandit_optimal_reward();       // 3/4
double bandit_bump_mean();            // g
double bandit_behaviour_reward();     // g / 3
double bandit_best_mode_reward();     // 3 g / 4

// One behaviour action for context c (its mode drawn from r), out is (2).
void bandit_behaviour_action(Rng& r, double* out);

// `episodes` episodes of kBanditSteps steps from stream (seed, kStreamData):
// terminals 1 on each episode's last step, masks all 1 (timeouts, not true
// terminations), actions stored clipped to [-1, 1], rewards computed from the
// stored action. Stored values are rounded to float32 (the file type) in
// either build.
Dataset bandit_make_dataset(long episodes, uint64_t seed);

}  // namespace rql
