// test_env_pointmaze.cpp: the maze geometry, kinematics and oracle of
// env_pointmaze.h, checked on cases worked by hand (the arithmetic is in the
// comments), and the navigate-style dataset's layout.
//
// Medium map (row i, column j; 1 = wall):
//   row 0  11111111
//   row 1  10011001
//   row 2  10010001
//   row 3  11000111
//   row 4  10010001
//   row 5  10100101
//   row 6  10001001
//   row 7  11111111
// Cell (i, j) spans x in (4j - 6, 4j - 2), y in (4i - 6, 4i - 2).
#include <gtest/gtest.h>

#include <cmath>

#include "envs/env_pointmaze.h"

namespace rql {
namespace {

const Maze& medium() { return *pointmaze_find("pointmaze-medium"); }
const Maze& large() { return *pointmaze_find("pointmaze-large"); }

TEST(PointmazeTest, MapsAndTasksAreTheIssuesOnes) {
  ASSERT_NE(pointmaze_find("pointmaze-medium"), nullptr);
  ASSERT_NE(pointmaze_find("pointmaze-large"), nullptr);
  EXPECT_EQ(pointmaze_find("pointmaze-giant"), nullptr);
  EXPECT_EQ(medium().rows, 8);
  EXPECT_EQ(medium().cols, 8);
  EXPECT_EQ(large().rows, 9);
  EXPECT_EQ(large().cols, 12);
  EXPECT_TRUE(pointmaze_is_wall(medium(), 1, 0));
  EXPECT_FALSE(pointmaze_is_wall(medium(), 1, 1));
  EXPECT_TRUE(pointmaze_is_wall(medium(), 1, 3));
  EXPECT_TRUE(pointmaze_is_wall(medium(), -1, 2));  // outside the map
  EXPECT_TRUE(pointmaze_is_wall(large(), 2, 2));    // "101101010101"
  EXPECT_FALSE(pointmaze_is_wall(large(), 7, 10));
  for (const Maze* m : {&medium(), &large()})
    for (int t = 0; t < 2; ++t) {
      EXPECT_FALSE(pointmaze_is_wall(*m, m->start[t].i, m->start[t].j)) << m->name << " task " << t + 1;
      EXPECT_FALSE(pointmaze_is_wall(*m, m->goal[t].i, m->goal[t].j)) << m->name << " task " << t + 1;
    }
  EXPECT_EQ(large().goal[0].i, 7);
  EXPECT_EQ(large().goal[0].j, 10);
  EXPECT_EQ(large().start[1].i, 5);
  EXPECT_EQ(large().start[1].j, 4);
}

TEST(PointmazeTest, CellCentresAreFourJMinusFour) {
  double c[2];
  pointmaze_cell_centre(Cell{1, 1}, c);
  EXPECT_EQ(c[0], 0.0);
  EXPECT_EQ(c[1], 0.0);
  pointmaze_cell_centre(Cell{6, 6}, c);  // medium goal 1: x = 4*6 - 4
  EXPECT_EQ(c[0], 20.0);
  EXPECT_EQ(c[1], 20.0);
  pointmaze_cell_centre(Cell{7, 10}, c);  // large goal 1: x = 36, y = 24
  EXPECT_EQ(c[0], 36.0);
  EXPECT_EQ(c[1], 24.0);
  // Back: cell (i, j) holds [4j - 6, 4j - 2) x [4i - 6, 4i - 2).
  EXPECT_EQ(pointmaze_cell_of(36.0, 24.0).i, 7);
  EXPECT_EQ(pointmaze_cell_of(36.0, 24.0).j, 10);
  EXPECT_EQ(pointmaze_cell_of(-2.0, 1.99).j, 1);  // x = -2 is column 1's low face
  EXPECT_EQ(pointmaze_cell_of(-2.0, 1.99).i, 1);
  EXPECT_EQ(pointmaze_cell_of(1.999, 2.0).i, 2);
}

TEST(PointmazeTest, StepMovesPointTwoTimesAction) {
  // From the centre of (1, 1), nothing within reach: (0, 0) + 0.2 (1, 0.5).
  double xy[2] = {0.0, 0.0};
  const double a[2] = {1.0, 0.5};
  pointmaze_step(medium(), xy, a);
  EXPECT_DOUBLE_EQ(xy[0], 0.2);
  EXPECT_DOUBLE_EQ(xy[1], 0.1);
  // Actions are clipped to [-1, 1]: (3, -2) acts as (1, -1).
  const double big[2] = {3.0, -2.0};
  pointmaze_step(medium(), xy, big);
  EXPECT_DOUBLE_EQ(xy[0], 0.4);
  EXPECT_DOUBLE_EQ(xy[1], -0.1);
  // NaN acts as 0.
  const double nan_action[2] = {std::nan(""), 1.0};
  pointmaze_step(medium(), xy, nan_action);
  EXPECT_DOUBLE_EQ(xy[0], 0.4);
  EXPECT_DOUBLE_EQ(xy[1], 0.1);
}

TEST(PointmazeTest, WallStopsAgentFlush) {
  // Cell (1, 0) is a wall at x < -2; the agent's square has half-width 0.75,
  // so x stops at -2 + 0.75 = -1.25 instead of -1.1 - 0.2 = -1.3.
  ASSERT_EQ(kMazeAgentHalf, 0.75);
  double xy[2] = {-1.1, 0.0};
  const double left[2] = {-1.0, 0.0};
  pointmaze_step(medium(), xy, left);
  EXPECT_EQ(xy[0], -1.25);
  EXPECT_EQ(xy[1], 0.0);
  pointmaze_step(medium(), xy, left);  // already flush: stays
  EXPECT_EQ(xy[0], -1.25);
  // Cell (0, 1) is a wall at y < -2: y stops at -1.25.
  double up_xy[2] = {0.0, -1.15};
  const double up[2] = {0.0, -1.0};
  pointmaze_step(medium(), up_xy, up);
  EXPECT_EQ(up_xy[1], -1.25);
  EXPECT_FALSE(pointmaze_blocked(medium(), -1.25, 0.0));  // touching is allowed
  EXPECT_TRUE(pointmaze_blocked(medium(), -1.25 - 1e-9, 0.0));
}

TEST(PointmazeTest, AgentSlidesAlongWall) {
  // Moving (-1, 1) at (-1.1, 0.3): x is stopped at -1.25 by the wall on the
  // left, y still moves by 0.2 (rows overlapped: y in (-0.25, 1.25), row 1).
  double xy[2] = {-1.1, 0.3};
  const double a[2] = {-1.0, 1.0};
  pointmaze_step(medium(), xy, a);
  EXPECT_EQ(xy[0], -1.25);
  EXPECT_DOUBLE_EQ(xy[1], 0.5);
}

TEST(PointmazeTest, SquareCatchesOnWallCorner) {
  // Large map, column 1 straddling rows 1 and 2 at (1.1, 1.8): the square
  // covers y in (1.05, 2.55), rows 1 and 2. Moving right into column 2: cell
  // (1, 2) is free but (2, 2) is a wall, so x stops at 2 - 0.75 = 1.25
  // though the agent's centre row (1) is open to the right.
  double xy[2] = {1.1, 1.8};
  const double right[2] = {1.0, 0.0};
  pointmaze_step(large(), xy, right);
  EXPECT_EQ(xy[0], 1.25);
  // Centred in row 1 (y = 0), the same move passes into (1, 2).
  double free_xy[2] = {1.1, 0.0};
  pointmaze_step(large(), free_xy, right);
  EXPECT_DOUBLE_EQ(free_xy[0], 1.3);
}

TEST(PointmazeTest, BfsDistancesMatchHandCountedPaths) {
  // Medium task 1, (1,1) -> (6,6): (1,1) (2,1) (2,2) (3,2) (3,3) (3,4) (4,4)
  // (4,5) (4,6) (5,6) (6,6): 10 moves, and (6,6) is reachable only through
  // (5,6) and the dead end (6,5).
  const Maze& m = medium();
  const std::vector<int> d = pointmaze_bfs(m, Cell{6, 6});
  auto at = [&](int i, int j) { return d[static_cast<size_t>(i * m.cols + j)]; };
  EXPECT_EQ(at(6, 6), 0);
  EXPECT_EQ(at(5, 6), 1);
  EXPECT_EQ(at(6, 5), 1);
  EXPECT_EQ(at(3, 4), 5);
  EXPECT_EQ(at(1, 1), 10);
  EXPECT_EQ(at(0, 0), -1);  // wall
  // Task 2, (6,1) -> (1,6): (6,1) (5,1) (4,1) (4,2) (3,2) (3,3) (3,4) (2,4)
  // (2,5) (1,5) (1,6): 10 moves.
  const std::vector<int> d2 = pointmaze_bfs(m, Cell{1, 6});
  EXPECT_EQ(d2[static_cast<size_t>(6 * m.cols + 1)], 10);
}

TEST(PointmazeTest, OracleHeadsForNextCellCentre) {
  const Maze& m = medium();
  const Cell goal{6, 6};
  const std::vector<int> d = pointmaze_bfs(m, goal);
  // At (1, -1) in cell (1, 1) (distance 10): neighbours in order up (0,1)
  // wall, left (1,0) wall, down (2,1) distance 9 (right, (1,2), is also 9
  // but comes later) -> target the centre of (2,1), (0, 4); the direction is
  // (0 - 1, 4 + 1) / sqrt(26).
  const double xy[2] = {1.0, -1.0};
  double a[2];
  pointmaze_oracle_action(m, d, goal, xy, a);
  EXPECT_NEAR(a[0], -1.0 / std::sqrt(26.0), 1e-15);
  EXPECT_NEAR(a[1], 5.0 / std::sqrt(26.0), 1e-15);
  // Inside the goal cell it heads for the goal's centre (20, 20).
  const double in_goal[2] = {21.5, 20.0};
  pointmaze_oracle_action(m, d, goal, in_goal, a);
  EXPECT_DOUBLE_EQ(a[0], -1.0);
  EXPECT_DOUBLE_EQ(a[1], 0.0);
  // At the goal's centre itself there is nowhere to go.
  const double at_goal[2] = {20.0, 20.0};
  pointmaze_oracle_action(m, d, goal, at_goal, a);
  EXPECT_EQ(a[0], 0.0);
  EXPECT_EQ(a[1], 0.0);
}

TEST(PointmazeTest, VertexCellsExcludeStraightHallways) {
  // Medium (3, 3): left (3,2) and right (3,4) free, up (2,3) and down (4,3)
  // walls: a horizontal hallway. (1, 1): free right and down: a corner.
  // (6, 5): dead end (only (6, 6) free): a vertex.
  EXPECT_FALSE(pointmaze_is_vertex(medium(), Cell{3, 3}));
  EXPECT_TRUE(pointmaze_is_vertex(medium(), Cell{1, 1}));
  EXPECT_TRUE(pointmaze_is_vertex(medium(), Cell{6, 5}));
  EXPECT_FALSE(pointmaze_is_vertex(medium(), Cell{0, 0}));  // a wall
  // Large (2, 1): up (1,1) and down (3,1) free, left and right walls: vertical.
  EXPECT_FALSE(pointmaze_is_vertex(large(), Cell{2, 1}));
}

TEST(PointmazeTest, SuccessWithinRadiusOne) {
  const Cell goal{6, 6};  // centre (20, 20)
  const double on_edge[2] = {21.0, 20.0}, inside[2] = {20.75, 19.5}, outside[2] = {20.0, 21.000001};
  EXPECT_TRUE(pointmaze_success(on_edge, goal));   // distance exactly 1
  EXPECT_TRUE(pointmaze_success(inside, goal));    // 0.75^2 + 0.5^2 = 0.8125 <= 1
  EXPECT_FALSE(pointmaze_success(outside, goal));
}

TEST(PointmazeTest, NoiselessOracleRollsOutToGoal) {
  // From each task's start centre, the oracle reaches the goal in fewer
  // steps than 1000 and never overlaps a wall on the way.
  for (const Maze* m : {&medium(), &large()})
    for (int t = 0; t < 2; ++t) {
      const std::vector<int> d = pointmaze_bfs(*m, m->goal[t]);
      double xy[2];
      pointmaze_cell_centre(m->start[t], xy);
      int steps = 0;
      while (!pointmaze_success(xy, m->goal[t]) && steps < kMazeEvalSteps) {
        double a[2];
        pointmaze_oracle_action(*m, d, m->goal[t], xy, a);
        pointmaze_step(*m, xy, a);
        ASSERT_FALSE(pointmaze_blocked(*m, xy[0], xy[1])) << m->name << " at step " << steps;
        ++steps;
      }
      EXPECT_LT(steps, kMazeEvalSteps) << m->name << " task " << t + 1;
      // Lower bound: the straight-line distance minus the radius, at 0.2 per step.
      double s[2], g[2];
      pointmaze_cell_centre(m->start[t], s);
      pointmaze_cell_centre(m->goal[t], g);
      EXPECT_GE(steps, (std::hypot(g[0] - s[0], g[1] - s[1]) - kMazeGoalRadius) / kMazeStepScale);
    }
}

TEST(PointmazeTest, DatasetRelabelsTaskGoalAndReplays) {
  const Maze& m = medium();
  const long episodes = 20;
  const Dataset d = pointmaze_make_dataset(m, 1, episodes, 5);
  ASSERT_EQ(d.n, episodes * kMazeDataSteps);
  ASSERT_EQ(d.observations.size(), static_cast<size_t>(2 * d.n));
  ASSERT_EQ(d.actions.size(), static_cast<size_t>(2 * d.n));
  long at_goal = 0;
  for (long i = 0; i < d.n; ++i) {
    const size_t u = static_cast<size_t>(i);
    const bool last = i % kMazeDataSteps == kMazeDataSteps - 1;
    EXPECT_EQ(d.terminals[u], last ? real(1) : real(0));
    const double xy[2] = {d.observations[2 * u], d.observations[2 * u + 1]};
    EXPECT_FALSE(pointmaze_blocked(m, xy[0], xy[1])) << "transition " << i;
    // OGBench relabelling: reward = success - 1, mask = 1 - success, from
    // the state in which the action is taken.
    const bool success = pointmaze_success(xy, m.goal[0]);
    EXPECT_EQ(d.rewards[u], success ? real(0) : real(-1)) << "transition " << i;
    EXPECT_EQ(d.masks[u], success ? real(0) : real(1)) << "transition " << i;
    at_goal += success ? 1 : 0;
    EXPECT_LE(std::fabs(d.actions[2 * u]), real(1));
    EXPECT_LE(std::fabs(d.actions[2 * u + 1]), real(1));
    // One step of the stored action from the stored state gives the next
    // stored state (up to rounding to `real`).
    if (!last) {
      double next[2] = {xy[0], xy[1]};
      const double a[2] = {d.actions[2 * u], d.actions[2 * u + 1]};
      pointmaze_step(m, next, a);
      EXPECT_NEAR(next[0], d.observations[2 * u + 2], 1e-4) << "transition " << i;
      EXPECT_NEAR(next[1], d.observations[2 * u + 3], 1e-4) << "transition " << i;
    }
  }
  EXPECT_GT(at_goal, 0) << "no data at the task's goal in 20 episodes";
}

}  // namespace
}  // namespace rql
