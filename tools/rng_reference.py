#!/usr/bin/env python3
"""rng_reference.py: an independent transcription of the project's random
numbers (src/core/rng.h), to pin tests/core/test_rng.cpp.

Written from the published algorithms, not from rng.cpp:
  * SplitMix64 (Vigna, splitmix64.c) seeding four xoshiro256** words from
    x = seed ^ (stream * 0xD1B54A32D192ED03) mod 2^64;
  * xoshiro256** (Blackman and Vigna, 2018);
  * uniform: the top p bits of a draw times 2^-p, p = 24 (float32) or 53
    (float64), the precision of the type;
  * normal: Marsaglia's polar method, every operation in the type's own
    arithmetic (numpy.float32 scalars round each operation to float32):
        u = 2 U1 - 1, v = 2 U2 - 1, s = u u + v v, retry while s >= 1 or s == 0,
        f = sqrt(-2 log(s) / s), return u f, then v f on the next call.

Integers use Python's unbounded ints masked to 64 bits. sqrt is exactly
rounded on both sides (IEEE 754); log is not: numpy's float32 log and the C
library's logf may differ by an ulp, so the C++ test allows 2 ulps on the
normals (and none on the uniforms, which involve no libm call).

Usage: python3 tools/rng_reference.py   (needs NumPy; prints the pins as C++
hex-float literals, in the order tests/core/test_rng.cpp lists them)
"""
import numpy as np

M = (1 << 64) - 1


def splitmix(x):
    x = (x + 0x9E3779B97F4A7C15) & M
    z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return x, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M


class Gen:
    def __init__(self, seed, stream, dtype):
        x = seed ^ ((stream * 0xD1B54A32D192ED03) & M)
        self.s = []
        for _ in range(4):
            x, z = splitmix(x)
            self.s.append(z)
        if not any(self.s):
            self.s[0] = 1
        self.dtype = dtype
        self.bits = 24 if dtype == np.float32 else 53
        self.spare = None

    def next(self):
        s = self.s
        r = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return r

    def uniform(self):
        k = self.next() >> (64 - self.bits)
        return self.dtype(k) * self.dtype(2.0 ** -self.bits)  # exact: k < 2^bits

    def normal(self):
        if self.spare is not None:
            z, self.spare = self.spare, None
            return z
        one, two = self.dtype(1), self.dtype(2)
        while True:
            u = two * self.uniform() - one
            v = two * self.uniform() - one
            s = u * u + v * v
            if s < one and s != 0:
                break
        f = np.sqrt(self.dtype(-2) * np.log(s) / s)
        self.spare = v * f
        return u * f


def literal(x, dtype):
    mantissa, exponent = float(x).hex().split("p")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return mantissa + "p" + exponent + ("f" if dtype == np.float32 else "")


def main():
    with np.errstate(all="raise"):
        for dtype, name in ((np.float32, "float"), (np.float64, "double")):
            g = Gen(42, 1, dtype)
            print("// %s: make(42, 1), 4 uniforms" % name)
            print(", ".join(literal(g.uniform(), dtype) for _ in range(4)))
            g = Gen(42, 1, dtype)
            print("// %s: make(42, 1), 8 normals" % name)
            print(", ".join(literal(g.normal(), dtype) for _ in range(8)))
            g = Gen(7, 3, dtype)
            print("// %s: make(7, 3), 8 normals" % name)
            print(", ".join(literal(g.normal(), dtype) for _ in range(8)))
            g = Gen(7, 3, dtype)
            for _ in range(1001):
                g.normal()
            print("// %s: make(7, 3), normals 1001..1004 (after 1001 draws)" % name)
            print(", ".join(literal(g.normal(), dtype) for _ in range(4)))


if __name__ == "__main__":
    main()
