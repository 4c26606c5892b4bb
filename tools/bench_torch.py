#!/usr/bin/python3
"""bench_torch.py: the RQL update and single actions timed in PyTorch, for
comparison with `rql bench update` and `rql bench act` (docs/benchmarks.md).

An independent implementation of the same computation (docs/spec.md §5), written for
speed comparison only (it is not checked against the golden vectors):
  1. reversal      F Euler steps of the actor backwards, no gradient
  2. target        K target value members at (s', x0', 0), no gradient
  3. critic        K value members at (s, x^f, f), expectile loss, backward
  4. actor         p = v(s, x_t, t), BC loss; one Euler step ahead through
                   the K value members with their parameters detached (only
                   dQ/dx reaches the actor), backward
  5. targets       Polyak (tau) and EMA of the parameters
  6. Adam          torch.optim.Adam (foreach) on actor and value
The value ensemble is one set of (K, in, out) tensors run with torch.baddbmm,
as the authors' vmapped Flax module; GELU is the tanh form, LayerNorm eps 1e-6.
One thread (torch.set_num_threads(1)), float32, CPU.

usage: /usr/bin/python3 tools/bench_torch.py [--size default|small] [--steps N] [--act]
  default: obs 29, action 8, h 1, 4x512 actor and value, K 10, B 256, F 10
  small:   obs 4, action 2, h 1, 2x64 actor and value, K 2, B 64, F 10
Prints `updates_per_s X` (best of 3 timed runs of --steps updates, after 2
warm-up updates) and, with --act, `us_per_action X` (median of 9
repetitions, one observation, the EMA actor, F steps, noise draw included).
"""
import argparse
import os
import time

# One thread in the BLAS too: Debian's torch calls libblas.so.3, which is
# OpenBLAS when libopenblas0 is installed (else the slow reference BLAS), and
# OpenBLAS starts one thread per core unless told before it loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch
import torch.nn.functional as Fn

SIZES = {
    "default": dict(obs=29, act=8, h=1, hidden=[512] * 4, K=10, B=256, F=10),
    "small": dict(obs=4, act=2, h=1, hidden=[64, 64], K=2, B=64, F=10),
}


def glorot(K, fan_in, fan_out):
    lim = (6.0 / (fan_in + fan_out)) ** 0.5
    return (torch.rand(K, fan_in, fan_out) * 2 - 1) * lim


class Ensemble:
    """K MLPs [in] + hidden + [out] as (K, ...) tensors: Dense, GELU, [LayerNorm]."""

    def __init__(self, K, dims, layer_norm):
        self.K, self.layer_norm = K, layer_norm
        self.params = []
        for i in range(len(dims) - 1):
            self.params.append(glorot(K, dims[i], dims[i + 1]).requires_grad_())
            self.params.append(torch.zeros(K, 1, dims[i + 1], requires_grad=True))
            if layer_norm and i < len(dims) - 2:
                self.params.append(torch.ones(K, 1, dims[i + 1], requires_grad=True))
                self.params.append(torch.zeros(K, 1, dims[i + 1], requires_grad=True))
        self.n_layers = len(dims) - 1

    def forward(self, x, params=None):
        """x (K, B, in) or (B, in) shared by all members -> (K, B, out)."""
        p = self.params if params is None else params
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.K, -1, -1)
        j = 0
        for i in range(self.n_layers):
            W, b = p[j], p[j + 1]
            j += 2
            x = torch.baddbmm(b, x, W)
            if i < self.n_layers - 1:
                x = Fn.gelu(x, approximate="tanh")
                if self.layer_norm:
                    g, beta = p[j], p[j + 1]
                    j += 2
                    x = Fn.layer_norm(x, x.shape[-1:], eps=1e-6) * g + beta
        return x


def make(size):
    c = SIZES[size]
    A = c["h"] * c["act"]
    vin = c["obs"] + A + 1
    actor = Ensemble(1, [vin] + c["hidden"] + [A], layer_norm=False)
    value = Ensemble(c["K"], [vin] + c["hidden"] + [1], layer_norm=True)
    target_actor = [p.detach().clone() for p in actor.params]
    target_value = [p.detach().clone() for p in value.params]
    opt = torch.optim.Adam(actor.params + value.params, lr=3e-4, foreach=True)
    return c, A, actor, value, target_actor, target_value, opt


def velocity(actor, s, x, t, params=None):
    return actor.forward(torch.cat([s, x, t], dim=1), params)[0]


def update(c, A, actor, value, target_actor, target_value, opt, batch):
    s, a, s_next, r = batch
    B, F, K = c["B"], c["F"], c["K"]
    d = torch.rand(B, 1)
    with torch.no_grad():
        # 1. reversal: F sub-steps x <- x - v(s, x, f) d/F
        x, f = a.clone(), torch.ones(B, 1)
        for _ in range(F):
            x = x - velocity(actor, s, x, f) * (d / F)
            f = f - d / F
        # 2. target
        x0n = torch.randn(B, A)
        qn = value.forward(torch.cat([s_next, x0n, torch.zeros(B, 1)], dim=1), target_value)[..., 0]  # (K, B)
        y = r + 0.99 * (qn.mean(0) - 0.0 * qn.std(0, unbiased=False))
    # 3. critic
    q = value.forward(torch.cat([s, x, f], dim=1))[..., 0]
    u = y - q
    w = torch.where(u < 0, 0.5, 0.5)
    critic_loss = (w * u * u).mean()
    # 4. actor
    x0, t = torch.randn(B, A), torch.rand(B, 1)
    x_t = (1 - t) * x0 + t * a
    p = velocity(actor, s, x_t, t)
    bc_loss = ((p - (a - x0)) ** 2).mean()
    step = torch.clamp(1 - t, max=1.0 / F)
    x_next = x_t + p * step
    detached = [q_.detach() for q_ in value.params]
    q_ahead = value.forward(torch.cat([s, x_next, torch.clamp(t + 1.0 / F, max=1.0)], dim=1), detached)[..., 0]
    q_loss = -q_ahead.mean()
    opt.zero_grad(set_to_none=False)
    (critic_loss + q_loss + 1.0 * bc_loss).backward()
    # 5. targets from pre-step parameters
    with torch.no_grad():
        torch._foreach_mul_(target_value, 1 - 0.005)
        torch._foreach_add_(target_value, [p_.detach() for p_ in value.params], alpha=0.005)
        torch._foreach_mul_(target_actor, 0.999)
        torch._foreach_add_(target_actor, [p_.detach() for p_ in actor.params], alpha=0.001)
    # 6. Adam
    opt.step()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=sorted(SIZES), default="default")
    ap.add_argument("--steps", type=int, default=0, help="timed updates per run (default: 10 or 2000)")
    ap.add_argument("--act", action="store_true", help="also time single actions")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    c, A, actor, value, target_actor, target_value, opt = make(args.size)
    B = c["B"]
    batch = (torch.randn(B, c["obs"]), torch.rand(B, A) * 2 - 1, torch.randn(B, c["obs"]), -torch.ones(B))
    steps = args.steps or (10 if args.size == "default" else 2000)
    print("torch %s, %d thread, %s" % (torch.__version__, torch.get_num_threads(), torch.__config__.parallel_info().splitlines()[0]))
    print("config    %s: %s" % (args.size, c))
    for _ in range(2):
        update(c, A, actor, value, target_actor, target_value, opt, batch)
    best = 0.0
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(steps):
            update(c, A, actor, value, target_actor, target_value, opt, batch)
        best = max(best, steps / (time.perf_counter() - t0))
    print("updates_per_s %.3f" % best)
    if args.act:
        obs = torch.randn(1, c["obs"])
        F = c["F"]

        def act():
            with torch.no_grad():
                x = torch.randn(1, A)
                for i in range(F):
                    x = x + velocity(actor, obs, x, torch.full((1, 1), i / F), target_actor) / F
                return x.clamp(-1, 1)

        t0 = time.perf_counter()
        calls = 0
        while time.perf_counter() - t0 < 0.2:
            act()
            calls += 1
        reps = []
        for _ in range(9):
            t0 = time.perf_counter()
            for _ in range(calls):
                act()
            reps.append((time.perf_counter() - t0) * 1e6 / calls)
        reps.sort()
        print("us_per_action %.1f" % reps[4])


if __name__ == "__main__":
    main()
