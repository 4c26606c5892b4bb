#!/usr/bin/env python3
"""double_check.py: which core functions call double-precision helpers.

On a Cortex-M4F (single-precision FPU) every double operation is a call
into libgcc (__aeabi_dadd, __aeabi_dmul, __aeabi_f2d, ...) or a double libm
function (sqrt, log, pow, ...), emulated in software. This script reads the
call graphs GCC writes with -fcallgraph-info=su (one .ci per object, after
inlining) and lists, per core function, the double helpers it calls. A
function not named in the allow-list (tests/cortex_m/double_allowlist.txt,
each entry with its reason) makes the exit code 1.

  tests/cortex_m/double_check.py build-cortex-m/core/*.ci \
      --allow tests/cortex_m/double_allowlist.txt
"""
import argparse
import re
import sys

NODE = re.compile(r'^node: \{ title: "([^"]*)" label: "((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r'^edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"')
# libgcc's soft-double routines (ARM run-time ABI names) and the conversions
# that produce or consume a double.
AEABI_DOUBLE = re.compile(r'^__aeabi_(d[a-z0-9]+|f2d|i2d|ui2d|l2d|ul2d)$')


def is_double_helper(title, label):
    if AEABI_DOUBLE.match(title):
        return True
    # An external function whose signature names double: "double pow(double, double)".
    return re.search(r'\bdouble\b', label) is not None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ci", nargs="+")
    ap.add_argument("--allow", required=True, help="allow-list: 'FUNCTION-NAME-START | reason' per line")
    args = ap.parse_args()

    allow = []
    with open(args.allow, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition("|")
            if not reason.strip():
                print(f"{args.allow}: entry without a reason: {line}")
                return 1
            allow.append((name.strip(), reason.strip()))

    defined, labels, calls = set(), {}, {}
    for path in args.ci:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = NODE.match(line)
                if m:
                    label = m.group(2)
                    labels.setdefault(m.group(1), label.split("\\n")[0])
                    if " bytes (" in label:
                        defined.add(m.group(1))
                    continue
                m = EDGE.match(line)
                if m:
                    calls.setdefault(m.group(1), set()).add(m.group(2))

    def readable(t):
        return labels.get(t, t)

    def short(t):
        # "rql::UpdateMetrics rql::rql_update(Agent&, ...)" -> "rql::rql_update("
        return readable(t).split("(")[0].split(" ")[-1] + "("

    used = set()
    bad = 0
    for t in sorted(defined, key=readable):
        helpers = sorted(readable(c) for c in calls.get(t, ()) if c not in defined
                         and is_double_helper(c, readable(c)))
        if not helpers:
            continue
        name = short(t)
        hit = next((a for a in allow if name.startswith(a[0])), None)
        if hit:
            used.add(hit[0])
            print(f"  allowed   {name:40s} {', '.join(helpers)}\n            reason: {hit[1]}")
        else:
            bad += 1
            print(f"  NOT ALLOWED {name:38s} {', '.join(helpers)}")
    for a in allow:
        if a[0] not in used:
            print(f"  (allow-list entry no longer needed: {a[0]})")
    if bad:
        print(f"double_check: {bad} function(s) use double arithmetic without a stated reason "
              "(add the reason to the allow-list, or compute in real)")
        return 1
    print("double_check: every double-precision helper call has a stated reason")
    return 0


if __name__ == "__main__":
    sys.exit(main())
