#!/usr/bin/python3
"""Write the NumPy-made test fixtures of rql-cpp (data/fixtures/).

Usage (Debian: apt-get install python3-numpy; the interpreter must be the one
that has NumPy, e.g. /usr/bin/python3 rather than a pyenv shim):

    /usr/bin/python3 tools/make_fixtures.py data/fixtures

Every array is a closed-form function of its index, exactly representable in
its dtype, so the C++ tests (tests/test_npy.cpp, tests/test_dataset.cpp)
recompute the expected values instead of trusting a second file. The same
script is run into a temporary folder by the NumPy interoperability tests
whenever /usr/bin/python3 has NumPy, so the committed files and fresh ones
pass the same checks. Deterministic: no random numbers, no timestamps that
matter (ZIP member times come from the clock but nothing reads them).
"""
import os
import sys

import numpy as np
from numpy.lib import format as npformat


def base(n=12):
    """(k - 5) / 4 for k = 0..n-1: -1.25 .. 1.5 in steps of 0.25, exact in f2, f4, f8."""
    return (np.arange(n, dtype=np.float64) - 5.0) * 0.25


def ints():
    """Per integer dtype: 12 values k = 0..11 that use the dtype's full width."""
    k = np.arange(12, dtype=np.int64)
    return {
        'i1': (k - 5) * 20,                 # -100 .. 120
        'u1': k * 20,                       # 0 .. 220 (above 127)
        'i2': (k - 5) * 1000,               # -5000 .. 6000
        'u2': k * 5000,                     # 0 .. 55000 (above 32767)
        'i4': (k - 5) * 100000000,          # -5e8 .. 6e8
        'u4': k * 300000000,                # 0 .. 3.3e9 (above 2^31)
        'i8': (k - 5) * 2**40,              # exact in double
        'u8': k.astype(np.uint64) * np.uint64(2**60),  # 0 .. 11 * 2^60 (above 2^63)
    }


def big(n=4000):
    """(k * 7919) % 1000 / 8: repetitive enough for dynamic Huffman blocks, exact in f4."""
    return ((np.arange(n) * 7919) % 1000 / 8.0).astype('<f4')


def dataset_arrays():
    """Episodes of lengths 4, 1, 5 (N = 10): observations[i] = (i, 10 + i, -i)."""
    i = np.arange(10, dtype=np.float64)
    return {
        'observations': np.stack([i, 10 + i, -i], axis=1),
        'actions': np.stack([(i - 4) * 0.25, np.where(i % 2 == 1, 1.0, -1.0)], axis=1),
        'rewards': (i % 3 == 0).astype(np.float64),
        'terminals': np.array([0, 0, 0, 1, 1, 0, 0, 0, 0, 1], dtype=np.float64),
        'masks': (i != 9),
    }


def main(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    b = base().reshape(3, 4)
    for order, tag in (('<', 'le'), ('>', 'be')):
        for kind in ('f2', 'f4', 'f8'):
            np.save(p(f'{kind}_{tag}.npy'), b.astype(order + kind))
        for kind, v in ints().items():
            dt = ('|' if kind[1] == '1' else order) + kind
            if kind[1] == '1' and tag == 'be':
                continue
            np.save(p(f'{kind}_{tag}.npy' if kind[1] != '1' else f'{kind}.npy'), v.reshape(3, 4).astype(dt))
    np.save(p('b1.npy'), (np.arange(12) % 3 == 0).reshape(3, 4))
    # Half-precision corner cases: 0, -0, smallest subnormal, largest finite, inf, -inf, nan.
    np.save(p('f2_special.npy'), np.array([0.0, -0.0, 2.0**-24, 65504.0, np.inf, -np.inf, np.nan], dtype='<f2'))
    np.save(p('scalar_f8.npy'), np.array(3.5))
    np.save(p('vector_f4.npy'), base(5).astype('<f4'))
    np.save(p('empty_f4.npy'), np.zeros((0, 3), dtype='<f4'))
    np.save(p('fortran_f8.npy'), np.asfortranarray(b))
    np.save(p('fortran_i4.npy'), np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4)))
    for version in ((2, 0), (3, 0)):
        with open(p(f'v{version[0]}_f4.npy'), 'wb') as f:
            npformat.write_array(f, b.astype('<f4'), version=version)
    members = dict(a=b.astype('<f4'), s=np.array(3.5), v=ints()['i2'].astype('>i2'), big=big())
    np.savez(p('stored.npz'), **members)
    np.savez_compressed(p('compressed.npz'), **members)
    d = dataset_arrays()
    np.savez_compressed(p('dataset.npz'),
                        observations=d['observations'].astype('<f4'), actions=d['actions'].astype('<f4'),
                        rewards=d['rewards'].astype('<f4'), terminals=d['terminals'].astype('<f4'),
                        masks=d['masks'].astype('<f4'),
                        next_observations=d['observations'].astype('<f4'), qpos=np.zeros((10, 2), '<f4'))
    # The same dataset as a folder of .npy files in other dtypes.
    folder = p('dataset_folder')
    os.makedirs(folder, exist_ok=True)
    np.save(os.path.join(folder, 'observations.npy'), d['observations'].astype('>f8'))
    np.save(os.path.join(folder, 'actions.npy'), d['actions'].astype('<f8'))
    np.save(os.path.join(folder, 'rewards.npy'), d['rewards'].astype('<i4'))
    np.save(os.path.join(folder, 'terminals.npy'), d['terminals'].astype('|u1'))
    np.save(os.path.join(folder, 'masks.npy'), d['masks'])  # bool
    np.save(os.path.join(folder, 'qvel.npy'), np.zeros((10, 2), '<f4'))  # an extra key, ignored


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'data/fixtures')
