/* check_cases.c: the firmware that proves an exported policy (`rql export c`)
 * on a board or an emulator: it runs rql_policy_act on the cases built into
 * the image (rql_cases.h: obs, noise and the chunk rql-cpp's agent_act
 * returned on the host) and compares every float bit for bit.
 *
 * Prints "RQL_CASES_OK n" and returns 0, or one line per mismatching
 * element (at most 10), "RQL_CASES_MISMATCH m of n" and returns 1. Under
 * QEMU with semihosting the return value becomes qemu's exit code.
 *
 * Output is integers only (the float bits in hex), written with fputs: no
 * printf("%g"), which would link double-precision code into the image
 * (tests/cli/test_export_c.cpp checks the image has none).
 *
 * rql_cases.h defines RQL_CASES_N and, for c < RQL_CASES_N,
 *   rql_case_obs[c][RQL_POLICY_OBS_DIM], rql_case_noise[c][RQL_POLICY_ACTION_DIM],
 *   rql_case_expected[c][RQL_POLICY_ACTION_DIM]
 * tests/cli/test_export_c.cpp writes it; docs/embedded.md says how to make
 * one for a real board. */
#include <stdint.h>
#include <stdio.h>

#include "rql_policy.h"
#include "rql_cases.h"

static uint32_t float_bits(float f) {
  union {
    float f;
    uint32_t u;
  } v;
  v.f = f;
  return v.u;
}

/* "name=0x1234abcd " */
static void put_hex(const char *name, uint32_t u) {
  static const char digits[] = "0123456789abcdef";
  char buf[16];
  int i;
  fputs(name, stdout);
  buf[0] = '0';
  buf[1] = 'x';
  for (i = 0; i < 8; ++i) buf[2 + i] = digits[(u >> (28 - 4 * i)) & 15u];
  buf[10] = ' ';
  buf[11] = '\0';
  fputs(buf, stdout);
}

static void put_int(const char *name, long v) {
  char buf[24];
  int i = 22;
  unsigned long u = v < 0 ? (unsigned long)(-v) : (unsigned long)v;
  buf[23] = '\0';
  do {
    buf[i--] = (char)('0' + (int)(u % 10u));
    u /= 10u;
  } while (u > 0u);
  if (v < 0) buf[i--] = '-';
  fputs(name, stdout);
  fputs(buf + i + 1, stdout);
}

int main(void) {
  static float chunk[RQL_POLICY_ACTION_DIM];
  long bad = 0;
  int c, k;
  for (c = 0; c < RQL_CASES_N; ++c) {
    rql_policy_act(rql_case_obs[c], rql_case_noise[c], chunk);
    for (k = 0; k < RQL_POLICY_ACTION_DIM; ++k) {
      if (float_bits(chunk[k]) == float_bits(rql_case_expected[c][k])) continue;
      if (bad < 10) {
        put_int("case ", c);
        put_int(" element ", k);
        put_hex(": got ", float_bits(chunk[k]));
        put_hex("expected ", float_bits(rql_case_expected[c][k]));
        fputs("\n", stdout);
      }
      ++bad;
    }
  }
  if (bad) {
    put_int("RQL_CASES_MISMATCH ", bad);
    put_int(" of ", (long)RQL_CASES_N * RQL_POLICY_ACTION_DIM);
    fputs("\n", stdout);
    return 1;
  }
  put_int("RQL_CASES_OK ", RQL_CASES_N);
  fputs("\n", stdout);
  return 0;
}
