// cli_plot.cpp: `rql plot SUBCOMMAND`, pictures as SVG files (svg.h).
//
//   rql plot flow [--out PATH] [--seed S] [--train-steps N] [--flow-steps F] [--table]
//       Trains a tiny flow policy on a 2-D toy action distribution (eight
//       Gaussian modes on a circle; the flow-matching loss of docs/spec.md §5 alone),
//       then draws, in the plane of the action (h = 1, action_dim = 2):
//         left   the Euler sampler (docs/spec.md §2): paths from noise x0 to actions;
//         right  reversals (docs/spec.md §5, 7) of data actions a back to flow time 0,
//                the authors' euler loop and the exact inverse overlaid, and
//                where the sampler takes the euler-reversed point (it misses a).
//       --table prints the round-trip error table of docs/flow.md.
//   rql plot curves, rql plot maze   (cli_plot_curves.cpp)
//
// To add a picture, write `int plot_<name>(int argc, char** argv)` (argv[0]
// is the picture's name) and fill its row of kPlots below; dispatch and
// --help follow from the table.
//
// Everything is deterministic for a seed: the toy data, the initialisation
// and the noise come from rng.h streams of that seed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "core/adam.h"
#include "cli.h"
#include "cli_args.h"
#include "io/error.h"
#include "core/flow.h"
#include "core/mlp.h"
#include "core/rng.h"
#include "svg.h"

namespace rql {
namespace {

// ------------------------------------------------------------ the toy policy --

constexpr double kPi = 3.14159265358979323846;
constexpr int kToyModes = 8;          // Gaussian modes, evenly on a circle
constexpr double kToyRadius = 0.7;    // of this radius
constexpr double kToyStd = 0.06;      // each with this standard deviation
constexpr int kToyHidden[2] = {64, 64};
constexpr int kToyBatch = 256;
constexpr double kToyLr = 3e-3;

// One action a (2) of the toy distribution: mode m uniform in {0..7},
// a = r (cos 2 pi m / 8, sin 2 pi m / 8) + std N(0, I).
void toy_action(Rng& rng, real* a) {
  const double angle = 2 * kPi * static_cast<double>(rng_below(rng, kToyModes)) / kToyModes;
  a[0] = static_cast<real>(kToyRadius * std::cos(angle) + kToyStd * static_cast<double>(rng_normal(rng)));
  a[1] = static_cast<real>(kToyRadius * std::sin(angle) + kToyStd * static_cast<double>(rng_normal(rng)));
}

struct ToyPolicy {
  FlowShape fs;              // obs_dim 1 (a single state, s = 0), A = 2
  std::vector<real> params;
  double final_loss = 0;     // mean BC loss over the last 100 steps (or all, if fewer)
};

// Flow matching alone (docs/spec.md §5's L_bc with no mask): x_t = (1 - t) x0 + t a,
// p = v(s, x_t, t), L = mean (p - (a - x0))^2, one Adam step per batch.
ToyPolicy train_toy_policy(uint64_t seed, int steps, int flow_steps) {
  ToyPolicy tp;
  if (!flow_shape_make(&tp.fs, 1, 2, kToyHidden, 2, false, flow_steps)) throw Error("toy policy: bad shape");
  const long n = mlp_param_count(tp.fs.net);
  tp.params.assign(n, 0);
  Rng init = rng_make(seed, kStreamInit), data = rng_make(seed, kStreamData);
  mlp_init(tp.fs.net, tp.params.data(), init);
  const int B = kToyBatch, A = 2;
  std::vector<real> grad(n), m(n, 0), v(n, 0), work(flow_work_size(tp.fs, B));
  std::vector<real> s(B, 0), a(B * A), x0(B * A), t(B), xt(B * A), p(B * A), dp(B * A);
  const std::vector<real> rt(2 * B, 0);  // (h + 1, B) shifted terminals: no episode ends
  AdamConfig adam;
  adam.lr = kToyLr;
  double recent = 0;
  for (int step = 1; step <= steps; ++step) {
    for (int b = 0; b < B; ++b) {
      toy_action(data, &a[b * A]);
      for (int j = 0; j < A; ++j) x0[b * A + j] = static_cast<real>(rng_normal(data));
      t[b] = static_cast<real>(rng_uniform(data));
      for (int j = 0; j < A; ++j) xt[b * A + j] = (1 - t[b]) * x0[b * A + j] + t[b] * a[b * A + j];
    }
    flow_velocity(tp.fs, tp.params.data(), s.data(), xt.data(), t.data(), B, p.data(), work.data());
    const real loss = flow_bc_loss(p.data(), a.data(), x0.data(), rt.data(), B, A, A);
    if (step > steps - 100) recent += static_cast<double>(loss);
    std::fill(dp.begin(), dp.end(), real(0));
    std::fill(grad.begin(), grad.end(), real(0));
    flow_bc_loss_backward(dp.data(), p.data(), a.data(), x0.data(), rt.data(), B, A, A, 1);
    flow_velocity_backward(tp.fs, tp.params.data(), grad.data(), B, dp.data(), work.data());
    adam_step(tp.params.data(), m.data(), v.data(), grad.data(), n, step, adam);
  }
  tp.final_loss = recent / (steps < 100 ? steps : 100);
  return tp;
}

// ------------------------------------------------------------------- paths --

// Forward sampler paths: path (B, F+1, 2), state i after i Euler steps
// x <- x + v(s, x, i/F) / F from x0 (B, 2) (the last state before the clip).
std::vector<double> forward_paths(const ToyPolicy& tp, const std::vector<real>& x0, int B) {
  const int F = tp.fs.flow_steps;
  std::vector<real> x = x0, v(B * 2), t(B), s(B, 0), work(flow_work_size(tp.fs, B));
  std::vector<double> path(static_cast<size_t>(B) * (F + 1) * 2);
  for (int i = 0; i <= F; ++i) {
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < 2; ++j) path[(static_cast<size_t>(b) * (F + 1) + i) * 2 + j] = x[b * 2 + j];
    if (i == F) break;
    for (int b = 0; b < B; ++b) t[b] = static_cast<real>(i) / static_cast<real>(F);
    flow_velocity(tp.fs, tp.params.data(), s.data(), x.data(), t.data(), B, v.data(), work.data());
    for (int q = 0; q < B * 2; ++q) x[q] += v[q] / static_cast<real>(F);
  }
  return path;
}

// Reversal paths of a (B, 2) by d = 1: path (B, F+1, 2), state i at flow
// time 1 - i/F, through the library's flow_reverse only:
//   exact: state i is the reversal by d = i/F (it undoes i sampler steps);
//   euler: state i is the euler reversal by d = i/F run with i sub-steps,
//          which are the first i sub-steps of the d = 1 loop (size
//          (i/F)/i = 1/F up to rounding, from f = 1).
std::vector<double> reverse_paths(const ToyPolicy& tp, Reversal method, const std::vector<real>& a, int B,
                                  int* failures) {
  const int F = tp.fs.flow_steps;
  std::vector<real> x(B * 2), f(B), d(B), s(B, 0), work(flow_work_size(tp.fs, B));
  std::vector<double> path(static_cast<size_t>(B) * (F + 1) * 2);
  const ExactReversalConfig exact;
  *failures = 0;
  for (int i = 0; i <= F; ++i) {
    FlowShape fs = tp.fs;
    if (method == Reversal::kEuler) fs.flow_steps = i > 0 ? i : 1;
    for (int b = 0; b < B; ++b) d[b] = static_cast<real>(i) / static_cast<real>(F);
    const int fails =
        flow_reverse(fs, method, exact, tp.params.data(), s.data(), a.data(), d.data(), B, x.data(), f.data(), work.data());
    *failures = fails > *failures ? fails : *failures;
    for (int b = 0; b < B; ++b)
      for (int j = 0; j < 2; ++j) path[(static_cast<size_t>(b) * (F + 1) + i) * 2 + j] = x[b * 2 + j];
  }
  return path;
}

// actions (B, 2) = flow_sample from x0 (B, 2).
std::vector<real> sample(const ToyPolicy& tp, const std::vector<real>& x0, int B) {
  std::vector<real> out(B * 2), s(B, 0), work(flow_work_size(tp.fs, B));
  flow_sample(tp.fs, tp.params.data(), s.data(), x0.data(), B, out.data(), work.data());
  return out;
}

// ------------------------------------------------------------- round trip --

struct RoundTrip {
  double mean = 0, max = 0;  // of |forward(reverse(a)) - a| (Euclidean, per action), converged rows
  int failures = 0;          // rows the exact reversal reported as not converged (left out of mean, max)
};

// forward(reverse(a, d = 1)) against a, over B actions a (B, 2), with F
// steps. One row per call, so that each row's own convergence report is
// known (flow_reverse returns only the count).
RoundTrip round_trip(const ToyPolicy& tp, Reversal method, const std::vector<real>& a, int B) {
  std::vector<real> x(2), f(1), d(1, 1), s(1, 0), work(flow_work_size(tp.fs, 1));
  RoundTrip r;
  int converged = 0;
  for (int b = 0; b < B; ++b) {
    if (flow_reverse(tp.fs, method, ExactReversalConfig(), tp.params.data(), s.data(), &a[b * 2], d.data(), 1,
                     x.data(), f.data(), work.data()) > 0) {
      ++r.failures;
      continue;
    }
    const std::vector<real> back = sample(tp, x, 1);
    const double e = std::hypot(static_cast<double>(back[0] - a[b * 2]), static_cast<double>(back[1] - a[b * 2 + 1]));
    r.mean += e;
    r.max = e > r.max ? e : r.max;
    ++converged;
  }
  r.mean /= converged > 0 ? converged : 1;
  return r;
}

void print_round_trip_table(ToyPolicy tp, uint64_t seed) {
  const int B = 1000;
  Rng rng = rng_make(seed, kStreamEval);
  std::vector<real> a(B * 2);
  for (int b = 0; b < B; ++b) toy_action(rng, &a[b * 2]);
  std::printf("\nRound trip |forward(reverse(a, d = 1)) - a| over %d toy actions (seed %llu, %s; exact: tol 1e-6,\n"
              "max_iter 100, rows reported as not converged left out of mean and max):\n\n",
              B, static_cast<unsigned long long>(seed), sizeof(real) == 4 ? "float" : "double");
  std::printf("| F | euler mean | euler max | exact mean | exact max | exact: rows not converged |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (int F : {5, 10, 20, 40}) {
    tp.fs.flow_steps = F;
    const RoundTrip e = round_trip(tp, Reversal::kEuler, a, B), x = round_trip(tp, Reversal::kExact, a, B);
    std::printf("| %d | %.3g | %.3g | %.2g | %.2g | %d of %d |\n", F, e.mean, e.max, x.mean, x.max, x.failures, B);
  }
}

// ----------------------------------------------------------------- picture --

// A square panel: data [-kView, kView]^2 drawn at pixel (x0, y0), size px.
constexpr double kView = 2.6;
struct Panel {
  double x0, y0, size;
  double px(double x) const { return x0 + (x + kView) / (2 * kView) * size; }
  double py(double y) const { return y0 + (kView - y) / (2 * kView) * size; }  // y up
};

// path (n, F+1, 2) -> n polylines in pixel coordinates; with dot_r > 0 a
// dot of that radius marks every state (one per Euler step).
void draw_paths(Svg& svg, const Panel& p, const std::vector<double>& path, int n, int F, const SvgStyle& st,
                double dot_r = 0) {
  for (int b = 0; b < n; ++b) {
    std::vector<double> xy;
    for (int i = 0; i <= F; ++i) {
      const size_t k = (static_cast<size_t>(b) * (F + 1) + i) * 2;
      xy.push_back(p.px(path[k]));
      xy.push_back(p.py(path[k + 1]));
    }
    svg_polyline(svg, xy, st);
    SvgStyle dot;
    dot.fill = st.stroke;
    dot.opacity = st.opacity;
    if (dot_r > 0)
      for (int i = 1; i < F; ++i) svg_circle(svg, xy[2 * i], xy[2 * i + 1], dot_r, dot);
  }
}

SvgStyle stroke(const std::string& colour, double width, double opacity = 1.0, const std::string& dash = "") {
  SvgStyle s;
  s.stroke = colour;
  s.stroke_width = width;
  s.opacity = opacity;
  s.dash = dash;
  return s;
}
SvgStyle fill(const std::string& colour, double opacity = 1.0) {
  SvgStyle s;
  s.fill = colour;
  s.opacity = opacity;
  return s;
}

void panel_frame(Svg& svg, const Panel& p, const char* clip_id, const std::string& title) {
  svg_text(svg, p.x0, p.y0 - 10, title, 15, "#222");
  svg_rect(svg, p.x0, p.y0, p.size, p.size, stroke("#999", 1));
  // The action box [-1, 1]^2 the sampler clips to.
  svg_rect(svg, p.px(-1), p.py(1), p.px(1) - p.px(-1), p.py(-1) - p.py(1), stroke("#bbb", 1, 1, "4 3"));
  svg_text(svg, p.px(1) - 4, p.py(-1) - 6, "[-1, 1]\xC2\xB2", 11, "#999", "end");
  svg_raw(svg, std::string("<clipPath id=\"") + clip_id + "\"><rect x=\"" + svg_number(p.x0) + "\" y=\"" +
                   svg_number(p.y0) + "\" width=\"" + svg_number(p.size) + "\" height=\"" + svg_number(p.size) +
                   "\"/></clipPath>");
  svg_raw(svg, std::string("<g clip-path=\"url(#") + clip_id + ")\">");
}

void cross(Svg& svg, double x, double y, double r, const SvgStyle& st) {
  svg_line(svg, x - r, y - r, x + r, y + r, st);
  svg_line(svg, x - r, y + r, x + r, y - r, st);
}

std::string draw_flow_picture(const ToyPolicy& tp, uint64_t seed, int train_steps) {
  const int F = tp.fs.flow_steps;
  const std::string blue = "#1f77b4", orange = "#e6550d", green = "#2ca02c", grey = "#9e9e9e";
  Svg svg = svg_begin(1100, 700, 0, 0, 1100, 700);
  svg_rect(svg, 0, 0, 1100, 700, fill("white"));
  char title[200];
  std::snprintf(title, sizeof title,
                "Flow policy on a 2-D toy (8 modes): F = %d Euler steps, %d training steps, seed %llu", F,
                train_steps, static_cast<unsigned long long>(seed));
  svg_text(svg, 550, 28, title, 18, "#111", "middle");

  Rng rng = rng_make(seed, kStreamEval);
  // Background: 350 samples of the data distribution, both panels.
  const int n_data = 350;
  std::vector<real> data(n_data * 2);
  for (int b = 0; b < n_data; ++b) toy_action(rng, &data[b * 2]);

  // Left: forward paths from 60 noise draws.
  const Panel left{30, 80, 500};
  panel_frame(svg, left, "left", "Sampling: x0 ~ N(0, I) to action, x <- x + v(s, x, i/F) / F");
  for (int b = 0; b < n_data; ++b) svg_circle(svg, left.px(data[b * 2]), left.py(data[b * 2 + 1]), 1.6, fill(grey, 0.5));
  const int n_fwd = 60;
  std::vector<real> x0(n_fwd * 2);
  for (real& v : x0) v = static_cast<real>(rng_normal(rng));
  draw_paths(svg, left, forward_paths(tp, x0, n_fwd), n_fwd, F, stroke(blue, 1.3, 0.55));
  const std::vector<real> acts = sample(tp, x0, n_fwd);
  for (int b = 0; b < n_fwd; ++b) {
    svg_circle(svg, left.px(x0[b * 2]), left.py(x0[b * 2 + 1]), 2.5, stroke(blue, 1, 0.8));
    svg_circle(svg, left.px(acts[b * 2]), left.py(acts[b * 2 + 1]), 3, fill(blue));
  }
  svg_raw(svg, "</g>");

  // Right: reversal paths of 16 data actions (two per mode) by d = 1.
  const Panel right{570, 80, 500};
  panel_frame(svg, right, "right", "Reversal: action a back to flow time 0 (d = 1)");
  for (int b = 0; b < n_data; ++b)
    svg_circle(svg, right.px(data[b * 2]), right.py(data[b * 2 + 1]), 1.6, fill(grey, 0.5));
  const int n_rev = 16;
  std::vector<real> a(n_rev * 2);
  for (int b = 0; b < n_rev; ++b) {
    const double angle = 2 * kPi * (b / 2) / kToyModes;
    const double r = kToyRadius + (b % 2 ? 1.5 : -1.5) * kToyStd;  // one inside, one outside each mode
    a[b * 2] = static_cast<real>(r * std::cos(angle + (b % 2 ? 0.08 : -0.08)));
    a[b * 2 + 1] = static_cast<real>(r * std::sin(angle + (b % 2 ? 0.08 : -0.08)));
  }
  int fails_euler = 0, fails_exact = 0;
  const std::vector<double> p_euler = reverse_paths(tp, Reversal::kEuler, a, n_rev, &fails_euler);
  const std::vector<double> p_exact = reverse_paths(tp, Reversal::kExact, a, n_rev, &fails_exact);
  draw_paths(svg, right, p_euler, n_rev, F, stroke(orange, 2.2, 0.85), 2.2);
  draw_paths(svg, right, p_exact, n_rev, F, stroke(green, 1.8, 0.95, "5 4"), 2);
  // Where the sampler takes each euler-reversed point: near a, not at a.
  std::vector<real> x_euler(n_rev * 2);
  for (int b = 0; b < n_rev; ++b)
    for (int j = 0; j < 2; ++j) x_euler[b * 2 + j] = static_cast<real>(p_euler[(static_cast<size_t>(b) * (F + 1) + F) * 2 + j]);
  const std::vector<real> back = sample(tp, x_euler, n_rev);
  for (int b = 0; b < n_rev; ++b) {
    const size_t end = (static_cast<size_t>(b) * (F + 1) + F) * 2;
    svg_circle(svg, right.px(p_euler[end]), right.py(p_euler[end + 1]), 3, fill(orange));
    svg_circle(svg, right.px(p_exact[end]), right.py(p_exact[end + 1]), 3.5, stroke(green, 1.5));
    svg_circle(svg, right.px(a[b * 2]), right.py(a[b * 2 + 1]), 3.5, fill("black"));
    cross(svg, right.px(back[b * 2]), right.py(back[b * 2 + 1]), 4, stroke(orange, 1.8));
  }
  svg_raw(svg, "</g>");

  // Legend, under the panels.
  double y = 615;
  const double lx = 40, rx = 580;
  svg_line(svg, lx, y - 4, lx + 30, y - 4, stroke(blue, 2, 0.7));
  svg_text(svg, lx + 40, y, "forward Euler path (docs/spec.md §2), noise (open) to action (filled)", 13);
  svg_circle(svg, lx + 15, y + 21, 2, fill(grey, 0.7));
  svg_text(svg, lx + 40, y + 25, "samples of the data distribution (8 Gaussian modes)", 13);
  svg_line(svg, rx, y - 4, rx + 30, y - 4, stroke(orange, 2.2));
  svg_text(svg, rx + 40, y, "euler reversal (the authors'): x <- x - v(s, x, f) d/F, v at the later point", 13);
  svg_line(svg, rx, y + 21, rx + 30, y + 21, stroke(green, 1.8, 1, "5 4"));
  svg_text(svg, rx + 40, y + 25, "exact reversal: solves x + v(s, x, j/F)/F = x_next, step by step", 13);
  cross(svg, rx + 15, y + 46, 4, stroke(orange, 1.8));
  svg_circle(svg, rx + 8, y + 46, 3.5, fill("black"));
  char miss[200];
  std::vector<real> xs_exact(n_rev * 2);
  for (int b = 0; b < n_rev; ++b)
    for (int j = 0; j < 2; ++j) xs_exact[b * 2 + j] = static_cast<real>(p_exact[(static_cast<size_t>(b) * (F + 1) + F) * 2 + j]);
  const std::vector<real> back_exact = sample(tp, xs_exact, n_rev);
  double miss_euler = 0, miss_exact = 0;
  for (int b = 0; b < n_rev; ++b) {
    miss_euler += std::hypot(static_cast<double>(back[b * 2] - a[b * 2]), static_cast<double>(back[b * 2 + 1] - a[b * 2 + 1])) / n_rev;
    miss_exact += std::hypot(static_cast<double>(back_exact[b * 2] - a[b * 2]),
                             static_cast<double>(back_exact[b * 2 + 1] - a[b * 2 + 1])) / n_rev;
  }
  svg_text(svg, rx + 40, y + 50, "data action a (dot); the sampler run from its euler reversal (cross)", 13);
  std::snprintf(miss, sizeof miss, "mean |sampler(reverse(a)) - a| over these 16: euler %.3f, exact %.1e", miss_euler,
                miss_exact);
  svg_text(svg, rx + 40, y + 75, miss, 13);
  std::snprintf(miss, sizeof miss, "actor MLP [s, x, t] -> 64 -> 64 -> 2 (GELU), flow-matching loss only: %.3f",
                tp.final_loss);
  svg_text(svg, lx, y + 50, miss, 13, "#555");
  if (fails_exact > 0) {
    std::snprintf(miss, sizeof miss, "exact reversal: %d rows did not converge", fails_exact);
    svg_text(svg, lx, y + 75, miss, 13, "#b00");
  }
  return svg_end(svg);
}

// ------------------------------------------------------------ subcommands --

const std::vector<FlagSpec> kFlowFlags = {
    {"out", "PATH", "SVG file to write", "flow.svg"},
    {"seed", "S", "seed of the toy data, initialisation and noise", "1"},
    {"train-steps", "N", "Adam steps (lr 3e-3, batch 256) of flow matching on the toy distribution", "4000"},
    {"flow-steps", "F", "Euler steps of the sampler and the reversals in the picture", "10"},
    {"table", "", "also print the round-trip error table for F = 5, 10, 20, 40 (docs/flow.md)", ""},
};

int plot_flow(int argc, char** argv) {
  try {
    const ParsedArgs args = parse_flags(argc, argv, 1, kFlowFlags);
    if (args.has("help")) {
      std::printf("usage: rql plot flow [FLAGS]\n\n"
                  "Trains a tiny flow policy on a 2-D toy action distribution and writes an SVG of its\n"
                  "forward (sampling) paths and its reversed paths, both reversal methods overlaid.\n\n%s",
                  flags_help(kFlowFlags).c_str());
      return 0;
    }
    if (!args.positional.empty()) throw UsageError("unexpected argument '" + args.positional[0] + "'");
    const std::string out = args.get("out", "flow.svg");
    const uint64_t seed = static_cast<uint64_t>(flag_int(args, "seed", 1, 0, 0x7fffffffffffffffLL));
    const int train_steps = static_cast<int>(flag_int(args, "train-steps", 4000, 1, 1000000));
    const int flow_steps = static_cast<int>(flag_int(args, "flow-steps", 10, 1, 1000));
    const ToyPolicy tp = train_toy_policy(seed, train_steps, flow_steps);
    std::printf("trained the toy flow policy: %d steps, seed %llu, flow-matching loss %.4f (mean of the last %d)\n",
                train_steps, static_cast<unsigned long long>(seed), tp.final_loss, train_steps < 100 ? train_steps : 100);
    svg_write_file(out, draw_flow_picture(tp, seed, train_steps));
    std::printf("wrote %s\n", out.c_str());
    if (args.has("table") && args.get("table", "") != "false") print_round_trip_table(tp, seed);
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql plot flow: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql plot flow: %s\n", e.what());
    return 1;
  }
}

struct Plot {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

// Pictures not yet built are null and say so.
const Plot kPlots[] = {
    {"flow", plot_flow, "2-D flow trajectories: sampling and both reversals of a toy policy [--out PATH] [--table]"},
    {"curves", plot_curves, "learning curves of training runs, overlaid: RUN [RUN...] [--out PATH]"},
    {"maze", plot_maze, "a checkpoint's evaluation trajectories in its maze: CKPT --env NAME [--out PATH]"},
};

void print_plot_usage(std::FILE* out) {
  std::fprintf(out, "usage: rql plot PICTURE [ARGS...]   (rql plot PICTURE --help for details)\n\npictures:\n");
  for (const Plot& p : kPlots) std::fprintf(out, "  %-8s %s%s\n", p.name, p.summary, p.run ? "" : " (not built yet)");
}

}  // namespace

// argv[0] is "plot", argv[1] the picture's name.
int cmd_plot(int argc, char** argv) {
  if (argc < 2) {
    print_plot_usage(stderr);
    return 2;
  }
  if (!std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_plot_usage(stdout);
    return 0;
  }
  for (const Plot& p : kPlots) {
    if (std::strcmp(argv[1], p.name) != 0) continue;
    if (!p.run) {
      std::fprintf(stderr, "rql plot %s: not built yet\n", p.name);
      return 2;
    }
    return p.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "rql plot: unknown picture '%s'\n\n", argv[1]);
  print_plot_usage(stderr);
  return 2;
}

}  // namespace rql
