#!/usr/bin/env python3
"""make_golden.py: independent PyTorch reference of RQL (docs/spec.md §1-5) that writes
golden-vector cases in the docs/spec.md §8 exchange format: one update
(`update`), three updates from a given optimiser state (`multistep`), the
action sampler (`policy`) and the chunked batch (`sampler`).

Requirements: Debian's /usr/bin/python3 with the packages python3-torch and
python3-numpy (apt). A python3 without numpy/torch (e.g. a pyenv shim first on
PATH) will not do; run it explicitly:

    /usr/bin/python3 tools/make_golden.py --out data/golden     # write all cases
    /usr/bin/python3 tools/make_golden.py --selfcheck           # gradient + property checks
    /usr/bin/python3 tools/make_golden.py --recompute data/golden/<case>
                                                 # re-run a folder's inputs, diff its outputs

This file is written from docs/spec.md alone; it never calls, reads or imitates the
C++ code, so the two implementations check each other.

Numerics (also written into every case's GENERATOR.txt):
  1. every input (parameters, batch, noise) is drawn in float64 by NumPy and
     rounded to float32; the float32 values are what the case stores;
  2. the update runs in float64 (torch.float64) on those exact float32 values;
     config scalars (alpha, discount, ...) are the float64 values of their
     decimal text in config.txt;
  3. every output is rounded to float32 once, when it is written.
So the stored outputs are the float32 rounding of a (nearly) exact result,
and an implementation's error against them is its own rounding error.

Layout: one function per SPEC step, named after the SPEC term:
  docs/spec.md §1  dense, gelu, layer_norm, mlp, actor_velocity, value_ensemble
  docs/spec.md §2  flow_sample
  docs/spec.md §3  make_episodes, dataset_episodes, gather_chunk, sample_batch,
          force_coverage
  docs/spec.md §4  draw_noise
  docs/spec.md §5  chunk_actions, flow_reversal, shifted_terminals, td_target,
          critic_loss, bc_loss, q_loss, rql_losses, adam_step, target_updates
  docs/spec.md §8  save_case, load_case; run_update_case, run_multistep_case,
          run_policy_case, run_sampler_case (inputs -> outputs of each kind)
Out of scope: the exact discrete reversal of docs/spec.md §7 (the golden cases use
`reversal=euler`).
"""

import argparse
import datetime
import math
import os
import platform
import sys
from collections import OrderedDict

try:
    import numpy as np
    import torch
except ImportError as e:  # the usual cause: a python3 other than Debian's
    sys.exit("make_golden.py: %s\nhint: run it with Debian's python3 and "
             "python3-torch, python3-numpy installed: "
             "/usr/bin/python3 tools/make_golden.py ..." % e)

F64 = torch.float64
NETS = ("actor", "value", "target_actor", "target_value")
ONLINE = ("actor", "value")


# --------------------------------------------------------------------------
# Configuration (docs/spec.md §6 names, verbatim)
# --------------------------------------------------------------------------

DEFAULTS = OrderedDict(
    obs_dim=4, action_dim=2, h=3, alpha=1.0, expectile=0.5, ensemble_ct=10,
    rho=0.0, lr=3e-4, discount=0.99, batch_size=8,
    actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=True,
    actor_layer_norm=False, tau=0.005, ema=0.999, flow_steps=10,
    reversal="euler")

INT_KEYS = ("obs_dim", "action_dim", "h", "ensemble_ct", "batch_size", "flow_steps")
FLOAT_KEYS = ("alpha", "expectile", "rho", "lr", "discount", "tau", "ema")
BOOL_KEYS = ("layer_norm", "actor_layer_norm")
DIMS_KEYS = ("actor_hidden_dims", "value_hidden_dims")
# The kind of case (docs/spec.md §8, format extensions): the `case=` line of
# config.txt; absent means "update".
KINDS = ("update", "multistep", "policy", "sampler")


def make_config(kind="update", **overrides):
    cfg = OrderedDict([("case", kind)]) if kind != "update" else OrderedDict()
    cfg.update(DEFAULTS)
    for k, v in overrides.items():
        if k not in cfg:
            raise KeyError("unknown config key %r" % k)
        cfg[k] = v
    if cfg["batch_size"] % 2:
        raise ValueError("batch_size must be even (docs/spec.md §4: d is half uniform, half grid)")
    return cfg


def config_text(cfg):
    """config.txt: one `key=value` line per docs/spec.md §6 key, plus obs_dim/action_dim."""
    lines = []
    for k, v in cfg.items():
        if k in DIMS_KEYS:
            v = ",".join(str(n) for n in v)
        elif k in BOOL_KEYS:
            v = "true" if v else "false"
        elif k in FLOAT_KEYS:
            v = repr(float(v))
        lines.append("%s=%s" % (k, v))
    return "\n".join(lines) + "\n"


def parse_config(text, where="config.txt"):
    cfg = OrderedDict()
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "=" not in line:
            raise ValueError("%s:%d: expected key=value, got %r" % (where, n, line))
        k, v = (s.strip() for s in line.split("=", 1))
        if k in INT_KEYS:
            cfg[k] = int(v)
        elif k in FLOAT_KEYS:
            cfg[k] = float(v)
        elif k in BOOL_KEYS:
            if v not in ("true", "false"):
                raise ValueError("%s:%d: %s must be true or false" % (where, n, k))
            cfg[k] = v == "true"
        elif k in DIMS_KEYS:
            cfg[k] = tuple(int(s) for s in v.split(",") if s)
        elif k == "case":
            if v not in KINDS:
                raise ValueError("%s:%d: case must be one of %s" % (where, n, "|".join(KINDS)))
            cfg[k] = v
        elif k == "reversal":
            if v != "euler":
                raise ValueError("%s:%d: only reversal=euler is implemented here" % (where, n))
            cfg[k] = v
        else:
            raise ValueError("%s:%d: unknown key %r" % (where, n, k))
    missing = [k for k in DEFAULTS if k not in cfg]
    if missing:
        raise ValueError("%s: missing keys %s" % (where, ", ".join(missing)))
    return cfg


def case_kind(cfg):
    return cfg.get("case", "update")


def chunk_dim(cfg):
    """A = h * adim, the chunked action dimension."""
    return cfg["h"] * cfg["action_dim"]


# --------------------------------------------------------------------------
# docs/spec.md §1: networks
# --------------------------------------------------------------------------

def dense(x, kernel, bias):
    """y = x W + b.  x [..., in], kernel [in, out] (or [K, in, out] with x [K, B, in]),
    bias broadcastable to [..., out]."""
    return torch.matmul(x, kernel) + bias


def gelu(x):
    """gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): the tanh
    approximation (Flax's default), NOT the erf form."""
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def layer_norm(x, scale, bias):
    """y = (x - mean) / sqrt(var + 1e-6) * g + beta over the last axis; var is the
    population variance (divide by n). eps = 1e-6 is Flax's, not PyTorch's 1e-5."""
    mean = x.mean(dim=-1, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + 1e-6) * scale + bias


def mlp(params, x, n_layers, use_layer_norm, ensemble):
    """MLP(dims, layer_norm): x = Dense_i(x); if i is not the last layer:
    x = gelu(x), then LayerNorm_i(x) if use_layer_norm.
    params: dict with 'dense<i>.kernel' [in,out] ([K,in,out] if ensemble), ...
    x: [B, in]; returns [B, out] (or [K, B, out] if ensemble: every member
    sees the same input rows)."""
    def vec(v):  # a per-layer vector [out] or [K, out]; members need [K, 1, out]
        return v.unsqueeze(-2) if ensemble else v
    for i in range(n_layers):
        x = dense(x, params["dense%d.kernel" % i], vec(params["dense%d.bias" % i]))
        if i < n_layers - 1:
            x = gelu(x)
            if use_layer_norm:
                x = layer_norm(x, vec(params["ln%d.scale" % i]), vec(params["ln%d.bias" % i]))
    return x


def actor_velocity(theta, cfg, s, x, t):
    """v_theta(s, x, t) = MLP(actor_hidden_dims + [A])(concat[s, x, t]).
    s [B, obs_dim], x [B, A], t [B, 1]; returns [B, A]."""
    inp = torch.cat([s, x, t], dim=-1)
    return mlp(theta, inp, len(cfg["actor_hidden_dims"]) + 1, cfg["actor_layer_norm"], False)


def value_ensemble(phi, cfg, s, x, f):
    """Q_phi(s, x, f): K independent MLP(value_hidden_dims + [1]) on
    concat[s, x, f].  s [B, obs_dim], x [B, A], f [B, 1]; returns [K, B]."""
    inp = torch.cat([s, x, f], dim=-1)
    out = mlp(phi, inp, len(cfg["value_hidden_dims"]) + 1, cfg["layer_norm"], True)
    return out[..., 0]


def param_shapes(net, cfg):
    """Ordered (name, shape) of one network's parameters (docs/spec.md §8 names,
    without the '<net>.' prefix). Value nets carry a leading K axis."""
    is_value = net in ("value", "target_value")
    A = chunk_dim(cfg)
    if is_value:
        dims = [cfg["obs_dim"] + A + 1] + list(cfg["value_hidden_dims"]) + [1]
        ln = cfg["layer_norm"]
        lead = (cfg["ensemble_ct"],)
    else:
        dims = [cfg["obs_dim"] + A + 1] + list(cfg["actor_hidden_dims"]) + [A]
        ln = cfg["actor_layer_norm"]
        lead = ()
    shapes = []
    for i in range(len(dims) - 1):
        shapes.append(("dense%d.kernel" % i, lead + (dims[i], dims[i + 1])))
        shapes.append(("dense%d.bias" % i, lead + (dims[i + 1],)))
        if ln and i < len(dims) - 2:
            shapes.append(("ln%d.scale" % i, lead + (dims[i + 1],)))
            shapes.append(("ln%d.bias" % i, lead + (dims[i + 1],)))
    return shapes


def init_params(rng, net, cfg):
    """docs/spec.md §1 init: kernel ~ U(-l, l), l = sqrt(6 / (fan_in + fan_out))
    (Glorot uniform, per member), bias 0, LN scale 1, LN bias 0. float64 numpy."""
    p = OrderedDict()
    for name, shape in param_shapes(net, cfg):
        if name.endswith(".kernel"):
            fan_in, fan_out = shape[-2], shape[-1]
            lim = math.sqrt(6.0 / (fan_in + fan_out))
            p[name] = rng.uniform(-lim, lim, size=shape)
        elif name.endswith(".scale"):
            p[name] = np.ones(shape)
        else:
            p[name] = np.zeros(shape)
    return p


def perturb(rng, p, size):
    """Move every parameter off its init so that a golden case exercises all
    terms: kernels get noise, biases become non-zero, LN scales != 1."""
    return OrderedDict((k, v + size * rng.standard_normal(v.shape)) for k, v in p.items())


# --------------------------------------------------------------------------
# docs/spec.md §3: synthetic episodes and the chunk sampler
# --------------------------------------------------------------------------

def make_episodes(rng, cfg, n_episodes, sparse, lengths=None):
    """A flat dataset of n_episodes synthetic episodes (docs/spec.md §3 fields).
    Episode 0 has a single transition (never sampled: step 1 of the sampler);
    `lengths` (episode 0 first) replaces the drawn lengths.
    Odd episodes end in a true termination (mask 0 at the end), even ones in a
    timeout (mask 1). Episode 1 also has a mid-episode mask 0 at offset h
    (a 'success' state without episode end, as in sparse-reward datasets)."""
    h, od, ad = cfg["h"], cfg["obs_dim"], cfg["action_dim"]
    if lengths is None:
        lengths = [1] + [int(rng.integers(h + 2, h + 10)) for _ in range(n_episodes - 1)]
    obs, act, rew, term, mask, spans = [], [], [], [], [], []
    start = 0
    for e, L in enumerate(lengths):
        obs.append(rng.standard_normal((L, od)))
        # Dataset actions are clipped to +-(1 - 1e-5) (docs/spec.md §3); U(-1.2, 1.2)
        # makes some of them hit the clip.
        act.append(np.clip(rng.uniform(-1.2, 1.2, (L, ad)), -1 + 1e-5, 1 - 1e-5))
        r = rng.standard_normal(L) * (rng.random(L) < 0.6)
        rew.append(-1.0 * (r != 0) if sparse else r)  # --sparse: r -> -1 * (r != 0)
        t = np.zeros(L)
        t[-1] = 1.0  # terminals[i] = 1 marks an episode's last transition
        term.append(t)
        m = (rng.random(L) > 0.1).astype(np.float64)  # scattered mask-0 'successes'
        m[-1] = 0.0 if e % 2 == 1 else 1.0
        if e == 1 and L > h:
            m[h] = 0.0
        mask.append(m)
        spans.append((start, start + L - 1))  # (initial_loc, terminal_loc), inclusive
        start += L
    ds = dict(observations=np.concatenate(obs), actions=np.concatenate(act),
              rewards=np.concatenate(rew), terminals=np.concatenate(term),
              masks=np.concatenate(mask))
    return ds, spans


def gather_chunk(ds, span, t0, h):
    """docs/spec.md §3 step 3: j_i = min(t0 + i, terminal_loc), i = 0..h; returns the
    h+1 rows of every field (clamped at the episode's last index)."""
    j = np.minimum(t0 + np.arange(h + 1), span[1])
    return {k: v[j] for k, v in ds.items()}


def sample_batch(rng, ds, spans, cfg):
    """docs/spec.md §3: B episodes uniformly among those longer than one transition
    (with replacement iff B >= their number), a start t0 ~ U[initial_loc,
    terminal_loc) in each, then the clamped chunk. Fields get a leading axis
    h+1: observations [h+1, B, obs_dim], actions [h+1, B, adim], others [h+1, B]."""
    B, h = cfg["batch_size"], cfg["h"]
    eligible = [e for e, (a, b) in enumerate(spans) if b > a]
    eps = rng.choice(eligible, size=B, replace=B >= len(eligible))
    rows = []
    for e in eps:
        a, b = spans[e]
        rows.append(gather_chunk(ds, spans[e], int(rng.integers(a, b)), h))
    return {k: np.stack([r[k] for r in rows], axis=1) for k in ds}, [("sampled", int(e)) for e in eps]


def force_coverage(rng, batch, notes, ds, spans, cfg, offset0):
    """Overwrite some rows (random positions) with chunks chosen to cover the
    TD-target cases: the episode's last transition at chunk offset i for every
    i = 1..h (t0 = terminal_loc - i; terminations and timeouts mixed, offset
    h-1 a termination so that mask[h-1] = 0 with valid = 1 when h >= 2), and a
    chunk whose mask[h-1] = 0 falls mid-episode. With offset0, also i = 0
    (t0 = terminal_loc): a row the sampler never draws, kept to pin the
    formulas of docs/spec.md §5 on it."""
    h = cfg["h"]
    offsets = list(range(0 if offset0 else 1, h + 1))
    n_rows = len(offsets) + 1
    if n_rows > cfg["batch_size"]:
        raise ValueError("batch_size too small for the forced rows")
    rows = rng.choice(cfg["batch_size"], size=n_rows, replace=False)
    long_eps = [e for e, (a, b) in enumerate(spans) if b - a >= h + 1]
    terminated = [e for e in long_eps if e % 2 == 1]
    timeouts = [e for e in long_eps if e % 2 == 0]
    for row, i in zip(rows[:-1], offsets):
        pool = terminated if (h - 1 - i) % 2 == 0 else timeouts
        e = int(pool[int(rng.integers(len(pool)))])
        chunk = gather_chunk(ds, spans[e], spans[e][1] - i, h)
        for k in batch:
            batch[k][:, row] = chunk[k]
        notes[row] = ("terminal_at_offset_%d" % i, e)
    # Episode 1 has mask 0 at initial_loc + h; t0 = initial_loc + 1 puts it at
    # chunk index h - 1, and the chunk still ends before the episode does.
    row = rows[-1]
    chunk = gather_chunk(ds, spans[1], spans[1][0] + 1, h)
    for k in batch:
        batch[k][:, row] = chunk[k]
    notes[row] = ("mid_episode_mask0_at_%d" % (h - 1), 1)
    return batch, notes


# --------------------------------------------------------------------------
# docs/spec.md §4: the randomness of one update
# --------------------------------------------------------------------------

def draw_noise(rng, cfg):
    """next_x0 ~ N(0, I) [B, A]; d: first B/2 ~ U[0, 1), last B/2 = k/F with
    k ~ U{0..F} (two of them forced to d = 0 and d = 1); bc_x0 ~ N(0, I) [B, A];
    bc_t ~ U[0, 1) [B, 1] with t = 0, t = 0.95 and t = 1 - 0.3/F forced in
    (the last two exercise min(1/F, 1 - t) and min(t + 1/F, 1))."""
    B, A, F = cfg["batch_size"], chunk_dim(cfg), cfg["flow_steps"]
    next_x0 = rng.standard_normal((B, A))
    d = np.concatenate([rng.random(B // 2), rng.integers(0, F + 1, B // 2) / F])
    d[B // 2] = 0.0
    d[B // 2 + 1] = 1.0
    bc_x0 = rng.standard_normal((B, A))
    bc_t = rng.random((B, 1))
    bc_t[0, 0] = 0.95
    bc_t[1, 0] = 1.0 - 0.3 / F
    bc_t[2, 0] = 0.0
    return OrderedDict(next_x0=next_x0, d=d, bc_x0=bc_x0, bc_t=bc_t)


# --------------------------------------------------------------------------
# docs/spec.md §5: the update
# --------------------------------------------------------------------------

def chunk_actions(batch, cfg):
    """a = concat(act[0], .., act[h-1]) [B, A]: a[b, i*adim + k] = act[i][b, k]."""
    act = batch["actions"][: cfg["h"]]                   # [h, B, adim]
    return act.permute(1, 0, 2).reshape(act.shape[1], -1)


def flow_reversal(theta, cfg, s, a, d):
    """Euler reversal (no gradient): delta = d / F; x = a, f = 1; F times:
    x = x - v_theta(s, x, f) delta; f = f - delta.  F sub-steps of size d/F
    for every d (also on the grid half). f is the repeated subtraction, as the
    official code computes it, so it equals 1 - d only up to rounding.
    s [B, obs_dim], a [B, A], d [B]; returns x^f [B, A], f [B]."""
    F = cfg["flow_steps"]
    with torch.no_grad():
        delta = d / F                                    # [B]
        x = a.clone()
        f = torch.ones_like(d)
        for _ in range(F):
            x = x - actor_velocity(theta, cfg, s, x, f[:, None]) * delta[:, None]
            f = f - delta
    return x, f


def shifted_terminals(terminals):
    """rt[0] = 0, rt[i] = term[i-1] for i = 1..h.  terminals [h+1, B] -> [h+1, B]."""
    rt = torch.zeros_like(terminals)
    rt[1:] = terminals[:-1]
    return rt


def td_target(target_phi, cfg, batch, next_x0, rt):
    """Collapsed-horizon target (no gradient):
    R = sum_{i<h} gamma^i rew[i] (1 - rt[i]);
    q' = mean_K Q_target(s', x0', 0) - rho std_K(...) (population std, over K
    members even when K = 1);  y = R + gamma^h q' mask[h-1];
    valid = 1 if sum_{i=0..h} rt[i] <= 1 else 0.  Returns y, q', valid, all [B]."""
    h, gamma = cfg["h"], cfg["discount"]
    with torch.no_grad():
        s_next = batch["observations"][h]
        f0 = torch.zeros(s_next.shape[0], 1, dtype=F64)
        qn = value_ensemble(target_phi, cfg, s_next, next_x0, f0)      # [K, B]
        mean = qn.mean(dim=0)
        std = torch.sqrt(((qn - mean) ** 2).mean(dim=0))                # population std
        next_q = mean - cfg["rho"] * std
        disc = torch.tensor([gamma ** i for i in range(h)], dtype=F64)[:, None]
        R = (disc * batch["rewards"][:h] * (1.0 - rt[:h])).sum(dim=0)
        y = R + gamma ** h * next_q * batch["masks"][h - 1]
        valid = (rt.sum(dim=0) <= 1.0).to(F64)
    return y, next_q, valid


def critic_loss(phi, cfg, s, x_f, f, y, valid):
    """q = Q_phi(s, x^f, f) [K, B]; u = y - q;
    L_critic = mean_{K,B} |tau - 1(u < 0)| u^2 valid, tau = expectile."""
    q = value_ensemble(phi, cfg, s, x_f, f[:, None])
    u = y[None, :] - q
    weight = torch.abs(cfg["expectile"] - (u < 0).to(F64))
    return (weight * u ** 2 * valid[None, :]).mean(), q


def bc_loss(theta, cfg, s, a, x0, t, rt):
    """Flow matching: x_t = (1 - t) x0 + t a, p = v_theta(s, x_t, t);
    L_bc = mean_{B,A} (p - (a - x0))^2 m with m[b, j] = 1 - rt[j div adim][b].
    Returns L_bc, p [B, A], x_t [B, A]."""
    x_t = (1.0 - t) * x0 + t * a
    p = actor_velocity(theta, cfg, s, x_t, t)
    m = (1.0 - rt[: cfg["h"]]).t().repeat_interleave(cfg["action_dim"], dim=1)  # [B, A]
    return (((p - (a - x0)) ** 2) * m).mean(), p, x_t


def q_loss(phi_frozen, cfg, s, x_t, t, p, valid):
    """One Euler step ahead: x+ = x_t + p min(1/F, 1 - t), t+ = min(t + 1/F, 1);
    L_q = -mean_B(mean_K Q_phi(s, x+, t+) valid). phi_frozen are detached copies
    of the value parameters: the gradient reaches theta only through p."""
    F = cfg["flow_steps"]
    x_plus = x_t + p * torch.clamp(1.0 - t, max=1.0 / F)
    t_plus = torch.clamp(t + 1.0 / F, max=1.0)
    q_plus = value_ensemble(phi_frozen, cfg, s, x_plus, t_plus)         # [K, B]
    return -(q_plus.mean(dim=0) * valid).mean()


def rql_losses(params, cfg, batch, noise):
    """Every quantity of docs/spec.md §5 from one parameter set (dict net -> dict
    name -> tensor). Gradient paths: theta via L_q (through p) and L_bc; phi
    via L_critic; the reversal and the target carry none.
    The names are the authors' metric names: actor_loss is L_q alone (their
    `actor_loss = -(q_pe * valids).mean()`), bc_loss is L_bc unweighted,
    total_loss = actor_loss + alpha bc_loss + critic_loss. actor_objective =
    L_q + alpha L_bc is what theta descends; it is not written to a case."""
    theta, phi = params["actor"], params["value"]
    phi_frozen = {k: v.detach() for k, v in phi.items()}
    s = batch["observations"][0]
    a = chunk_actions(batch, cfg)
    rt = shifted_terminals(batch["terminals"])
    theta_nograd = {k: v.detach() for k, v in theta.items()}
    x_f, f = flow_reversal(theta_nograd, cfg, s, a, noise["d"])
    y, next_q, valid = td_target(params["target_value"], cfg, batch, noise["next_x0"], rt)
    L_critic, q = critic_loss(phi, cfg, s, x_f, f, y, valid)
    L_bc, p, x_t = bc_loss(theta, cfg, s, a, noise["bc_x0"], noise["bc_t"], rt)
    L_q = q_loss(phi_frozen, cfg, s, x_t, noise["bc_t"], p, valid)
    actor_objective = L_q + cfg["alpha"] * L_bc
    return OrderedDict(
        reversed_x=x_f, reversed_f=f, q=q, next_q=next_q, target=y, valid=valid,
        critic_loss=L_critic, bc_loss=L_bc, actor_loss=L_q,
        total_loss=actor_objective + L_critic, actor_objective=actor_objective)


def adam_step(p, g, m, v, step, lr, b1=0.9, b2=0.999, eps=1e-8):
    """optax Adam, update number `step` (1 for the first):
    m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; m^ = m/(1-b1^step);
    v^ = v/(1-b2^step); p = p - lr m^ / (sqrt(v^) + eps)  (eps OUTSIDE the root).
    Returns (p, m, v) after the step."""
    m = b1 * m + (1 - b1) * g
    v = b2 * v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** step)
    v_hat = v / (1 - b2 ** step)
    return p - lr * m_hat / (torch.sqrt(v_hat) + eps), m, v


def fresh_adam(params):
    """The Adam state of a new agent: zero moments, no update done yet."""
    zeros = OrderedDict(("%s.%s" % (net, k), torch.zeros_like(v)) for net in ONLINE for k, v in params[net].items())
    return dict(step=0, m=zeros, v=OrderedDict((k, z.clone()) for k, z in zeros.items()))


def target_updates(old, cfg):
    """From the PRE-step parameters (theta_old, phi_old):
    target_value <- tau phi_old + (1 - tau) target_value;
    target_actor <- (1 - ema) theta_old + ema target_actor."""
    tv = OrderedDict((k, cfg["tau"] * old["value"][k] + (1 - cfg["tau"]) * v)
                     for k, v in old["target_value"].items())
    ta = OrderedDict((k, (1 - cfg["ema"]) * old["actor"][k] + cfg["ema"] * v)
                     for k, v in old["target_actor"].items())
    return ta, tv


def rql_update(params, cfg, batch, noise, adam=None):
    """One full update: losses, gradients (autograd on the total loss; the
    stop-gradients inside rql_losses route theta <- L_q + alpha L_bc and
    phi <- L_critic), one Adam step from the state `adam` (dict step, m, v;
    None: a fresh state), target updates from pre-step params.
    Returns (outputs, grads, after, adam_after): OrderedDicts of float64
    tensors keyed as in docs/spec.md §8, and the Adam state after the step."""
    adam = fresh_adam(params) if adam is None else adam
    live = OrderedDict()
    for net in NETS:
        live[net] = OrderedDict((k, v.clone().requires_grad_(net in ONLINE))
                                for k, v in params[net].items())
    out = rql_losses(live, cfg, batch, noise)
    names = [(net, k) for net in ONLINE for k in live[net]]
    gs = torch.autograd.grad(out["total_loss"], [live[n][k] for n, k in names])
    grads = OrderedDict(("%s.%s" % nk, g.detach()) for nk, g in zip(names, gs))
    step = adam["step"] + 1
    after = OrderedDict()
    adam_after = dict(step=step, m=OrderedDict(), v=OrderedDict())
    for net, k in names:
        key = "%s.%s" % (net, k)
        after[key], adam_after["m"][key], adam_after["v"][key] = adam_step(
            params[net][k], grads[key], adam["m"][key], adam["v"][key], step, cfg["lr"])
    ta, tv = target_updates(params, cfg)
    for k, v in ta.items():
        after["target_actor." + k] = v
    for k, v in tv.items():
        after["target_value." + k] = v
    outputs = OrderedDict((k, v.detach()) for k, v in out.items() if k != "actor_objective")
    return outputs, grads, after, adam_after


def nested(flat):
    """{"actor.dense0.kernel": t, ...} -> {"actor": {"dense0.kernel": t}, ...} in NETS order."""
    out = OrderedDict((net, OrderedDict()) for net in NETS)
    for key, v in flat.items():
        net, k = key.split(".", 1)
        out[net][k] = v
    return out


# --------------------------------------------------------------------------
# docs/spec.md §2: sampling an action (the policy case)
# --------------------------------------------------------------------------

def flow_sample(theta, cfg, s, x0):
    """Euler sampler: x = x0; for i = 0..F-1 at t = i/F: x = x + v_theta(s, x, t)/F;
    then clip every entry to [-1, 1]. s [B, obs_dim], x0 [B, A] -> [B, A]."""
    F = cfg["flow_steps"]
    with torch.no_grad():
        x = x0.clone()
        for i in range(F):
            t = torch.full((x.shape[0], 1), i / F, dtype=F64)
            x = x + actor_velocity(theta, cfg, s, x, t) / F
        return torch.clamp(x, -1.0, 1.0)


# --------------------------------------------------------------------------
# docs/spec.md §8: the exchange format
# --------------------------------------------------------------------------

def to_f32(a):
    """float64 -> little-endian float32, C order; keeps 0-d arrays 0-d (the
    losses), which np.ascontiguousarray would turn into shape (1,)."""
    return np.asarray(a, dtype=np.float64).astype("<f4", order="C")


def to_i32(a):
    """Integers (indices, the Adam step count) -> little-endian int32."""
    return np.asarray(a).astype("<i4", order="C")


def f32_torch(a):
    """float32-rounded array -> float64 tensor holding those exact values."""
    return torch.from_numpy(np.asarray(a, dtype="<f4").astype(np.float64))


BATCH_KEYS = ("observations", "actions", "rewards", "terminals", "masks")
NOISE_KEYS = ("next_x0", "d", "bc_x0", "bc_t")
MULTISTEP_STEPS = 3


def save_case(folder, cfg, inputs, outputs, generator_txt):
    """Write a case: every input and output as <name>.npy (float arrays as
    <f4, integer arrays as <i4), config.txt and GENERATOR.txt."""
    os.makedirs(folder, exist_ok=True)
    for old in os.listdir(folder):  # a regenerated case must not keep stale files
        if old.endswith(".npy"):
            os.remove(os.path.join(folder, old))
    for name, arr in list(inputs.items()) + list(outputs.items()):
        arr = np.asarray(arr)
        arr = to_i32(arr) if arr.dtype.kind in "iu" else to_f32(arr)
        np.save(os.path.join(folder, name + ".npy"), arr, allow_pickle=False)
    with open(os.path.join(folder, "config.txt"), "w") as fh:
        fh.write(config_text(cfg))
    with open(os.path.join(folder, "GENERATOR.txt"), "w") as fh:
        fh.write(generator_txt)


def is_output(name):
    """out.*, grad.*, after.*, also behind a multi-step case's step<k>. prefix."""
    parts = name.split(".")
    if len(parts) > 1 and parts[0].startswith("step") and parts[0][4:].isdigit():
        parts = parts[1:]
    return parts[0] in ("out", "grad", "after")


def load_case(folder):
    """Read a case back: (cfg, inputs, stored outputs), numpy arrays as stored
    (<f4, or <i4 for integer tensors)."""
    with open(os.path.join(folder, "config.txt")) as fh:
        cfg = parse_config(fh.read(), os.path.join(folder, "config.txt"))
    inputs, stored = OrderedDict(), OrderedDict()
    for n in sorted(os.listdir(folder)):
        if not n.endswith(".npy"):
            continue
        a = np.load(os.path.join(folder, n), allow_pickle=False)
        if a.dtype not in (np.dtype("<f4"), np.dtype("<i4")):
            raise ValueError("%s/%s: dtype %s, expected <f4 or <i4" % (folder, n, a.dtype))
        (stored if is_output(n[:-4]) else inputs)[n[:-4]] = a
    return cfg, inputs, stored


# --------------------------------------------------------------------------
# Running a case: inputs (name -> float32/int32 numpy) -> outputs
# --------------------------------------------------------------------------

def nets_from(inputs, cfg, nets, prefix=""):
    """The parameters of `nets` from a case's inputs, as float64 tensors,
    checking every docs/spec.md §8 shape."""
    params = OrderedDict()
    for net in nets:
        params[net] = OrderedDict()
        for k, shape in param_shapes(net, cfg):
            a = inputs["%s%s.%s" % (prefix, net, k)]
            if a.shape != shape:
                raise ValueError("%s%s.%s: shape %s, expected %s" % (prefix, net, k, a.shape, shape))
            params[net][k] = f32_torch(a)
    return params


def flat_outputs(outputs, grads, after, prefix=""):
    res = OrderedDict()
    for group, d in (("out", outputs), ("grad", grads), ("after", after)):
        for k, v in d.items():
            res["%s%s.%s" % (prefix, group, k)] = v.numpy()
    return res


def run_update_case(cfg, inputs):
    """update: one update from a fresh Adam state (docs/spec.md §8)."""
    params = nets_from(inputs, cfg, NETS)
    batch = OrderedDict((k, f32_torch(inputs["batch." + k])) for k in BATCH_KEYS)
    noise = OrderedDict((k, f32_torch(inputs["noise." + k])) for k in NOISE_KEYS)
    outputs, grads, after, _ = rql_update(params, cfg, batch, noise)
    return flat_outputs(outputs, grads, after)


def run_multistep_case(cfg, inputs):
    """multistep: MULTISTEP_STEPS consecutive updates from the given state
    (parameters, Adam moments adam.m.* / adam.v.*, step count adam.step),
    step k reading step<k>.batch.* and step<k>.noise.*. The state is carried
    in float64 from one step to the next (never re-rounded), so each stored
    step is the float32 rounding of the near-exact trajectory."""
    params = nets_from(inputs, cfg, NETS)
    adam = dict(step=int(inputs["adam.step"]),
                m=OrderedDict(("%s.%s" % (n, k), v) for n, p in nets_from(inputs, cfg, ONLINE, "adam.m.").items()
                              for k, v in p.items()),
                v=OrderedDict(("%s.%s" % (n, k), v) for n, p in nets_from(inputs, cfg, ONLINE, "adam.v.").items()
                              for k, v in p.items()))
    res = OrderedDict()
    for k in range(1, MULTISTEP_STEPS + 1):
        batch = OrderedDict((key, f32_torch(inputs["step%d.batch.%s" % (k, key)])) for key in BATCH_KEYS)
        noise = OrderedDict((key, f32_torch(inputs["step%d.noise.%s" % (k, key)])) for key in NOISE_KEYS)
        outputs, grads, after, adam = rql_update(params, cfg, batch, noise, adam)
        res.update(flat_outputs(outputs, grads, after, "step%d." % k))
        for which in ("m", "v"):
            for key, v in adam[which].items():
                res["step%d.after.adam.%s.%s" % (k, which, key)] = v.numpy()
        res["step%d.after.adam.step" % k] = np.array(adam["step"], dtype=np.int64)
        params = nested(after)
    return res


def run_policy_case(cfg, inputs):
    """policy: the Euler sampler of docs/spec.md §2 with the target actor:
    policy.observations [B, obs_dim], policy.x0 [B, A] -> out.actions [B, A]."""
    theta = nets_from(inputs, cfg, ("target_actor",))["target_actor"]
    x = flow_sample(theta, cfg, f32_torch(inputs["policy.observations"]), f32_torch(inputs["policy.x0"]))
    return OrderedDict([("out.actions", x.numpy())])


def dataset_episodes(terminals):
    """docs/spec.md §3: episode k runs from the index after the (k-1)-th terminal to the
    k-th terminal, both included. Returns [(initial_loc, terminal_loc)]."""
    ends = np.nonzero(np.asarray(terminals) > 0)[0]
    starts = np.concatenate([[0], ends[:-1] + 1])
    return [(int(a), int(b)) for a, b in zip(starts, ends)]


def run_sampler_case(cfg, inputs):
    """sampler: docs/spec.md §3 from given choices. sampler.episode [B] indexes the
    episodes longer than one transition (dataset order, the population of step
    1); sampler.t0 [B] is the start, a dataset index in [initial_loc,
    terminal_loc). Output: the chunked batch out.batch.* with rows
    j_i = min(t0 + i, terminal_loc), i = 0..h."""
    ds = OrderedDict((k, inputs["dataset." + k]) for k in BATCH_KEYS)
    eligible = [sp for sp in dataset_episodes(ds["terminals"]) if sp[1] > sp[0]]
    rows = []
    for e, t0 in zip(inputs["sampler.episode"], inputs["sampler.t0"]):
        span = eligible[int(e)]
        if not span[0] <= int(t0) < span[1]:
            raise ValueError("sampler.t0 %d outside [%d, %d)" % (t0, span[0], span[1]))
        rows.append(gather_chunk(ds, span, int(t0), cfg["h"]))
    return OrderedDict(("out.batch." + k, np.stack([r[k] for r in rows], axis=1).astype(np.float64))
                       for k in BATCH_KEYS)


RUNNERS = dict(update=run_update_case, multistep=run_multistep_case, policy=run_policy_case,
               sampler=run_sampler_case)


def run_case(cfg, inputs):
    return RUNNERS[case_kind(cfg)](cfg, inputs)


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

# name -> (seed, config overrides, options, what it covers). Small sizes keep
# the files small.
CASES = OrderedDict([
    ("h1_k1_actorln", (101, dict(
        h=1, ensemble_ct=1, obs_dim=3, action_dim=2, batch_size=8, flow_steps=10,
        actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=False,
        actor_layer_norm=True, alpha=0.3, discount=0.995), dict(sparse=False, offset0=False),
        "h = 1; K = 1 (mean/std over one member: std = 0); LayerNorm in the actor only; "
        "alpha = 0.3; discount 0.995")),
    ("h3_k3_rho_expectile", (202, dict(
        h=3, ensemble_ct=3, obs_dim=4, action_dim=2, batch_size=12, flow_steps=10,
        actor_hidden_dims=(16, 16), value_hidden_dims=(16, 16), layer_norm=True,
        actor_layer_norm=False, alpha=1.0, expectile=0.7, rho=0.5, discount=0.99),
        dict(sparse=False, offset0=False),
        "h = 3 (default); K = 3; rho = 0.5 pessimism; expectile 0.7; value LayerNorm only")),
    ("h5_k10_cross_all", (303, dict(
        h=5, ensemble_ct=10, obs_dim=3, action_dim=1, batch_size=16, flow_steps=10,
        actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=True,
        actor_layer_norm=True, alpha=10.0, expectile=0.9, rho=0.5, discount=0.99),
        dict(sparse=False, offset0=True),
        "h = 5; K = 10 (default ensemble); episode end at every chunk offset 0..5 "
        "(offset 0 is a hand-made row); expectile 0.9; alpha 10; LayerNorm in both nets")),
    ("h3_k1_noln_f4", (404, dict(
        h=3, ensemble_ct=1, obs_dim=5, action_dim=2, batch_size=10, flow_steps=4,
        actor_hidden_dims=(16, 16, 16), value_hidden_dims=(16, 16, 16), layer_norm=False,
        actor_layer_norm=False, alpha=3.0, expectile=0.3, rho=0.0, discount=0.9),
        dict(sparse=False, offset0=False),
        "no LayerNorm anywhere; K = 1 with h = 3; F = 4; expectile 0.3 (< 0.5); alpha 3; "
        "discount 0.9; three hidden layers")),
    ("h1_k2_f2_sparse_lr", (505, dict(
        h=1, ensemble_ct=2, obs_dim=4, action_dim=3, batch_size=8, flow_steps=2,
        actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=True,
        actor_layer_norm=True, alpha=0.1, expectile=0.5, rho=1.0, discount=0.8,
        lr=1e-3, tau=0.05, ema=0.9), dict(sparse=True, offset0=True),
        "h = 1 with F = 2 (coarse flow; bc_t near 1 hits both clamps); K = 2; rho = 1; "
        "sparse rewards; non-default lr, tau, ema; offset-0 row (mask[h-1] = 0 at an episode end)")),
    ("h5_k3_default_like", (606, dict(
        h=5, ensemble_ct=3, obs_dim=5, action_dim=3, batch_size=10, flow_steps=10,
        actor_hidden_dims=(16, 16, 16, 16), value_hidden_dims=(16, 16, 16, 16),
        layer_norm=True, actor_layer_norm=False, alpha=1.0, expectile=0.7, rho=0.5,
        discount=0.99), dict(sparse=True, offset0=False),
        "the authors' manipulation setting (h 5, expectile 0.7, rho 0.5, sparse) at "
        "toy size: 4 hidden layers, A = 15")),
    ("h2_k4_f3", (707, dict(
        h=2, ensemble_ct=4, obs_dim=3, action_dim=2, batch_size=8, flow_steps=3,
        actor_hidden_dims=(8,), value_hidden_dims=(8, 8), layer_norm=True,
        actor_layer_norm=True, alpha=1.0, expectile=0.9, rho=0.25, discount=0.95),
        dict(sparse=False, offset0=True),
        "h = 2; F = 3 (1/F not a short decimal, delta = d/3); actor with one hidden "
        "layer; K = 4; offset-0 row")),
])

# Multi-step cases: MULTISTEP_STEPS updates from a given state. start_step 0
# is a fresh state (zero moments): bias correction at t = 1, 2, 3; a later
# start draws the moments at random (m ~ 1e-2 N(0,1), v ~ 1e-4 U[0.25, 1.25)).
MULTISTEP_CASES = OrderedDict([
    ("multistep_h3_k3_t5", (808, dict(
        h=3, ensemble_ct=3, obs_dim=4, action_dim=2, batch_size=10, flow_steps=5,
        actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=True,
        actor_layer_norm=True, alpha=1.0, expectile=0.7, rho=0.5, discount=0.99,
        lr=1e-3, tau=0.05, ema=0.9), dict(sparse=False, offset0=False, start_step=4),
        "three updates from a mid-training state (adam.step = 4: t = 5, 6, 7; random "
        "moments); lr 1e-3, tau 0.05, ema 0.9 so that moment decay and the target lag "
        "carried across steps are visible; LayerNorm in both nets")),
    ("multistep_h2_k2_fresh", (909, dict(
        h=2, ensemble_ct=2, obs_dim=3, action_dim=2, batch_size=8, flow_steps=4,
        actor_hidden_dims=(8, 8), value_hidden_dims=(8, 8), layer_norm=True,
        actor_layer_norm=False, alpha=3.0, expectile=0.5, rho=0.0, discount=0.95),
        dict(sparse=True, offset0=True, start_step=0),
        "three updates from a new agent's state (zero moments, adam.step = 0: "
        "bias correction at t = 1, 2, 3); default lr, tau, ema; sparse rewards")),
])

# Policy cases (docs/spec.md §2): the target actor samples chunks.
POLICY_CASES = OrderedDict([
    ("policy_h3_f10_ln", (1001, dict(
        h=3, ensemble_ct=2, obs_dim=4, action_dim=2, batch_size=16, flow_steps=10,
        actor_hidden_dims=(16, 16), value_hidden_dims=(8,), layer_norm=True,
        actor_layer_norm=True), dict(x0_scale=0.5),
        "Euler sampler, F = 10, actor with LayerNorm; 16 observations; some entries clip")),
    ("policy_h1_f3", (1002, dict(
        h=1, ensemble_ct=1, obs_dim=5, action_dim=3, batch_size=8, flow_steps=3,
        actor_hidden_dims=(8, 8, 8), value_hidden_dims=(8,), layer_norm=False,
        actor_layer_norm=False), dict(x0_scale=1.0),
        "Euler sampler, F = 3 (t = i/3), h = 1, three hidden layers, no LayerNorm")),
])

# Sampler cases (docs/spec.md §3): episode lengths (single-transition episodes are
# not eligible and shift the episode indices), forced rows.
SAMPLER_CASES = OrderedDict([
    ("sampler_h3_b12", (1101, dict(h=3, obs_dim=3, action_dim=2, batch_size=12),
                        dict(lengths=[1, 6, 2, 1, 9, 4, 3]),
                        "h = 3; single-transition episodes at positions 0 and 3 (not eligible); "
                        "a 2-transition episode (clamped from i = 1); last legal start "
                        "t0 = terminal_loc - 1; starts at initial_loc")),
    ("sampler_h5_b6", (1102, dict(h=5, obs_dim=2, action_dim=1, batch_size=6),
                       dict(lengths=[1, 3, 12, 7]),
                       "h = 5 longer than whole episodes (clamping on most rows)")),
])

ALL_CASES = OrderedDict([(n, ("update",) + v) for n, v in CASES.items()]
                        + [(n, ("multistep",) + v) for n, v in MULTISTEP_CASES.items()]
                        + [(n, ("policy",) + v) for n, v in POLICY_CASES.items()]
                        + [(n, ("sampler",) + v) for n, v in SAMPLER_CASES.items()])


def draw_params(rng_params, cfg):
    """The four nets' parameters (float32-rounded numpy): online nets from the
    docs/spec.md §1 init perturbed by 0.1 N(0,1), each target its online net perturbed
    again by 0.05 N(0,1) (so that mixing them up cannot pass)."""
    params32 = OrderedDict()
    for net in ONLINE:
        p = perturb(rng_params, init_params(rng_params, net, cfg), 0.1)
        params32[net] = OrderedDict((k, to_f32(v)) for k, v in p.items())
    for net, src in (("target_actor", "actor"), ("target_value", "value")):
        p = perturb(rng_params, params32[src], 0.05)
        params32[net] = OrderedDict((k, to_f32(v)) for k, v in p.items())
    return params32


def flat_params(params32, nets=NETS, prefix=""):
    return OrderedDict(("%s%s.%s" % (prefix, net, k), v) for net in nets for k, v in params32[net].items())


def draw_update_inputs(rng_batch, rng_noise, ds, spans, cfg, opts, prefix=""):
    batch, notes = sample_batch(rng_batch, ds, spans, cfg)
    batch, notes = force_coverage(rng_batch, batch, notes, ds, spans, cfg, opts["offset0"])
    inputs = OrderedDict(("%sbatch.%s" % (prefix, k), to_f32(batch[k])) for k in BATCH_KEYS)
    inputs.update(("%snoise.%s" % (prefix, k), to_f32(v)) for k, v in draw_noise(rng_noise, cfg).items())
    return inputs, notes


def build_case(kind, name, seed, overrides, opts):
    """Draw a case's inputs (float64, rounded to float32; indices int32) from
    one seed: NumPy SeedSequence(seed).spawn(4) gives the streams for the
    parameters, the episodes, the batch (or the sampler's choices) and the
    noise (and, for multistep, the Adam moments). Returns (cfg, inputs, notes)."""
    cfg = make_config(kind, **overrides)
    ss = np.random.SeedSequence(seed)
    rng_params, rng_data, rng_batch, rng_noise = (np.random.default_rng(s) for s in ss.spawn(4))
    notes = OrderedDict()
    if kind in ("update", "multistep"):
        params32 = draw_params(rng_params, cfg)
        inputs = flat_params(params32)
        ds, spans = make_episodes(rng_data, cfg, int(rng_data.integers(5, 9)), opts["sparse"])
        if kind == "update":
            more, notes[""] = draw_update_inputs(rng_batch, rng_noise, ds, spans, cfg, opts)
            inputs.update(more)
        else:
            for which in ("m", "v"):
                for key, v in flat_params(params32, ONLINE).items():
                    if opts["start_step"] == 0:
                        x = np.zeros(v.shape)
                    elif which == "m":
                        x = 1e-2 * rng_noise.standard_normal(v.shape)
                    else:
                        x = 1e-4 * rng_noise.uniform(0.25, 1.25, v.shape)
                    inputs["adam.%s.%s" % (which, key)] = to_f32(x)
            inputs["adam.step"] = to_i32(opts["start_step"])
            for k in range(1, MULTISTEP_STEPS + 1):
                more, notes["step%d." % k] = draw_update_inputs(rng_batch, rng_noise, ds, spans, cfg, opts,
                                                               "step%d." % k)
                inputs.update(more)
    elif kind == "policy":
        theta = draw_params(rng_params, cfg)["target_actor"]
        inputs = flat_params(OrderedDict(target_actor=theta), ("target_actor",))
        B, A = cfg["batch_size"], chunk_dim(cfg)
        inputs["policy.observations"] = to_f32(rng_data.standard_normal((B, cfg["obs_dim"])))
        inputs["policy.x0"] = to_f32(opts["x0_scale"] * rng_noise.standard_normal((B, A)))
    else:  # sampler
        ds, spans = make_episodes(rng_data, cfg, len(opts["lengths"]), False, opts["lengths"])
        eligible = [e for e, (a, b) in enumerate(spans) if b > a]
        B, h = cfg["batch_size"], cfg["h"]
        choice = [int(i) for i in rng_batch.choice(len(eligible), size=B, replace=B >= len(eligible))]
        t0 = [int(rng_batch.integers(spans[eligible[i]][0], spans[eligible[i]][1])) for i in choice]
        rows = [("sampled", eligible[i]) for i in choice]
        # Forced rows: the shortest eligible episode from its start; the last
        # legal start of the longest; the first start of the longest.
        shortest = min(range(len(eligible)), key=lambda i: spans[eligible[i]][1] - spans[eligible[i]][0])
        longest = max(range(len(eligible)), key=lambda i: spans[eligible[i]][1] - spans[eligible[i]][0])
        forced = [(shortest, spans[eligible[shortest]][0], "shortest_episode_first_start"),
                  (longest, spans[eligible[longest]][1] - 1, "last_legal_start"),
                  (longest, spans[eligible[longest]][0], "first_start")]
        for row, (i, t, why) in zip(rng_batch.choice(B, size=len(forced), replace=False), forced):
            choice[row], t0[row], rows[row] = i, t, (why, eligible[i])
        inputs = OrderedDict(("dataset." + k, to_f32(ds[k])) for k in BATCH_KEYS)
        inputs["sampler.episode"] = to_i32(choice)
        inputs["sampler.t0"] = to_i32(t0)
        notes[""] = rows
        notes["spans"] = spans
    return cfg, inputs, notes


def generator_text(kind, name, seed, cfg, opts, covers, notes, outputs):
    what = {"update": "docs/spec.md §1, 3-5: one update", "multistep": "docs/spec.md §1, 3-5: %d consecutive updates"
            % MULTISTEP_STEPS, "policy": "docs/spec.md §1-2: the Euler sampler", "sampler": "docs/spec.md §3: the chunked batch"}
    streams = {"update": "params, episodes, batch, noise",
               "multistep": "params, episodes, batches, noise and Adam moments",
               "policy": "params, observations, unused, x0",
               "sampler": "unused, episodes, choices of episodes and starts, unused"}
    lines = [
        "case: %s" % name,
        "kind: %s (config.txt: %s)" % (kind, "case=" + kind if kind != "update" else "no case= line"),
        "covers: %s" % covers,
        "generator: tools/make_golden.py (independent PyTorch implementation of %s; "
        "never uses the C++ code)" % what[kind],
        "command: /usr/bin/python3 %s" % " ".join(sys.argv),
        "regenerate: /usr/bin/python3 tools/make_golden.py --out data/golden --case %s" % name,
        "seed: %d (numpy SeedSequence(%d).spawn(4) -> %s)" % (seed, seed, streams[kind]),
        "python: %s" % platform.python_version(),
        "torch: %s" % torch.__version__,
        "numpy: %s" % np.__version__,
        "date: %s" % datetime.date.today().isoformat(),
        "numerics: inputs drawn in float64 and rounded to float32 (the stored .npy values; "
        "indices and step counts int32); the computation runs in float64 on exactly those "
        "float32 values (config scalars are the float64 values of their decimal text); outputs "
        "are rounded to float32 once when written.",
    ]
    if kind in ("update", "multistep"):
        lines += ["out.reversed_f is the F-fold repeated subtraction f = f - d/F in float64.",
                  "dataset: synthetic episodes (docs/spec.md §3 fields), %s rewards, actions clipped to +-(1-1e-5)"
                  % ("sparse (-1 * (r != 0))" if opts["sparse"] else "dense")]
        if kind == "multistep":
            lines += ["state: adam.step = %d, moments %s; the float64 state is carried from step to "
                      "step without re-rounding" % (opts["start_step"], "zero" if opts["start_step"] == 0
                                                     else "m ~ 1e-2 N(0,1), v ~ 1e-4 U[0.25, 1.25)")]
        for prefix, rows in notes.items():
            lines.append("%sbatch rows (row: how drawn, episode):" % prefix)
            lines += ["  %d: %s, episode %d" % (i, n[0], n[1]) for i, n in enumerate(rows)]
            valid = outputs["%sout.valid" % prefix]
            lines.append("%svalid rows: %d of %d" % (prefix, int(valid.sum()), cfg["batch_size"]))
            g_abs = np.concatenate([np.abs(v).ravel() for k, v in outputs.items()
                                    if k.startswith(prefix + "grad.")])
            lines.append("%ssmallest |grad| over all online params: %.3e (zero entries: %d); Adam moves "
                         "each param by lr * m^ / (sqrt(v^) + 1e-8), so entries with |g| near 1e-8 "
                         "(at step 1) are sensitive to gradient rounding"
                         % (prefix, g_abs[g_abs > 0].min(), int((g_abs == 0).sum())))
    elif kind == "policy":
        acts = outputs["out.actions"]
        lines.append("inputs: target_actor.* (docs/spec.md §1 init + 0.1 N(0,1), then + 0.05 N(0,1)), "
                     "policy.observations ~ N(0,1), policy.x0 ~ %g N(0,1)" % opts["x0_scale"])
        lines.append("clipped entries (|action| = 1): %d of %d" % (int((np.abs(acts) >= 1).sum()), acts.size))
    else:
        lines.append("dataset: episodes (initial_loc, terminal_loc): %s" % notes["spans"])
        lines.append("batch rows (row: how chosen, episode in dataset order):")
        lines += ["  %d: %s, episode %d" % (i, n[0], n[1]) for i, n in enumerate(notes[""])]
    lines.append("")
    return "\n".join(lines)


def write_all(out_root, only=None):
    total = 0
    for name, (kind, seed, overrides, opts, covers) in ALL_CASES.items():
        if only and name not in only:
            continue
        cfg, inputs, notes = build_case(kind, name, seed, overrides, opts)
        outputs = run_case(cfg, inputs)
        folder = os.path.join(out_root, name)
        save_case(folder, cfg, inputs, outputs,
                  generator_text(kind, name, seed, cfg, opts, covers, notes, outputs))
        size = sum(os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder))
        total += size
        summary = ""
        if kind == "update":
            summary = "valid %d/%d  critic %.6f bc %.6f actor %.6f total %.6f" % tuple(
                [int(outputs["out.valid"].sum()), cfg["batch_size"]]
                + [float(outputs["out." + k]) for k in ("critic_loss", "bc_loss", "actor_loss", "total_loss")])
        print("%-24s %-9s %4d files %7d bytes  %s" % (name, kind, len(os.listdir(folder)), size, summary))
    print("total %d bytes" % total)


def recompute(folder):
    """Re-run a case folder's inputs and report the worst difference per
    stored tensor (0 for an untouched case on this machine)."""
    cfg, inputs, stored = load_case(folder)
    fresh = OrderedDict((k, np.asarray(v)) for k, v in run_case(cfg, inputs).items())
    worst = 0.0
    missing = sorted(set(fresh) ^ set(stored))
    for k, v in fresh.items():
        if k in stored:
            v = to_i32(v) if v.dtype.kind in "iu" else to_f32(v)
            if stored[k].shape != v.shape:
                print("%s: shape %s, recomputed %s" % (k, stored[k].shape, v.shape))
                worst = float("inf")
                continue
            diff = float(np.abs(stored[k].astype(np.float64) - v).max()) if v.size else 0.0
            worst = max(worst, diff)
    print("%s: %s, %d tensors, worst |stored - recomputed| = %.3e%s"
          % (folder, case_kind(cfg), len(fresh), worst, ("; name mismatch: %s" % missing) if missing else ""))
    return worst == 0.0 and not missing


# --------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------

def gradient_checks(name, report, gen):
    """Directional finite differences (central, eps = 1e-6, float64) of each
    loss against autograd on one update case, and the stop-gradients. Returns
    the case's (cfg, inputs, params, batch, noise, outputs, grads, after) for
    further checks."""
    seed, overrides, opts, _ = CASES[name]
    cfg, inputs, _ = build_case("update", name, seed, overrides, opts)
    params = nets_from(inputs, cfg, NETS)
    batch = OrderedDict((k, f32_torch(inputs["batch." + k])) for k in BATCH_KEYS)
    noise = OrderedDict((k, f32_torch(inputs["noise." + k])) for k in NOISE_KEYS)

    def loss_at(shift, which):
        p = OrderedDict((net, OrderedDict((k, v + shift.get("%s.%s" % (net, k), 0.0))
                                          for k, v in params[net].items())) for net in NETS)
        with torch.no_grad():
            return float(rql_losses(p, cfg, batch, noise)[which])

    def autograd_of(which, nets):
        live = OrderedDict((net, OrderedDict((k, v.clone().requires_grad_(net in nets))
                                             for k, v in params[net].items())) for net in NETS)
        out = rql_losses(live, cfg, batch, noise)
        keys = [(n, k) for n in nets for k in live[n]]
        if not out[which].requires_grad:  # no path at all from these params: zero gradient
            gs = [None] * len(keys)
        else:
            gs = torch.autograd.grad(out[which], [live[n][k] for n, k in keys], allow_unused=True)
        return OrderedDict(("%s.%s" % nk, torch.zeros_like(live[nk[0]][nk[1]]) if gg is None else gg)
                           for nk, gg in zip(keys, gs))

    def direction(nets):
        return OrderedDict(("%s.%s" % (n, k), torch.randn(v.shape, generator=gen, dtype=F64))
                           for n in nets for k, v in params[n].items())

    def central_difference(which, dirn, eps=1e-6):
        # (L(p + eps u) - L(p - eps u)) / (2 eps) ~= grad L . u
        return (loss_at({k: eps * v for k, v in dirn.items()}, which)
                - loss_at({k: -eps * v for k, v in dirn.items()}, which)) / (2 * eps)

    # Each loss against its own parameters. For L_q the value params are
    # frozen by construction; the reversal is not differentiated, and theta's
    # perturbation moves x^f, but L_bc and L_q do not read x^f.
    for which, net in (("bc_loss", "actor"), ("actor_loss", "actor"), ("critic_loss", "value")):
        dirn = direction([net])
        fd = central_difference(which, dirn)
        ag = sum(float((autograd_of(which, [net])[k] * v).sum()) for k, v in dirn.items())
        report("%s: FD vs autograd, %s wrt %s" % (name, which, net), abs(fd - ag) / max(1.0, abs(ag)), 1e-7)

    # The gradients rql_update reports (one backward of the total loss):
    # theta's part must be d(L_q + alpha L_bc), phi's part d(L_critic).
    outputs, grads, after, _ = rql_update(params, cfg, batch, noise)
    dirn = direction(ONLINE)
    fd = (central_difference("actor_objective", OrderedDict((k, v) for k, v in dirn.items() if k.startswith("actor.")))
          + central_difference("critic_loss", OrderedDict((k, v) for k, v in dirn.items() if k.startswith("value."))))
    ag = sum(float((grads[k] * v).sum()) for k, v in dirn.items())
    report("%s: FD vs rql_update grads, all online params" % name, abs(fd - ag) / max(1.0, abs(ag)), 1e-7)

    # Stop-gradients.
    gq = autograd_of("actor_loss", ["value"])
    report("%s: L_q gives the value params no gradient" % name,
           max(float(v.abs().max()) for v in gq.values()), 0.0)
    gc = autograd_of("critic_loss", ["actor", "target_value"])
    report("%s: L_critic gives actor, target params no gradient" % name,
           max(float(v.abs().max()) for v in gc.values()), 0.0)
    g_crit = autograd_of("critic_loss", ["value"])
    report("%s: grad.value == dL_critic/dphi" % name,
           max(float((grads[k] - v).abs().max()) for k, v in g_crit.items()), 0.0)
    # The authors' metric names: actor_loss is L_q alone.
    report("%s: total_loss == actor_loss + alpha bc_loss + critic_loss" % name,
           abs(float(outputs["total_loss"]) - float(outputs["actor_loss"] + cfg["alpha"] * outputs["bc_loss"]
                                                   + outputs["critic_loss"])), 1e-14)
    return cfg, inputs, params, batch, noise, outputs, grads, after


def selfcheck():
    """Checks of this script against itself and against torch built-ins:
    1. gelu / layer_norm equal torch's tanh-GELU / layer_norm(eps=1e-6);
    2. on EVERY case: directional finite differences of L_bc, L_q, L_critic
       and of rql_update's gradients; stop-gradients (gradient_checks);
    3. on one case: the batched ensemble equals a loop over members;
    4. zero field: v = 0 => x^f = a, f = 1 - d, L_bc = mean((a - x0)^2 m),
       x+ = x_t; constant field v = c => x^f = a - c d;
    5. Adam step 1 and target-update formulas; the TD target on a hand batch;
    6. Adam at t = 3 from a given state, by hand;
    7. a multistep case's first step from zero moments equals one update;
    8. policy: zero field -> clip(x0), constant field -> clip(x0 + c);
    9. sampler: clamped rows on a hand dataset;
    10. a written case folder of every kind reproduces bit-for-bit when read back.
    Returns True when all pass."""
    ok = True

    def report(what, err, tol):
        nonlocal ok
        passed = err <= tol
        ok &= passed
        print("%-72s %.3e (tol %.0e) %s" % (what, err, tol, "ok" if passed else "FAIL"))

    gen = torch.Generator().manual_seed(0)

    # 1. layers against torch built-ins
    x = torch.randn(7, 9, generator=gen, dtype=F64) * 3
    report("gelu == F.gelu(approximate='tanh')",
           float((gelu(x) - torch.nn.functional.gelu(x, approximate="tanh")).abs().max()), 1e-14)
    g, b = torch.randn(9, generator=gen, dtype=F64), torch.randn(9, generator=gen, dtype=F64)
    report("layer_norm == F.layer_norm(eps=1e-6)",
           float((layer_norm(x, g, b) - torch.nn.functional.layer_norm(x, (9,), g, b, eps=1e-6)).abs().max()),
           1e-13)

    # 2. gradients on every case
    for name in CASES:
        result = gradient_checks(name, report, gen)
        if name == "h3_k3_rho_expectile":
            kept = (name,) + result
    name, cfg, inputs, params, batch, noise, outputs, grads, after = kept

    # 3. ensemble == loop over members
    s = batch["observations"][0]
    a = chunk_actions(batch, cfg)
    f = noise["d"][:, None]
    q_all = value_ensemble(params["value"], cfg, s, a, f)
    q_loop = torch.stack([
        mlp({k: v[member] for k, v in params["value"].items()}, torch.cat([s, a, f], -1),
            len(cfg["value_hidden_dims"]) + 1, cfg["layer_norm"], False)[:, 0]
        for member in range(cfg["ensemble_ct"])])
    report("value_ensemble == per-member loop", float((q_all - q_loop).abs().max()), 1e-14)

    # 4. zero and constant fields: output layer W = 0, b = c makes v(s, x, t) = c
    n_out = len(cfg["actor_hidden_dims"])
    for c_scale, label in ((0.0, "zero"), (1.0, "constant")):
        theta = OrderedDict(params["actor"])
        c = c_scale * torch.randn(chunk_dim(cfg), generator=gen, dtype=F64)
        theta["dense%d.kernel" % n_out] = torch.zeros_like(theta["dense%d.kernel" % n_out])
        theta["dense%d.bias" % n_out] = c
        x_f, f_rev = flow_reversal(theta, cfg, s, a, noise["d"])
        report("%s field: x^f == a - c d" % label,
               float((x_f - (a - c[None, :] * noise["d"][:, None])).abs().max()), 1e-14)
        report("%s field: f == 1 - d (repeated subtraction)" % label,
               float((f_rev - (1 - noise["d"])).abs().max()), 1e-14)
        if label == "zero":
            p = OrderedDict(params)
            p["actor"] = theta
            with torch.no_grad():
                o = rql_losses(p, cfg, batch, noise)
            rt = shifted_terminals(batch["terminals"])
            m = (1 - rt[: cfg["h"]]).t().repeat_interleave(cfg["action_dim"], 1)
            expect = float((((a - noise["bc_x0"]) ** 2) * m).mean())
            report("zero field: L_bc == mean((a - x0)^2 m)", abs(float(o["bc_loss"]) - expect), 1e-14)
            t = noise["bc_t"]
            x_t = (1 - t) * noise["bc_x0"] + t * a
            qq = value_ensemble(params["value"], cfg, s, x_t, torch.clamp(t + 1 / cfg["flow_steps"], max=1.0))
            report("zero field: x+ == x_t in L_q",
                   abs(float(o["actor_loss"]) + float((qq.mean(0) * o["valid"]).mean())), 1e-14)

    # 5. Adam step 1, targets, TD target by hand
    worst = 0.0
    for k, g_ in grads.items():
        net, pk = k.split(".", 1)
        expect = params[net][pk] - cfg["lr"] * g_ / (g_.abs() + 1e-8)  # m^ = g, v^ = g^2 at step 1
        worst = max(worst, float((after[k] - expect).abs().max()))
    report("Adam step 1 == p - lr g / (|g| + eps)", worst, 1e-15)
    worst = 0.0
    for k, v in params["target_value"].items():
        expect = cfg["tau"] * params["value"][k] + (1 - cfg["tau"]) * v
        worst = max(worst, float((after["target_value." + k] - expect).abs().max()))
    for k, v in params["target_actor"].items():
        expect = (1 - cfg["ema"]) * params["actor"][k] + cfg["ema"] * v
        worst = max(worst, float((after["target_actor." + k] - expect).abs().max()))
    report("targets from pre-step params", worst, 1e-15)

    # Hand batch, h = 3, B = 4, rewards all 1, gamma = 0.99. Columns: episode
    # end at chunk offset 1, 2, 3, none (term[i] = 1 from the end on, as the
    # clamped sampler gives). rt = shifted term:
    #   col 0: rt = 0,0,1,1 -> sum 2, valid 0; R = 1 + .99          = 1.99
    #   col 1: rt = 0,0,0,1 -> sum 1, valid 1; R = 1 + .99 + .9801 = 2.9701
    #   col 2, 3: rt sum 0, valid 1;           R = 2.9701
    # mask[h-1] = 0 in column 1 only, so y[1] = R = 2.9701 exactly, and
    # y[b] = R + .99^3 q'[b] elsewhere.
    assert cfg["h"] == 3
    hand = OrderedDict(
        observations=torch.randn(4, 4, cfg["obs_dim"], generator=gen, dtype=F64),
        actions=torch.zeros(4, 4, cfg["action_dim"], dtype=F64),
        rewards=torch.ones(4, 4, dtype=F64),
        terminals=torch.tensor([[0., 0., 0., 0.], [1., 0., 0., 0.], [1., 1., 0., 0.], [1., 1., 1., 0.]],
                               dtype=F64),
        masks=torch.tensor([[1., 1., 1., 1.], [1., 1., 1., 1.], [1., 0., 1., 1.], [1., 1., 1., 1.]],
                           dtype=F64))
    hcfg = OrderedDict(cfg)
    hcfg["discount"] = 0.99
    nx0 = torch.randn(4, chunk_dim(cfg), generator=gen, dtype=F64)
    y, next_q, valid = td_target(params["target_value"], hcfg, hand, nx0, shifted_terminals(hand["terminals"]))
    qn = value_ensemble(params["target_value"], hcfg, hand["observations"][3], nx0, torch.zeros(4, 1, dtype=F64))
    R = torch.tensor([1.99, 2.9701, 2.9701, 2.9701], dtype=F64)
    y_hand = R + 0.99 ** 3 * (qn.mean(0) - cfg["rho"] * qn.std(0, unbiased=False)) * torch.tensor([1., 0., 1., 1.])
    report("TD target on a hand batch (R, mask[h-1], rho std)", float((y - y_hand).abs().max()), 1e-14)
    report("valid on a hand batch (ends at offsets 1, 2, 3, none)",
           float((valid - torch.tensor([0., 1., 1., 1.], dtype=F64)).abs().max()), 0.0)

    # 6. Adam at t > 1 from a given state, by hand for one element:
    # p = 1, g = 0.5, m = 0.1, v = 0.04, t = 3 (the third update), lr = 0.01:
    # m' = 0.9*0.1 + 0.1*0.5 = 0.14; v' = 0.999*0.04 + 0.001*0.25 = 0.04021;
    # m^ = 0.14/(1 - 0.729) = 0.516605; v^ = 0.04021/(1 - 0.997002999) = 13.416746;
    # p' = 1 - 0.01 * 0.516605 / (3.662888 + 1e-8) = 0.9985896232
    one = lambda x: torch.tensor([x], dtype=F64)
    p_new, m_new, v_new = adam_step(one(1.0), one(0.5), one(0.1), one(0.04), 3, 0.01)
    m_hat = 0.14 / (1 - 0.9 ** 3)
    v_hat = 0.04021 / (1 - 0.999 ** 3)
    report("Adam at t = 3 from a given state (hand values)",
           max(abs(float(m_new) - 0.14), abs(float(v_new) - 0.04021),
               abs(float(p_new) - (1 - 0.01 * m_hat / (math.sqrt(v_hat) + 1e-8))),
               abs(float(p_new) - 0.9985896232)), 1e-9)

    # 7. multistep from a fresh state: its first step IS the update case's
    # update on the same inputs (same function, fresh_adam == zero moments).
    kind, seed, overrides, opts, _ = ALL_CASES["multistep_h2_k2_fresh"]
    mcfg, minputs, _ = build_case(kind, "multistep_h2_k2_fresh", seed, overrides, opts)
    mout = run_case(mcfg, minputs)
    ucfg = OrderedDict((k, v) for k, v in mcfg.items() if k != "case")
    uin = OrderedDict((k, v) for k, v in minputs.items() if not k.startswith(("adam.", "step")))
    uin.update((k[len("step1."):], v) for k, v in minputs.items() if k.startswith("step1."))
    uout = run_case(ucfg, uin)
    report("multistep step 1 from zero moments == one update",
           max(float(np.abs(mout["step1." + k] - v).max()) for k, v in uout.items()), 0.0)
    report("multistep: adam.step counts 1, 2, 3",
           float(sum(abs(int(mout["step%d.after.adam.step" % k]) - k) for k in (1, 2, 3))), 0.0)

    # 8. policy: a zero field gives clip(x0); a constant field c gives
    # clip(x0 + c) (F steps of c/F).
    pcfg = make_config("policy", **POLICY_CASES["policy_h1_f3"][1])
    theta = OrderedDict((k, torch.zeros(shape, dtype=F64)) for k, shape in param_shapes("actor", pcfg))
    x0 = 2 * torch.randn(5, chunk_dim(pcfg), generator=gen, dtype=F64)
    s5 = torch.randn(5, pcfg["obs_dim"], generator=gen, dtype=F64)
    report("policy: zero field gives clip(x0)",
           float((flow_sample(theta, pcfg, s5, x0) - x0.clamp(-1, 1)).abs().max()), 0.0)
    c = 0.3 * torch.randn(chunk_dim(pcfg), generator=gen, dtype=F64)
    theta["dense%d.bias" % len(pcfg["actor_hidden_dims"])] = c
    report("policy: constant field gives clip(x0 + c)",
           float((flow_sample(theta, pcfg, s5, x0) - (x0 + c).clamp(-1, 1)).abs().max()), 1e-15)

    # 9. sampler on a hand dataset: episodes [0], [1..4], [5..6] (lengths 1,
    # 4, 2); eligible = episodes 1 and 2. h = 2, choices (eligible 0, t0 3):
    # rows 3, 4, 4 (clamped at terminal 4); (eligible 1, t0 5): rows 5, 6, 6.
    hd = OrderedDict((k, np.arange(7, dtype=np.float64) * (10 if k == "observations" else 1))
                     for k in BATCH_KEYS)
    hd["terminals"] = np.array([1, 0, 0, 0, 1, 0, 1], dtype=np.float64)
    hd["observations"] = hd["observations"][:, None]
    hd["actions"] = hd["actions"][:, None]
    hin = OrderedDict(("dataset." + k, v) for k, v in hd.items())
    hin["sampler.episode"] = np.array([0, 1])
    hin["sampler.t0"] = np.array([3, 5])
    got = run_sampler_case(OrderedDict(h=2), hin)["out.batch.observations"][:, :, 0]
    report("sampler: clamped rows on a hand dataset",
           float(np.abs(got - np.array([[30, 50], [40, 60], [40, 60]])).max()), 0.0)

    # 10. round trip through the files, one case of every kind
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        good = True
        for cname in ("h3_k3_rho_expectile", "multistep_h3_k3_t5", "policy_h3_f10_ln", "sampler_h3_b12"):
            kind, seed, overrides, opts, _ = ALL_CASES[cname]
            ccfg, cin, _ = build_case(kind, cname, seed, overrides, opts)
            save_case(os.path.join(tmp, cname), ccfg, cin, run_case(ccfg, cin), "selfcheck\n")
            good &= recompute(os.path.join(tmp, cname))
    report("case folders (every kind) reproduce bit-for-bit when read back", 0.0 if good else 1.0, 0.0)

    print("selfcheck: %s" % ("PASSED" if ok else "FAILED"))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write every case to OUT/<case>/")
    ap.add_argument("--case", action="append", help="only this case (repeatable)")
    ap.add_argument("--selfcheck", action="store_true", help="run the self-checks; exit 1 on failure")
    ap.add_argument("--recompute", metavar="FOLDER", nargs="+",
                    help="re-run case folders and diff their stored outputs; exit 1 on a difference")
    args = ap.parse_args()
    torch.set_num_threads(1)  # one thread: identical reductions on every run
    if not (args.out or args.selfcheck or args.recompute):
        ap.error("nothing to do: give --out, --selfcheck or --recompute")
    status = 0
    if args.selfcheck and not selfcheck():
        status = 1
    if args.out:
        write_all(args.out, args.case)
    if args.recompute:
        for folder in args.recompute:
            if not recompute(folder):
                status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
