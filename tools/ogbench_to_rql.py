#!/usr/bin/env python3
"""Convert an OGBench dataset into the .npz format that rql-cpp reads.

    pip install ogbench          # (pulls in numpy, gymnasium, mujoco)
    python3 tools/ogbench_to_rql.py cube-double-play-singletask-task2-v0 cube-double-task2.npz
    python3 tools/ogbench_to_rql.py cube-double-play-singletask-task2-v0 cube-double-task2-val.npz --split val
    rql dataset info cube-double-task2.npz

UNTESTED HERE: the machine this project was written on has neither the
`ogbench` package nor network access to OGBench's dataset server, so this
script has never been run by the project. It only calls OGBench's public API
(`ogbench.make_env_and_datasets`) and NumPy; please report a failure.

What it does. For a single-task name (`...-singletask-...`), OGBench itself
downloads the raw dataset, drops the last state of every trajectory into
`next_observations`, and relabels each transition with the task's reward and
mask (`ogbench.relabel_utils.relabel_dataset`), exactly as the authors'
training code receives it. This script then writes, with np.savez_compressed:

    observations  (N, obs_dim)   float32
    actions       (N, adim)      float32
    rewards       (N,)           float32   OGBench's single-task reward
    terminals     (N,)           float32   1 on the last transition of each trajectory
    masks         (N,)           float32   0 where the task is solved (no bootstrap)
    next_observations (N, obs_dim)   kept for reference; rql-cpp ignores it

rql-cpp uses `observations[t + i]` within an episode (docs/spec.md §3), not
`next_observations`. Preprocessing (action clipping, --sparse rewards) is
applied by `rql train`, not here, so the file holds OGBench's values as is.

Goal-conditioned names (without `singletask`) have no rewards or masks; the
script refuses them. Visual datasets (uint8 images) are refused too: rql-cpp
reads flat state observations only.
"""
import argparse
import sys

import numpy as np

REQUIRED = ('observations', 'actions', 'rewards', 'terminals', 'masks')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[1])
    p.add_argument('name', help="OGBench dataset name, e.g. 'puzzle-3x3-play-singletask-task4-v0'")
    p.add_argument('out', help='output .npz path')
    p.add_argument('--split', choices=('train', 'val'), default='train', help='which OGBench split to write')
    p.add_argument('--dataset-dir', default='~/.ogbench/data', help="OGBench's download folder")
    p.add_argument('--no-next-observations', action='store_true', help='omit next_observations (smaller file)')
    args = p.parse_args()

    if 'singletask' not in args.name.split('-'):
        sys.exit(f"{args.name}: not a single-task OGBench name (expected '...-singletask-...'); "
                 'goal-conditioned datasets have no rewards or masks')
    if 'visual' in args.name:
        sys.exit(f'{args.name}: visual (image) datasets are not supported by rql-cpp')

    try:
        import ogbench
    except ImportError:
        sys.exit('the ogbench package is not installed: pip install ogbench')

    # compact_dataset=False: OGBench's regular layout (terminals mark the
    # last transition of each trajectory; next_observations present), the one
    # the authors' code trains on.
    _, train, val = ogbench.make_env_and_datasets(args.name, dataset_dir=args.dataset_dir, compact_dataset=False)
    data = train if args.split == 'train' else val
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        sys.exit(f'{args.name}: OGBench returned no {missing}; single-task relabelling needs an OGBench '
                 'release that has ogbench.relabel_utils')

    out = {k: np.asarray(data[k], dtype=np.float32) for k in REQUIRED}
    if not args.no_next_observations and 'next_observations' in data:
        out['next_observations'] = np.asarray(data['next_observations'], dtype=np.float32)
    n = len(out['observations'])
    for k in REQUIRED[1:]:
        assert len(out[k]) == n, f'{k}: {len(out[k])} rows, observations has {n}'
    if out['terminals'][-1] != 1:
        sys.exit(f'{args.name}: the last transition is not a terminal; rql-cpp would refuse this file')
    np.savez_compressed(args.out, **out)
    print(f"wrote {args.out}: transitions {n}, episodes {int(out['terminals'].sum())}, "
          f"obs_dim {out['observations'].shape[1]}, action_dim {out['actions'].shape[1]}, "
          f"mask_zero_rows {int((out['masks'] == 0).sum())}")


if __name__ == '__main__':
    main()
