#!/usr/bin/python3
"""Check, with NumPy, the .npy/.npz files that rql-cpp's writer produced.

Usage: /usr/bin/python3 tools/check_rql_npy.py FOLDER

Run by tests/test_npy.cpp (NpyNumpyInteropTest.NumpyReadsOurFiles), which
first writes into FOLDER:
  ours_f4.npy      npy_save of base(12) as (3, 4) float
  ours_double.npy  npy_save of doubles (0.1, 1/3, 1e30, -2.5): rounded to <f4
  ours_i4.npy      npy_save_i32 of (k - 5) * 100000000, k = 0..11, as (3, 4)
  ours_0d.npy      a 0-d <f4 array holding 3.5
  ours_vec.npy     base(5), shape (5,)
  ours_empty.npy   shape (0, 3)
  ours.npz         npz_save of {a: ours_f4, i: ours_i4, s: ours_0d}
  ours_zip64.npz   the same with ZIP64 records forced (npz_encode(.., true))
  ours_dataset.npz / ours_dataset/  dataset_save of data/fixtures/dataset.npz
Prints OK and exits 0 when NumPy reads every file with the expected dtype,
shape and values; otherwise prints each mismatch and exits 1.
"""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import base, dataset_arrays, ints  # noqa: E402

errors = []


def check(what, got, dtype, want):
    want = np.asarray(want)
    if got.dtype != np.dtype(dtype):
        errors.append(f'{what}: dtype {got.dtype.str}, expected {dtype}')
    if got.shape != want.shape:
        errors.append(f'{what}: shape {got.shape}, expected {want.shape}')
    elif not np.array_equal(got, want.astype(dtype)):
        errors.append(f'{what}: values {got.ravel()[:8]}..., expected {want.astype(dtype).ravel()[:8]}...')


def main(d):
    p = lambda name: os.path.join(d, name)
    f4 = base().reshape(3, 4)
    i4 = ints()['i4'].reshape(3, 4)
    check('ours_f4.npy', np.load(p('ours_f4.npy')), '<f4', f4)
    check('ours_double.npy', np.load(p('ours_double.npy')), '<f4', np.array([0.1, 1 / 3, 1e30, -2.5]))
    check('ours_i4.npy', np.load(p('ours_i4.npy')), '<i4', i4)
    check('ours_0d.npy', np.load(p('ours_0d.npy')), '<f4', np.array(3.5))
    check('ours_vec.npy', np.load(p('ours_vec.npy')), '<f4', base(5))
    check('ours_empty.npy', np.load(p('ours_empty.npy')), '<f4', np.zeros((0, 3)))
    for name in ('ours.npz', 'ours_zip64.npz'):
        with np.load(p(name)) as z:
            if sorted(z.files) != ['a', 'i', 's']:
                errors.append(f'{name}: keys {sorted(z.files)}, expected a, i, s')
                continue
            check(name + ':a', z['a'], '<f4', f4)
            check(name + ':i', z['i'], '<i4', i4)
            check(name + ':s', z['s'], '<f4', np.array(3.5))
    want = dataset_arrays()
    with np.load(p('ours_dataset.npz')) as z:
        for k, v in want.items():
            check('ours_dataset.npz:' + k, z[k], '<f4', v)
    for k, v in want.items():
        check('ours_dataset/' + k, np.load(os.path.join(d, 'ours_dataset', k + '.npy')), '<f4', v)
    if errors:
        print('\n'.join(errors))
        sys.exit(1)
    print('OK')


if __name__ == '__main__':
    main(sys.argv[1])
