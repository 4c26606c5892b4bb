#!/usr/bin/env python3
"""Fits the polynomial for exp(r), |r| <= ln2 / 2, used by tanh_float
(src/fast/tanh_fast.h) and the C export's P_tanh (src/io/export_c.cpp).

Near-minimax in relative error: least squares on Chebyshev nodes, reweighted
a few dozen times towards the points of largest error (a cheap stand-in for
Remez), then the coefficients rounded to float32 and the polynomial checked
in float32 Horner arithmetic, as the C++ evaluates it.

  /usr/bin/python3 tools/fit_exp_poly.py [degree]     (default 6)

Degree 6 prints 1.0, 1.0, 0.4999999, 0.1666642, 0.041668203, 0.00837483,
0.0013838162 with a float32 relative error of 9.4e-8 (rounding-dominated);
the Taylor polynomial it replaced needed degree 7.
"""
import sys

import numpy as np

deg = int(sys.argv[1]) if len(sys.argv) > 1 else 6
half = 0.3466  # ln2 / 2 = 0.34657, plus slack for r's rounding
x = np.cos(np.pi * (np.arange(400) + 0.5) / 400) * half  # Chebyshev nodes
A = np.vander(x, deg + 1, increasing=True)
w = np.ones_like(x)
for _ in range(30):
    rw = w / np.exp(x)  # relative error
    c, *_ = np.linalg.lstsq(A * rw[:, None], np.exp(x) * rw, rcond=None)
    err = np.abs(A @ c - np.exp(x)) / np.exp(x)
    w = w * (1 + 50 * err / err.max())
c32 = c.astype(np.float32)
g = np.linspace(-half, half, 200001).astype(np.float32)
p = np.full_like(g, c32[-1])
for k in range(deg - 1, -1, -1):
    p = (p * g).astype(np.float32) + c32[k]
rel = np.abs(p.astype(np.float64) - np.exp(g.astype(np.float64))) / np.exp(g.astype(np.float64))
print("coefficients r^0..r^%d:" % deg, ", ".join(repr(float(v)) for v in c32))
print("as float literals:", ", ".join(np.format_float_positional(v, unique=True) + "f" for v in c32))
print("max relative error, float32 Horner, |r| <= %g: %.3g" % (half, rel.max()))
