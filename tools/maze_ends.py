#!/usr/bin/env python3
"""maze_ends.py: where the evaluation episodes of a maze picture ended.

Reads the SVG that `rql train` (RUN/maze.svg), `rql eval --svg` or
`rql plot maze` writes, takes the last point of each episode's polyline and
counts the episodes that ended within 1 of the task's goal (a success),
within 1 to 4 (inside the goal cell, or at its wall, without success) and
farther away. Task 1 goals (docs/environments.md): medium (20, 20),
large (36, 24).

usage: python3 tools/maze_ends.py medium|large MAZE.svg [MAZE.svg ...]
"""
import math
import re
import sys

GOALS = {"medium": (20.0, 20.0), "large": (36.0, 24.0)}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in GOALS:
        sys.exit(__doc__)
    gx, gy = GOALS[sys.argv[1]]
    for path in sys.argv[2:]:
        dist = []
        for pts in re.findall(r'<polyline points="([^"]*)"', open(path).read()):
            x, y = map(float, pts.split()[-1].split(","))
            dist.append(math.hypot(x - gx, y - gy))
        if not dist:
            sys.exit(path + ": no episode polylines found")
        dist.sort()
        print("%s: %d episodes; ended within 1: %d, within 1-4: %d, farther: %d; median distance %.1f" % (
            path, len(dist), sum(d <= 1 for d in dist), sum(1 < d <= 4 for d in dist),
            sum(d > 4 for d in dist), dist[len(dist) // 2]))


if __name__ == "__main__":
    main()
