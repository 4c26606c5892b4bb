#!/usr/bin/env bash
# Run the libFuzzer harnesses of tests/fuzz (docs/fuzzing.md).
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS [HARNESS ...]
#
# BUILD_DIR holds the fuzz build (cmake -DRQL_FUZZ=ON, clang; `make fuzz` does
# it). Each harness runs SECONDS seconds on one core, one after another, from
# its seed corpus (rql_fuzz_seeds, regenerated each run), the kept regression
# inputs (tests/fuzz/regressions/HARNESS) and the corpus grown by earlier runs
# (BUILD_DIR/fuzz/corpus/HARNESS). A finding (crash, sanitizer report,
# uncaught exception other than rql::Error, an input slower than 10 s, an
# allocation over 2 GB) is saved under BUILD_DIR/fuzz/artifacts/HARNESS/ and
# makes the script fail once every harness has run. Logs: BUILD_DIR/fuzz/logs.
#
# FUZZ_KEEP_GOING=1 (long runs): libFuzzer's fork mode with one worker, which
# records every finding and keeps fuzzing instead of stopping at the first.
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS [HARNESS ...]" >&2
  exit 2
fi
build=$1
seconds=$2
shift 2
harnesses=${*:-inflate npy npz dataset checkpoint config golden}

work=$build/fuzz
rm -rf "$work/seeds"
mkdir -p "$work/logs"
"$build/tests/fuzz/rql_fuzz_seeds" . "$work/seeds" || exit 1

failed=""
for h in $harnesses; do
  mkdir -p "$work/corpus/$h" "$work/artifacts/$h" "tests/fuzz/regressions/$h"
  log=$work/logs/$h.log
  touch "$log.start"
  # TMPDIR: the harnesses' temporary folders go under the build folder.
  mkdir -p "$work/tmp"
  keep_going=""
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep_going="-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1"
  # shellcheck disable=SC2086
  TMPDIR=$work/tmp "$build/tests/fuzz/fuzz_$h" $keep_going -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/$h/" \
    "$work/corpus/$h" "$work/seeds/$h" "tests/fuzz/regressions/$h" >"$log" 2>&1
  rc=$?
  stats=$(grep -E '^#[0-9]+' "$log" | tail -1)
  execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  echo "fuzz_$h: exit $rc, ${execs:-?} runs in ${seconds} s; last: ${stats:-none}"
  found=$(find "$work/artifacts/$h" -type f -newer "$log.start" 2>/dev/null | wc -l)
  [ "$found" -gt 0 ] && [ "$rc" -eq 0 ] && rc=1  # fork mode exits 0 after recorded findings
  if [ $rc -ne 0 ]; then
    failed="$failed $h"
    grep -E 'ERROR|SUMMARY|FuzzFailure|terminate|Test unit written' "$log" | head -8
  fi
done
if [ -n "$failed" ]; then
  echo "fuzz: findings in:$failed (inputs under $work/artifacts, logs under $work/logs)"
  exit 1
fi
echo "fuzz: no findings"
