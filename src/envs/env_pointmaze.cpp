// env_pointmaze.cpp: maze maps, kinematics with walls, the BFS oracle, the
// navigate-style dataset and the maze picture (env_pointmaze.h).
//
// Cell arithmetic, with cell size 4: cell j spans the open interval
// (4j - 6, 4j - 2) on x (rows likewise on y), so
//   the cell holding x                  j = floor((x + 6) / 4)
//   cells overlapping (x - h, x + h)    floor((x - h + 2) / 4) + 1 .. ceil((x + h + 6) / 4) - 1
// Every flush position a step produces (4k - 2 - h, 4k - 6 + h) is
// exactly representable (h = 0.75), so "touching" never turns into
// "overlapping" by a rounding error.
#include "env_pointmaze.h"

#include <algorithm>
#include <cmath>

#include "env.h"

#include "cli/svg.h"

namespace rql {

namespace {

const char* const kMediumMap[] = {
    "11111111",
    "10011001",
    "10010001",
    "11000111",
    "10010001",
    "10100101",
    "10001001",
    "11111111",
};

const char* const kLargeMap[] = {
    "111111111111",
    "100001000001",
    "101101010101",
    "100000010001",
    "101111011101",
    "100101000001",
    "110101010111",
    "100100010001",
    "111111111111",
};

// Tasks (issue 6): medium task1 (1,1)->(6,6), task2 (6,1)->(1,6);
// large task1 (1,1)->(7,10), task2 (5,4)->(7,1).
const Maze kMazes[] = {
    {"pointmaze-medium", 8, 8, kMediumMap, {{1, 1}, {6, 1}}, {{6, 6}, {1, 6}}},
    {"pointmaze-large", 9, 12, kLargeMap, {{1, 1}, {5, 4}}, {{7, 10}, {7, 1}}},
};


// Moves xy[axis] by d, stopping flush against a wall. |d| <= 0.2 is less than
// a cell, so the new square can enter at most the next cell along the axis,
// and the face it would cross is the far face of the farthest cell the
// square overlaps now.
void move_axis(const Maze& m, double* xy, int axis, double d) {
  double p[2] = {xy[0], xy[1]};
  p[axis] += d;
  if (!pointmaze_blocked(m, p[0], p[1])) {
    xy[axis] = p[axis];
    return;
  }
  const double h = kMazeAgentHalf, v = xy[axis];
  if (d > 0) {
    const double k = std::ceil((v + h + 6.0) / 4.0) - 1.0;  // farthest overlapped cell
    p[axis] = 4.0 * k - 2.0 - h;                            // its high face, minus h
  } else {
    const double k = std::floor((v - h + 2.0) / 4.0) + 1.0;
    p[axis] = 4.0 * k - 6.0 + h;
  }
  // Always free by construction; the check keeps a hand-placed agent that
  // already overlaps a wall from being pushed further in.
  if (!pointmaze_blocked(m, p[0], p[1])) xy[axis] = p[axis];
}

int cell_index(const Maze& m, Cell c) { return c.i * m.cols + c.j; }

// Neighbour order of OGBench's get_oracle_subgoal: up, left, down, right.
const int kNeighbourDi[4] = {-1, 0, 1, 0};
const int kNeighbourDj[4] = {0, -1, 0, 1};

}  // namespace

const Maze* pointmaze_find(const std::string& name) {
  for (const Maze& m : kMazes)
    if (name == m.name) return &m;
  return nullptr;
}

bool pointmaze_is_wall(const Maze& m, int i, int j) {
  if (i < 0 || j < 0 || i >= m.rows || j >= m.cols) return true;
  return m.map[i][j] == '1';
}

void pointmaze_cell_centre(Cell c, double* out) {
  out[0] = 4.0 * c.j - 4.0;
  out[1] = 4.0 * c.i - 4.0;
}

Cell pointmaze_cell_of(double x, double y) {
  return Cell{static_cast<int>(std::floor((y + 6.0) / 4.0)), static_cast<int>(std::floor((x + 6.0) / 4.0))};
}

bool pointmaze_blocked(const Maze& m, double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y) || std::fabs(x) > 1e6 || std::fabs(y) > 1e6) return true;
  const double h = kMazeAgentHalf;
  const int j0 = static_cast<int>(std::floor((x - h + 2.0) / 4.0)) + 1;
  const int j1 = static_cast<int>(std::ceil((x + h + 6.0) / 4.0)) - 1;
  const int i0 = static_cast<int>(std::floor((y - h + 2.0) / 4.0)) + 1;
  const int i1 = static_cast<int>(std::ceil((y + h + 6.0) / 4.0)) - 1;
  for (int i = i0; i <= i1; ++i)
    for (int j = j0; j <= j1; ++j)
      if (pointmaze_is_wall(m, i, j)) return true;
  return false;
}

void pointmaze_step(const Maze& m, double* xy, const double* a) {
  move_axis(m, xy, 0, kMazeStepScale * env_clip1(a[0]));
  move_axis(m, xy, 1, kMazeStepScale * env_clip1(a[1]));
}

bool pointmaze_success(const double* xy, Cell goal) {
  double g[2];
  pointmaze_cell_centre(goal, g);
  const double dx = xy[0] - g[0], dy = xy[1] - g[1];
  return dx * dx + dy * dy <= kMazeGoalRadius * kMazeGoalRadius;
}

std::vector<int> pointmaze_bfs(const Maze& m, Cell goal) {
  std::vector<int> dist(static_cast<size_t>(m.rows * m.cols), -1);
  if (pointmaze_is_wall(m, goal.i, goal.j)) return dist;
  std::vector<Cell> queue{goal};
  dist[cell_index(m, goal)] = 0;
  for (size_t q = 0; q < queue.size(); ++q) {
    const Cell c = queue[q];
    for (int k = 0; k < 4; ++k) {
      const Cell n{c.i + kNeighbourDi[k], c.j + kNeighbourDj[k]};
      if (pointmaze_is_wall(m, n.i, n.j) || dist[cell_index(m, n)] >= 0) continue;
      dist[cell_index(m, n)] = dist[cell_index(m, c)] + 1;
      queue.push_back(n);
    }
  }
  return dist;
}

void pointmaze_oracle_action(const Maze& m, const std::vector<int>& dist, Cell goal, const double* xy, double* out) {
  out[0] = out[1] = 0.0;
  const Cell c = pointmaze_cell_of(xy[0], xy[1]);
  if (pointmaze_is_wall(m, c.i, c.j)) return;
  const int d = dist[cell_index(m, c)];
  if (d < 0) return;
  Cell target = goal;
  if (d > 0) {
    for (int k = 0; k < 4; ++k) {
      const Cell n{c.i + kNeighbourDi[k], c.j + kNeighbourDj[k]};
      if (!pointmaze_is_wall(m, n.i, n.j) && dist[cell_index(m, n)] == d - 1) {
        target = n;
        break;
      }
    }
  }
  double t[2];
  pointmaze_cell_centre(target, t);
  const double vx = t[0] - xy[0], vy = t[1] - xy[1];
  const double len = std::sqrt(vx * vx + vy * vy);
  if (len < 1e-12) return;
  out[0] = vx / len;
  out[1] = vy / len;
}

bool pointmaze_is_vertex(const Maze& m, Cell c) {
  if (pointmaze_is_wall(m, c.i, c.j)) return false;
  const bool up = !pointmaze_is_wall(m, c.i - 1, c.j), down = !pointmaze_is_wall(m, c.i + 1, c.j);
  const bool left = !pointmaze_is_wall(m, c.i, c.j - 1), right = !pointmaze_is_wall(m, c.i, c.j + 1);
  const bool vertical_hallway = up && down && !left && !right;
  const bool horizontal_hallway = left && right && !up && !down;
  return !vertical_hallway && !horizontal_hallway;
}

Dataset pointmaze_make_dataset(const Maze& m, int task, long episodes, uint64_t seed) {
  const Cell task_goal = m.goal[task - 1];
  // Start cells: every free cell. Goal cells: the vertex cells, each with its
  // BFS table (at most 108 tables of 108 ints).
  std::vector<Cell> free_cells, vertex_cells;
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j) {
      if (pointmaze_is_wall(m, i, j)) continue;
      free_cells.push_back(Cell{i, j});
      if (pointmaze_is_vertex(m, Cell{i, j})) vertex_cells.push_back(Cell{i, j});
    }
  std::vector<std::vector<int>> dist_to(vertex_cells.size());
  for (size_t g = 0; g < vertex_cells.size(); ++g) dist_to[g] = pointmaze_bfs(m, vertex_cells[g]);

  Dataset d;
  d.n = episodes * kMazeDataSteps;
  d.obs_dim = 2;
  d.action_dim = 2;
  const size_t n = static_cast<size_t>(d.n);
  d.observations.resize(2 * n);
  d.actions.resize(2 * n);
  d.rewards.resize(n);
  d.masks.resize(n);
  d.terminals.assign(n, real(0));

  Rng r = rng_make(seed, kStreamData);
  // A cell centre plus U[-1, 1)^2 (OGBench's add_noise), x drawn first.
  auto jitter = [&](Cell c, double* xy) {
    pointmaze_cell_centre(c, xy);
    xy[0] += static_cast<double>(rng_range(r, -kMazeStartNoise, kMazeStartNoise));
    xy[1] += static_cast<double>(rng_range(r, -kMazeStartNoise, kMazeStartNoise));
  };
  for (long e = 0; e < episodes; ++e) {
    // Draws per episode: start cell, start x, y, goal cell, goal x, y; per
    // step: noise x, y, and after a step that reaches the goal, a new goal
    // cell, x, y.
    double xy[2], goal_xy[2];
    jitter(free_cells[rng_below(r, free_cells.size())], xy);
    size_t goal = rng_below(r, vertex_cells.size());
    jitter(vertex_cells[goal], goal_xy);
    for (int t = 0; t < kMazeDataSteps; ++t) {
      const size_t i = static_cast<size_t>(e) * kMazeDataSteps + static_cast<size_t>(t);  // transition
      double a[2];
      pointmaze_oracle_action(m, dist_to[goal], vertex_cells[goal], xy, a);
      const double zx = rng_normal(r), zy = rng_normal(r);
      // The action as stored is the one executed, so that replaying the
      // data's actions reproduces its states.
      const real ax = env_stored(env_clip1(a[0] + kMazeDataNoise * zx));
      const real ay = env_stored(env_clip1(a[1] + kMazeDataNoise * zy));
      // Relabelled from the state the action is taken in (OGBench's qpos).
      const bool success = pointmaze_success(xy, task_goal);
      d.observations[2 * i] = env_stored(xy[0]);  // (n, 2)
      d.observations[2 * i + 1] = env_stored(xy[1]);
      d.actions[2 * i] = ax;  // (n, 2)
      d.actions[2 * i + 1] = ay;
      d.rewards[i] = success ? real(0) : real(-1);
      d.masks[i] = success ? real(0) : real(1);
      const double act[2] = {ax, ay};
      pointmaze_step(m, xy, act);
      const double gx = xy[0] - goal_xy[0], gy = xy[1] - goal_xy[1];
      if (gx * gx + gy * gy <= kMazeGoalRadius * kMazeGoalRadius) {
        goal = rng_below(r, vertex_cells.size());  // may be the same cell again, as in OGBench
        jitter(vertex_cells[goal], goal_xy);
      }
    }
    d.terminals[static_cast<size_t>(e) * kMazeDataSteps + kMazeDataSteps - 1] = real(1);
  }
  return d;
}

std::string pointmaze_svg(const Maze& m, int task, const std::vector<std::vector<real>>& trajectories,
                          const std::string& caption) {
  // World box: x in [-6, 4 cols - 6], y in [-6, 4 rows - 6]; a title band
  // above it (title, then the caption) and a legend band below. 12 pixels
  // per unit.
  const double x0 = -6.0, y0 = -6.0, w = 4.0 * m.cols, h = 4.0 * m.rows, pad = 0.5;
  const double band = caption.empty() ? 3.0 : 5.0, legend = 2.8;
  Svg s = svg_begin(12.0 * (w + 2 * pad), 12.0 * (h + band + legend), x0 - pad, y0 - band, w + 2 * pad,
                    h + band + legend);
  SvgStyle paper;
  paper.fill = "white";
  svg_rect(s, x0 - pad, y0 - band, w + 2 * pad, h + band + legend, paper);
  const Cell start = m.start[task - 1], goal = m.goal[task - 1];
  svg_text(s, x0, y0 - band + 2.0,
           std::string(m.name) + " task " + std::to_string(task) + ": (" + std::to_string(start.i) + "," +
               std::to_string(start.j) + ") -> (" + std::to_string(goal.i) + "," + std::to_string(goal.j) + ")",
           1.6);
  if (!caption.empty()) svg_text(s, x0, y0 - 1.0, caption, 1.2, "#333");
  SvgStyle floor_style;
  floor_style.fill = "#f4f4f0";
  svg_rect(s, x0, y0, w, h, floor_style);
  SvgStyle wall_style;
  wall_style.fill = wall_style.stroke = "#3c3c3c";
  wall_style.stroke_width = 0.05;  // hides anti-aliasing seams between wall cells
  for (int i = 0; i < m.rows; ++i)
    for (int j = 0; j < m.cols; ++j)
      if (pointmaze_is_wall(m, i, j)) svg_rect(s, 4.0 * j - 6.0, 4.0 * i - 6.0, 4.0, 4.0, wall_style);

  double c[2];
  SvgStyle start_style;
  start_style.fill = "#2ca02c";
  start_style.stroke = "#2ca02c";
  start_style.stroke_width = 0.1;
  start_style.opacity = 0.35;
  pointmaze_cell_centre(start, c);
  svg_rect(s, c[0] - kMazeStartNoise, c[1] - kMazeStartNoise, 2 * kMazeStartNoise, 2 * kMazeStartNoise, start_style);
  SvgStyle goal_style = start_style;
  goal_style.fill = goal_style.stroke = "#d62728";
  pointmaze_cell_centre(goal, c);
  svg_circle(s, c[0], c[1], kMazeGoalRadius, goal_style);

  const char* const palette[] = {"#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                                 "#17becf", "#bcbd22", "#7f7f7f", "#2ca02c", "#d62728"};
  for (size_t k = 0; k < trajectories.size(); ++k) {
    const std::vector<real>& t = trajectories[k];
    if (t.size() < 2) continue;
    SvgStyle line;
    line.stroke = palette[k % 10];
    line.stroke_width = 0.2;
    line.opacity = 0.85;
    std::vector<double> xy(t.begin(), t.end());
    svg_polyline(s, xy, line);
    SvgStyle dot;
    dot.fill = palette[k % 10];
    svg_circle(s, xy[xy.size() - 2], xy[xy.size() - 1], 0.35, dot);  // where it ended
  }

  // Legend, under the maze: what each mark means.
  const double ly = y0 + h + 1.7;
  double lx = x0;
  svg_rect(s, lx, ly - 1.0, 1.2, 1.2, start_style);
  svg_text(s, lx + 1.7, ly, "start", 1.1, "#333");
  lx += 6.0;
  svg_circle(s, lx + 0.6, ly - 0.4, 0.6, goal_style);
  svg_text(s, lx + 1.7, ly, "goal, radius 1", 1.1, "#333");
  lx += 11.5;
  SvgStyle sample;
  sample.stroke = palette[0];
  sample.stroke_width = 0.2;
  svg_line(s, lx, ly - 0.4, lx + 1.6, ly - 0.4, sample);
  SvgStyle sample_dot;
  sample_dot.fill = palette[0];
  svg_circle(s, lx + 1.6, ly - 0.4, 0.35, sample_dot);
  svg_text(s, lx + 2.5, ly, "episode; dot: its end", 1.1, "#333");
  return svg_end(s);
}

}  // namespace rql
