/* compare_int8.c: what int8 kernels cost in accuracy (docs/embedded.md).
 * Links two exports of one checkpoint, `rql export c --name rql_f32` and
 * `--weights int8 --name rql_i8`, and prints the max and mean |chunk
 * difference| over N (obs, noise) pairs, obs ~ N(0, 1) and noise ~ N(0, 1)
 * drawn with the module's own generator (seed 1). Host program:
 *   cc -std=c99 -O2 -ffp-contract=off -IDIR compare_int8.c DIR/rql_f32.c DIR/rql_i8.c -lm */
#include <math.h>
#include <stdio.h>

#include "rql_f32.h"
#include "rql_i8.h"

int main(void) {
  static float obs[RQL_F32_OBS_DIM + RQL_F32_ACTION_DIM], noise[RQL_F32_ACTION_DIM];
  static float a[RQL_F32_ACTION_DIM], b[RQL_F32_ACTION_DIM];
  const int n = 1000;
  rql_f32_rng rng;
  double max_diff = 0.0, sum_diff = 0.0;
  int i, k;
  rql_f32_rng_seed(&rng, 1u);
  for (i = 0; i < n; ++i) {
    for (k = 0; k < RQL_F32_OBS_DIM; k += RQL_F32_ACTION_DIM) rql_f32_noise(&rng, obs + k);
    rql_f32_noise(&rng, noise);
    rql_f32_act(obs, noise, a);
    rql_i8_act(obs, noise, b);
    for (k = 0; k < RQL_F32_ACTION_DIM; ++k) {
      const double d = fabs((double)a[k] - (double)b[k]);
      max_diff = d > max_diff ? d : max_diff;
      sum_diff += d;
    }
  }
  printf("pairs %d elements %d max_abs_diff %.3g mean_abs_diff %.3g\n", n, n * RQL_F32_ACTION_DIM, max_diff,
         sum_diff / (n * RQL_F32_ACTION_DIM));
  return 0;
}
