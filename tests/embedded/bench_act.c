/* bench_act.c: instructions per rql_policy_act call on an emulated
 * Cortex-M (tests/embedded/bench.sh, docs/embedded.md).
 *
 * Run under qemu-system-arm with -icount shift=0: every guest instruction
 * then advances the virtual clock by 1 ns, and the SysTick timer (clocked
 * by the board's virtual CPU clock) counts virtual time. So SysTick ticks
 * measure INSTRUCTIONS EXECUTED, not cycles (QEMU models no pipeline,
 * caches, flash wait states or FPU latencies). The ticks-per-instruction
 * factor is calibrated here with a loop of known length (2 instructions
 * per iteration), so the result does not depend on the board's clock.
 *
 * Prints integers only:
 *   calib_iters N calib_ticks T    (the loop ran 2 N instructions)
 *   act_calls R act_ticks S        (S ticks over R calls)
 * instructions per call = S / R * 2 N / T (bench.sh does the division). */
#include <stdint.h>
#include <stdio.h>

#include "rql_policy.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

/* SysTick counts down from 2^24 - 1 and wraps; differences mod 2^24. */
static uint32_t elapsed(uint32_t start, uint32_t end) { return (start - end) & 0xFFFFFFu; }

int main(void) {
  static float obs[RQL_POLICY_OBS_DIM > 0 ? RQL_POLICY_OBS_DIM : 1], noise[RQL_POLICY_ACTION_DIM],
      chunk[RQL_POLICY_ACTION_DIM];
  const uint32_t calib_iters = 1000000u;
  uint32_t t0, t1, n;
  uint64_t act_ticks = 0;
  rql_policy_rng rng;
  int r, k;
  const int calls = 3;
  SYST_RVR = 0xFFFFFFu;
  SYST_CVR = 0u;
  SYST_CSR = 5u; /* enable, processor clock, no interrupt */

  n = calib_iters;
  t0 = SYST_CVR;
  __asm__ volatile("1: subs %0, %0, #1\n bne 1b" : "+r"(n) : : "cc");
  t1 = SYST_CVR;
  printf("calib_iters %lu calib_ticks %lu\n", (unsigned long)calib_iters, (unsigned long)elapsed(t0, t1));

  rql_policy_rng_seed(&rng, 1u);
  for (r = 0; r < calls; ++r) {
    /* any observation: the cost does not depend on it (no data-dependent
     * branches but the tanh's three ranges) */
    for (k = 0; k < RQL_POLICY_OBS_DIM; ++k) obs[k] = (float)((k + r) % 7) * 0.25f - 0.75f;
    rql_policy_noise(&rng, noise);
    t0 = SYST_CVR;
    rql_policy_act(obs, noise, chunk);
    t1 = SYST_CVR;
    act_ticks += elapsed(t0, t1);
  }
  printf("act_calls %d act_ticks %lu chunk0 %d\n", calls, (unsigned long)act_ticks, (int)(chunk[0] * 1000.0f));
  return 0;
}
