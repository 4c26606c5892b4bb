// env_bandit.cpp: the contextual multimodal bandit of env_bandit.h: reward,
// closed forms, behaviour policy and dataset.
#include "env_bandit.h"

#include <algorithm>
#include <cmath>

#include "env.h"

namespace rql {

namespace {

// m_k: three points on the circle of radius 0.5, at 90, 210 and 330 degrees.
// 0.4330127018922193 = 0.5 cos(30 deg) = sqrt(3) / 4.
const double kModeCentres[kBanditModes][2] = {
    {0.0, 0.5},
    {-0.4330127018922193, -0.25},
    {0.4330127018922193, -0.25},
};


}  // namespace

void bandit_mode_centre(int k, double* out) {
  out[0] = kModeCentres[k][0];
  out[1] = kModeCentres[k][1];
}

double bandit_weight(int k, double c) {
  const double ck = static_cast<double>(k - 1);
  return std::max(0.0, 1.0 - std::fabs(c - ck));
}

double bandit_reward(double c, const double* a) {
  const double ax = env_clip1(a[0]), ay = env_clip1(a[1]);
  const double s2 = kBanditBumpRadius * kBanditBumpRadius;
  double r = 0.0;
  for (int k = 0; k < kBanditModes; ++k) {
    const double dx = ax - kModeCentres[k][0], dy = ay - kModeCentres[k][1];
    const double bump = std::max(0.0, 1.0 - (dx * dx + dy * dy) / s2);
    r += bandit_weight(k, c) * bump;  // at most one bump is nonzero (disjoint)
  }
  return r;
}

int bandit_best_mode(double c) {
  int best = 0;
  for (int k = 1; k < kBanditModes; ++k)
    if (bandit_weight(k, c) > bandit_weight(best, c)) best = k;
  return best;
}

double bandit_context_optimum(double c) { return bandit_weight(bandit_best_mode(c), c); }

// On [-1, 0] the two live tents are w_0 = -c and w_1 = 1 + c, so
// max = max(-c, 1 + c), whose mean over [-1, 0] is 3/4; [0, 1] is the mirror.
double bandit_optimal_reward() { return 0.75; }

// g = E (1 - Q / s^2)^+ with Q = |sigma z|^2 ~ Exponential(rate l = 1/(2 sigma^2)):
//   int_0^{s^2} (1 - q/s^2) l e^{-l q} dq = 1 - (1 - e^{-l s^2}) / (l s^2).
double bandit_bump_mean() {
  const double ls2 = kBanditBumpRadius * kBanditBumpRadius / (2.0 * kBanditBehaviourStd * kBanditBehaviourStd);
  return 1.0 - (1.0 - std::exp(-ls2)) / ls2;
}

// Each mode is picked with probability 1/3 and sum_k w_k(c) = 1 on [-1, 1],
// so E_c (1/3) sum_k w_k(c) g = g / 3.
double bandit_behaviour_reward() { return bandit_bump_mean() / 3.0; }

double bandit_best_mode_reward() { return 0.75 * bandit_bump_mean(); }

void bandit_behaviour_action(Rng& r, double* out) {
  const int k = static_cast<int>(rng_below(r, kBanditModes));
  // Draw order fixed: mode, then z_x, then z_y.
  const double zx = rng_normal(r);
  const double zy = rng_normal(r);
  out[0] = env_clip1(kModeCentres[k][0] + kBanditBehaviourStd * zx);
  out[1] = env_clip1(kModeCentres[k][1] + kBanditBehaviourStd * zy);
}

Dataset bandit_make_dataset(long episodes, uint64_t seed) {
  Dataset d;
  d.n = episodes * kBanditSteps;
  d.obs_dim = kBanditObsDim;
  d.action_dim = kBanditActionDim;
  d.observations.resize(static_cast<size_t>(d.n) * kBanditObsDim);
  d.actions.resize(static_cast<size_t>(d.n) * kBanditActionDim);
  d.rewards.resize(static_cast<size_t>(d.n));
  d.terminals.assign(static_cast<size_t>(d.n), real(0));
  d.masks.assign(static_cast<size_t>(d.n), real(1));
  Rng r = rng_make(seed, kStreamData);
  for (long e = 0; e < episodes; ++e) {
    const real c = env_stored(rng_range(r, -1.0, 1.0));
    for (int t = 0; t < kBanditSteps; ++t) {
      const size_t i = static_cast<size_t>(e * kBanditSteps + t);  // transition index
      double a[2];
      bandit_behaviour_action(r, a);
      // The reward is that of the action as stored.
      const real ax = env_stored(a[0]), ay = env_stored(a[1]);
      const double as_stored[2] = {ax, ay};
      d.observations[i] = c;  // (n, 1)
      d.actions[2 * i] = ax;  // (n, 2)
      d.actions[2 * i + 1] = ay;
      d.rewards[i] = env_stored(bandit_reward(c, as_stored));
    }
    d.terminals[static_cast<size_t>(e * kBanditSteps + kBanditSteps - 1)] = real(1);
  }
  return d;
}

}  // namespace rql
