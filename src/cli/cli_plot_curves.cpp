// cli_plot_curves.cpp: `rql plot curves RUN...` (learning curves of one or
// more training runs, overlaid) and `rql plot maze CHECKPOINT ...` (the
// evaluation trajectories of a checkpoint drawn in its maze).
//
// Curves read the run folders that `rql train` writes (train.csv, eval.csv;
// cli_train.cpp) and draw three panels: the evaluation score (success rate,
// or the normalised score for the bandit), the critic loss, and the mean Q.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli.h"
#include "cli_args.h"
#include "io/error.h"
#include "svg.h"

namespace rql {

namespace {

// A CSV with a header line, as columns of doubles.
struct Table {
  std::vector<std::string> names;
  std::vector<std::vector<double>> rows;
  int column(const std::string& name) const {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<int>(i);
    return -1;
  }
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ',')) out.push_back(cell);
  return out;
}

Table read_csv(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(path + ": cannot open (is this a run folder written by `rql train`?)");
  Table t;
  std::string line;
  if (!std::getline(f, line)) throw Error(path + ": empty file, expected a header line");
  t.names = split(line);
  int line_no = 1;
  while (std::getline(f, line)) {
    ++line_no;
    if (line.empty()) continue;
    const std::vector<std::string> cells = split(line);
    if (cells.size() != t.names.size())
      throw Error(path + " line " + std::to_string(line_no) + ": " + std::to_string(cells.size()) + " columns, expected " +
                  std::to_string(t.names.size()));
    std::vector<double> row;
    for (const std::string& c : cells) row.push_back(std::strtod(c.c_str(), nullptr));
    t.rows.push_back(row);
  }
  return t;
}

struct Series {
  std::vector<double> x, y;
};

Series series(const Table& t, const std::string& col, const std::string& path) {
  const int c = t.column(col), s = t.column("step");
  if (c < 0 || s < 0) throw Error(path + ": no column '" + col + "'");
  Series out;
  for (const std::vector<double>& r : t.rows) {
    out.x.push_back(r[s]);
    out.y.push_back(r[c]);
  }
  return out;
}

const char* const kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// One panel at (px, py) of size (w, h) pixels with axes, ticks and the series.
void panel(Svg& s, double px, double py, double w, double h, const std::string& title,
           const std::vector<Series>& all, bool fixed_unit_range) {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  bool first = true;
  for (const Series& se : all)
    for (size_t i = 0; i < se.x.size(); ++i) {
      if (!std::isfinite(se.y[i])) continue;
      if (first) x0 = x1 = se.x[i], y0 = y1 = se.y[i], first = false;
      x0 = std::fmin(x0, se.x[i]), x1 = std::fmax(x1, se.x[i]);
      y0 = std::fmin(y0, se.y[i]), y1 = std::fmax(y1, se.y[i]);
    }
  x0 = std::fmin(x0, 0.0);
  if (fixed_unit_range) y0 = 0, y1 = 1;
  // Axes span whole ticks at round numbers (svg_ticks: 1-2-5 steps).
  const SvgTicks xt = svg_ticks(x0, x1, 6), yt = svg_ticks(y0, y1, 6);
  x0 = xt.values.front(), x1 = xt.values.back();
  y0 = yt.values.front(), y1 = yt.values.back();
  SvgStyle axis;
  axis.stroke = "#444";
  svg_rect(s, px, py, w, h, axis);
  svg_text(s, px + w / 2, py - 8, title, 14, "#111", "middle");
  SvgStyle grid;
  grid.stroke = "#ddd";
  for (const double yv : yt.values) {
    const double yy = py + h - h * (yv - y0) / (y1 - y0);
    if (yv != y0 && yv != y1) svg_line(s, px, yy, px + w, yy, grid);
    svg_text(s, px - 5, yy + 4, svg_tick_label(yv, yt.step), 11, "#333", "end");
  }
  for (const double xv : xt.values) {
    const double xx = px + w * (xv - x0) / (x1 - x0);
    if (xv != x0 && xv != x1) svg_line(s, xx, py, xx, py + h, grid);
    svg_text(s, xx, py + h + 15, svg_tick_label(xv, xt.step), 11, "#333", "middle");
  }
  svg_text(s, px + w / 2, py + h + 32, "update", 12, "#333", "middle");
  for (size_t r = 0; r < all.size(); ++r) {
    std::vector<double> xy;
    for (size_t i = 0; i < all[r].x.size(); ++i) {
      xy.push_back(px + w * (all[r].x[i] - x0) / (x1 - x0));
      xy.push_back(py + h - h * (all[r].y[i] - y0) / (y1 - y0));
    }
    SvgStyle line;
    line.stroke = kColours[r % 8];
    line.stroke_width = 1.8;
    svg_polyline(s, xy, line);
    if (all[r].x.size() < 30) {
      SvgStyle dot;
      dot.fill = kColours[r % 8];
      for (size_t i = 0; i + 1 < xy.size(); i += 2) svg_circle(s, xy[i], xy[i + 1], 2.5, dot);
    }
  }
}

std::string base_name(std::string p) {
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const size_t slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

int plot_curves(int argc, char** argv) {
  const std::vector<FlagSpec> specs = {
      {"out", "FILE", "where to write the SVG", "curves.svg"},
      {"labels", "A,B,..", "legend labels, one per run", "the folder names"},
      {"title", "TEXT", "title of the picture", ""},
  };
  try {
    const ParsedArgs a = parse_flags(argc, argv, 1, specs);
    if (a.has("help")) {
      std::printf("usage: rql plot curves RUN [RUN...] [--out FILE] [--labels A,B] [--title TEXT]\n\n"
                  "Learning curves of `rql train` run folders, overlaid: evaluation score (success rate;\n"
                  "normalised score for the bandit), critic loss and mean Q per update.\n\n%s",
                  flags_help(specs).c_str());
      return 0;
    }
    if (a.positional.empty()) throw UsageError("give at least one run folder; see --help");
    std::vector<std::string> labels;
    if (a.has("labels")) {
      std::stringstream ss(a.get("labels", ""));
      std::string l;
      while (std::getline(ss, l, ',')) labels.push_back(l);
      if (labels.size() != a.positional.size())
        throw UsageError("--labels has " + std::to_string(labels.size()) + " names for " +
                         std::to_string(a.positional.size()) + " runs");
    } else {
      for (const std::string& r : a.positional) labels.push_back(base_name(r));
    }
    std::vector<Series> score, critic, q;
    bool bandit = false;
    for (const std::string& run : a.positional) {
      const Table ev = read_csv(run + "/eval.csv"), tr = read_csv(run + "/train.csv");
      const int ns = ev.column("normalized_score");
      for (const std::vector<double>& r : ev.rows) bandit = bandit || (ns >= 0 && r[ns] != 0);
      score.push_back(series(ev, bandit ? "normalized_score" : "success_rate", run + "/eval.csv"));
      critic.push_back(series(tr, "critic_loss", run + "/train.csv"));
      q.push_back(series(tr, "q_mean", run + "/train.csv"));
    }
    Svg s = svg_begin(1200, 420, 0, 0, 1200, 420);
    SvgStyle bg;
    bg.fill = "white";
    svg_rect(s, 0, 0, 1200, 420, bg);
    if (a.has("title")) svg_text(s, 600, 24, a.get("title", ""), 16, "#111", "middle");
    panel(s, 70, 60, 320, 260, bandit ? "normalised score (eval)" : "success rate (eval)", score, true);
    panel(s, 460, 60, 320, 260, "critic loss", critic, false);
    panel(s, 850, 60, 320, 260, "mean Q(s, x^f, f)", q, false);
    for (size_t r = 0; r < labels.size(); ++r) {
      const double x = 70 + 180.0 * static_cast<double>(r % 6), y = 385 + 20.0 * static_cast<double>(r / 6);
      SvgStyle line;
      line.stroke = kColours[r % 8];
      line.stroke_width = 3;
      svg_line(s, x, y - 4, x + 24, y - 4, line);
      svg_text(s, x + 30, y, labels[r], 12, "#111", "start");
    }
    const std::string out = a.get("out", "curves.svg");
    svg_write_file(out, svg_end(s));
    std::printf("wrote %s (%zu runs)\n", out.c_str(), labels.size());
    return 0;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql plot curves: %s\n", e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql plot curves: %s\n", e.what());
    return 1;
  }
}

int plot_maze(int argc, char** argv) {
  // The picture is the evaluation's: forward to `rql eval ... --svg FILE`.
  std::vector<std::string> args = {"eval"};
  std::string out = "maze.svg";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::printf("usage: rql plot maze CHECKPOINT --env pointmaze-medium [--task T] [--episodes N] [--seed S] "
                  "[--out FILE]\n\nEvaluates the checkpoint's EMA policy (as `rql eval`) and draws the maze, the "
                  "task's start and goal,\nand every evaluation trajectory. `rql train` also writes RUN/maze.svg "
                  "after its final evaluation.\n");
      return 0;
    }
    if (arg == "--out" && i + 1 < argc) {
      out = argv[++i];
      continue;
    }
    if (arg.rfind("--out=", 0) == 0) {
      out = arg.substr(6);
      continue;
    }
    args.push_back(arg);
  }
  bool episodes = false;
  for (const std::string& s : args) episodes = episodes || s.rfind("--episodes", 0) == 0;
  if (!episodes) args.push_back("--episodes=10");
  args.push_back("--svg=" + out);
  std::vector<char*> av;
  for (std::string& s2 : args) av.push_back(&s2[0]);
  const int rc = cmd_eval(static_cast<int>(av.size()), av.data());
  if (rc == 0) std::printf("wrote %s\n", out.c_str());
  return rc;
}

}  // namespace rql
