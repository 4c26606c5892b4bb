#!/usr/bin/env python3
"""stack_depth.py: the deepest stack of a call, from GCC's call-graph files.

Compile every source with  -fstack-usage -fcallgraph-info=su  (GCC >= 12):
each object then comes with a .ci file, a VCG graph whose nodes are the
functions of that translation unit, labelled "N bytes (static)" with the
frame size GCC allotted, and whose edges are the calls GCC emitted (after
inlining, so an inlined callee's locals are already in its caller's frame).

This script joins the graphs of all translation units, then, for each root
function, finds the call chain with the largest sum of frame sizes and
prints it frame by frame:

  tools/stack_depth.py build-cortex-m/core/*.ci \
      --root 'rql::rql_update(' --root 'rql::agent_act(' \
      --indirect kernels.cpp

Limits, stated so that the number is read correctly:
  - Calls through a function pointer appear as one node, __indirect_call.
    --indirect FILE says which functions such a call can reach: every local
    function defined in FILE (the core's kernel table, core/kernels.cpp, whose
    entries are the only function pointers the core calls). The deepest of
    them is taken.
  - Functions without a .ci (the C library, libm, libgcc's helpers, memcpy)
    count 0 bytes here; they are listed under "external" so that a porter
    can add their frames (or measure the whole, as tests/cortex_m does by
    painting the stack under qemu).
  - A frame that is not "static" (alloca, variable-length arrays) or a
    recursive cycle makes the result a lower bound; both are reported and
    make the exit code 1.
"""
import argparse
import re
import sys

NODE = re.compile(r'^node: \{ title: "([^"]*)" label: "((?:[^"\\]|\\.)*)"')
EDGE = re.compile(r'^edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)"')
SIZE = re.compile(r'\\n(\d+) bytes \(([^)]*)\)')


def load(paths):
    """Return (frames, names, calls): title -> bytes, title -> readable
    name, title -> set of callee titles. Titles are linkage names (with a
    "file:" prefix for functions local to a translation unit), so the graphs
    of separate units join on them."""
    frames, quals, names, calls = {}, {}, {}, {}
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = NODE.match(line)
                if m:
                    title, label = m.group(1), m.group(2)
                    names.setdefault(title, label.split("\\n")[0])
                    s = SIZE.search(label)
                    if s:
                        frames[title] = int(s.group(1))
                        quals[title] = s.group(2)
                    continue
                m = EDGE.match(line)
                if m:
                    calls.setdefault(m.group(1), set()).add(m.group(2))
    return frames, quals, names, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ci", nargs="+", help=".ci files from -fcallgraph-info=su")
    ap.add_argument("--root", action="append", required=True,
                    help="a function, as the start of its readable name (e.g. 'rql::rql_update(')")
    ap.add_argument("--indirect", action="append", default=[],
                    help="source file whose local functions an indirect call can reach")
    args = ap.parse_args()

    frames, quals, names, calls = load(args.ci)
    # Local functions have titles "path/to/file.cpp:mangled_name".
    indirect = [t for t in frames if ":" in t and any(t.split(":")[0].endswith(src) for src in args.indirect)]

    status = 0
    memo = {}

    def deepest(t, on_path):
        """(bytes, chain) of the deepest chain starting at t."""
        nonlocal status
        if t in memo:
            return memo[t]
        if t in on_path:
            print(f"  recursion through {names.get(t, t)}: result is a lower bound")
            status = 1
            return 0, []
        on_path.add(t)
        callees = calls.get(t, set())
        if "__indirect_call" in callees:
            callees = (callees - {"__indirect_call"}) | set(indirect)
        best = (0, [])
        for c in sorted(callees):
            d = deepest(c, on_path)
            if d[0] > best[0] or (d[0] == best[0] and len(d[1]) > len(best[1])):
                best = d
        on_path.discard(t)
        own = frames.get(t, 0)
        memo[t] = (own + best[0], [t] + best[1])
        return memo[t]

    for root in args.root:
        # The root's name after the return type: "void rql::agent_act(...)".
        at_name = re.compile(r"(^|[ *&])" + re.escape(root))
        hits = [t for t in frames if at_name.search(names.get(t, ""))]
        if not hits:
            print(f"{root}: no such function in the call graph")
            status = 1
            continue
        for t in hits:
            total, chain = deepest(t, set())
            print(f"{names[t]}: {total} bytes deepest stack (own frames; external calls count 0)")
            for c in chain:
                size = frames.get(c)
                q = quals.get(c, "")
                shown = f"{size:6d}" if size is not None else "     ?"
                print(f"  {shown}  {names.get(c, c)}" + (f"   [{q}]" if q and q != "static" else ""))
                if q and q != "static":
                    status = 1
            # Every external function reachable from the root (its frame is not counted).
            seen, todo, ext = set(), [t], set()
            while todo:
                u = todo.pop()
                if u in seen:
                    continue
                seen.add(u)
                cs = calls.get(u, set())
                if "__indirect_call" in cs:
                    cs = (cs - {"__indirect_call"}) | set(indirect)
                for c in cs:
                    if c in frames:
                        todo.append(c)
                    else:
                        ext.add(names.get(c, c))
            if ext:
                print("  external (not counted): " + ", ".join(sorted(ext)))
    return status


if __name__ == "__main__":
    sys.exit(main())
