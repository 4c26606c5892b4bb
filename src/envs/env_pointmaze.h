// env_pointmaze.h: "pointmaze-medium" and "pointmaze-large", OGBench-style
// 2-D navigation (issue 6), as a kinematic stand-in for OGBench's MuJoCo
// point mass (docs/environments.md lists the differences).
//
// Geometry. A map of rows x cols cells (1 = wall); cell (i, j) (row i,
// column j) is the open square of side 4 centred at x = 4j - 4, y = 4i - 4,
// i.e. x in (4j - 6, 4j - 2), y in (4i - 6, 4i - 2). Pictures draw row 0 at
// the top, as the map text reads (y grows downward).
//
// The agent is an axis-aligned square of half-width kMazeAgentHalf = 0.75
// centred at its position (x, y) (OGBench's point is a sphere of radius 0.7;
// 0.75, a short binary fraction, keeps every wall contact exact in floating
// point). It may touch a wall but never overlap one.
// Observation: (x, y). Action: a in [-1, 1]^2 (clipped; NaN acts as 0).
// One step moves x by 0.2 a_x, then y by 0.2 a_y: each axis move that would
// overlap a wall stops flush against it, so the agent slides along walls.
//
// Episodes start at the start cell's centre + U[-1, 1)^2; success is
// |xy - goal centre| <= 1.0; evaluation episodes last up to 1000 steps and
// end at success.
//
// Data (OGBench's generate_locomaze.py, dataset_type "navigate"):
// kMazeDataSteps-step episodes that start at a random free cell's centre +
// U[-1, 1)^2 and head for a goal at a random vertex cell's centre + U[-1, 1)^2
// (vertex: a free cell that is not a straight hallway), drawing a new goal
// after each step that ends within 1.0 of it. Actions: the BFS oracle's unit
// vector plus N(0, 0.5^2) per axis, clipped to [-1, 1]. Relabelled for the
// evaluation task as OGBench's relabel_dataset does, from the state in which
// each action is taken: success_t = |xy_t - goal centre| <= 1,
// reward_t = success_t - 1, mask_t = 1 - success_t; terminals 1 at the end of
// each collection episode only (reaching the goal does not end an episode).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "core/scalar.h"

namespace rql {

constexpr double kMazeCellSize = 4.0;
constexpr double kMazeStepScale = 0.2;     // xy += 0.2 a
constexpr double kMazeAgentHalf = 0.75;    // half-width of the agent's square
constexpr double kMazeGoalRadius = 1.0;    // success distance
constexpr double kMazeStartNoise = 1.0;    // start = centre + U[-1, 1)^2
constexpr int kMazeEvalSteps = 1000;       // evaluation episode length
constexpr int kMazeDataSteps = 1000;       // data collection episode length
constexpr double kMazeDataNoise = 0.5;     // std of the oracle's action noise

struct Cell {
  int i, j;  // row, column
};

struct Maze {
  const char* name;        // "pointmaze-medium"
  int rows, cols;
  const char* const* map;  // rows strings of cols characters, '1' = wall
  Cell start[2], goal[2];  // task 1 and task 2
};

// The maze called `name`, or null.
const Maze* pointmaze_find(const std::string& name);

// A cell outside the map counts as a wall.
bool pointmaze_is_wall(const Maze& m, int i, int j);
// Centre of cell (i, j): x = 4j - 4, y = 4i - 4; out is (2).
void pointmaze_cell_centre(Cell c, double* out);
// The cell whose closed-open square [4j-6, 4j-2) x [4i-6, 4i-2) holds (x, y).
Cell pointmaze_cell_of(double x, double y);
// True when the agent's square at (x, y) overlaps a wall cell.
bool pointmaze_blocked(const Maze& m, double x, double y);
// One step from xy (2) with action a (2): clip, move x, then y (see above).
void pointmaze_step(const Maze& m, double* xy, const double* a);
// |xy - centre(goal)| <= kMazeGoalRadius.
bool pointmaze_success(const double* xy, Cell goal);

// Breadth-first distances (in cells, 4-neighbour moves) from every cell to
// `goal`: (rows, cols) row-major, -1 for walls and unreachable cells.
std::vector<int> pointmaze_bfs(const Maze& m, Cell goal);
// The noiseless oracle's action at xy (2) towards `goal`, out is (2): the unit
// vector to the centre of the next cell on a shortest path (the first
// neighbour, in OGBench's order up, left, down, right, one BFS step closer), or to
// the goal's centre inside the goal cell; (0, 0) where no path exists or at
// the target point. `dist` comes from pointmaze_bfs(m, goal).
void pointmaze_oracle_action(const Maze& m, const std::vector<int>& dist, Cell goal, const double* xy, double* out);

// A free cell that is not a straight hallway (free above and below with
// walls left and right, or the transpose): OGBench's goal cells for data.
bool pointmaze_is_vertex(const Maze& m, Cell c);

// `episodes` collection episodes (see above) from stream (seed, kStreamData),
// relabelled for task `task` (1 or 2).
Dataset pointmaze_make_dataset(const Maze& m, int task, long episodes, uint64_t seed);

// An SVG picture of the maze: walls, the task's start region and goal
// circle, and one polyline per trajectory (each (T, 2) interleaved xy).
std::string pointmaze_svg(const Maze& m, int task, const std::vector<std::vector<real>>& trajectories,
                          const std::string& caption);

}  // namespace rql
