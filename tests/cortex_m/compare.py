#!/usr/bin/env python3
"""compare.py: the numbers of the Cortex-M4 run against the host run.

Both runs print "value KEY x1 x2 ..." lines (tests/cortex_m/main.cpp). The
core is the same source, compiled with -ffp-contract=off on both, so every
add and multiply rounds the same way; only the C libraries' tanhf/logf/expf
may differ (picolibc against glibc), each by an ulp or so. Tolerance: 1e-5
relative (about 80 float ulps, room for those few-ulp differences to pass
through the few layers of one update) with 1e-6 absolute near zero. Exit
code 1 on a difference beyond that or a missing key.
"""
import sys


def values(path):
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "value":
                out[parts[1]] = [float(x) for x in parts[2:]]
    return out


def main():
    a, b = values(sys.argv[1]), values(sys.argv[2])
    worst, same, bad = 0.0, True, 0
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b or len(a[key]) != len(b[key]):
            print(f"  {key}: missing or of different length")
            bad += 1
            continue
        for x, y in zip(a[key], b[key]):
            same = same and x == y
            err = abs(x - y)
            rel = err / max(abs(y), 1e-30)
            worst = max(worst, rel if abs(y) > 0.1 else err)
            if err > 1e-5 * abs(y) and err > 1e-6:
                print(f"  {key}: {x!r} (Cortex-M4) against {y!r} (host)")
                bad += 1
    if same and not bad:
        print(f"  {len(a)} printed tensors: identical digits (9 significant) on the Cortex-M4 and the host")
    else:
        print(f"  {len(a)} printed tensors: worst relative difference {worst:.3g}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
