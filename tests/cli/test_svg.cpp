// test_svg.cpp: the SVG text builder (svg.h) and the maze picture made with it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "envs/env.h"
#include "cli/svg.h"

namespace rql {
namespace {

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST(SvgTest, NumbersAreShortAndPortable) {
  EXPECT_EQ(svg_number(0.2), "0.2");
  EXPECT_EQ(svg_number(12.0), "12");
  EXPECT_EQ(svg_number(-1.5), "-1.5");
  EXPECT_EQ(svg_number(1.0 / 3.0), "0.333333");
  EXPECT_EQ(svg_number(-0.0), "0");
  EXPECT_EQ(svg_number(std::nan("")), "0");
}

TEST(SvgTest, TextIsEscaped) {
  EXPECT_EQ(svg_escape("a<b & \"c\">"), "a&lt;b &amp; &quot;c&quot;&gt;");
  Svg s = svg_begin(100, 50, 0, 0, 10, 5);
  svg_text(s, 1, 2, "x < y", 0.5);
  EXPECT_NE(s.body.find(">x &lt; y</text>"), std::string::npos) << s.body;
}

TEST(SvgTest, DocumentHasViewBoxAndElementsInOrder) {
  Svg s = svg_begin(200, 100, -1, -2, 20, 10);
  SvgStyle st;
  st.stroke = "red";
  st.stroke_width = 0.5;
  svg_rect(s, 0, 0, 2, 3, st);
  svg_line(s, 0, 0, 1, 1, st);
  svg_circle(s, 5, 5, 1, st);
  svg_polyline(s, {0, 0, 1, 2, 3, 4}, st);
  const std::string doc = svg_end(s);
  EXPECT_EQ(doc.rfind("<?xml", 0), 0u);
  EXPECT_NE(doc.find("width=\"200\" height=\"100\" viewBox=\"-1 -2 20 10\""), std::string::npos) << doc;
  EXPECT_NE(doc.find("<rect x=\"0\" y=\"0\" width=\"2\" height=\"3\" stroke=\"red\" fill=\"none\" stroke-width=\"0.5\"/>"),
            std::string::npos)
      << doc;
  EXPECT_NE(doc.find("points=\"0,0 1,2 3,4\""), std::string::npos) << doc;
  EXPECT_LT(doc.find("<rect"), doc.find("<line"));
  EXPECT_LT(doc.find("<circle"), doc.find("<polyline"));
  EXPECT_EQ(doc.substr(doc.size() - 7), "</svg>\n");
}

TEST(SvgTest, PolylineSkipsNonFinitePoints) {
  Svg s = svg_begin(10, 10, 0, 0, 10, 10);
  svg_polyline(s, {0, 0, std::nan(""), 1, 2, 2, 3, INFINITY}, SvgStyle());
  EXPECT_NE(s.body.find("points=\"0,0 2,2\""), std::string::npos) << s.body;
  Svg empty = svg_begin(10, 10, 0, 0, 10, 10);
  svg_polyline(empty, {std::nan(""), 0}, SvgStyle());
  EXPECT_TRUE(empty.body.empty());
}

TEST(SvgTest, MazePictureDrawsWallsStartGoalAndTrajectories) {
  // Medium map: 64 cells of which 26 are free (4 + 5 + 3 + 5 + 4 + 5 by
  // row), so 38 walls; plus the white paper, the floor, the start region and
  // the legend's start square: 42 rects. Circles: the goal, one end dot per
  // trajectory (2), and the legend's goal and end dot: 5.
  const std::vector<std::vector<real>> traj = {{0, 0, 0.2f, 0.1f, 0.4f, 0.2f}, {1, 1, 1, 2}};
  const std::string doc = maze_svg("pointmaze-medium", 1, traj);
  EXPECT_EQ(count(doc, "<rect"), 42);
  EXPECT_EQ(count(doc, "<circle"), 5);
  EXPECT_EQ(count(doc, "<polyline"), 2);
  EXPECT_NE(doc.find("pointmaze-medium task 1: (1,1) -&gt; (6,6)"), std::string::npos);
  // The viewBox spans x in [-6.5, 26.5], a 3-unit title band above y = -6
  // and a 2.8-unit legend band below the 32-unit maze: 3 + 32 + 2.8 = 37.8.
  EXPECT_NE(doc.find("viewBox=\"-6.5 -9 33 37.8\""), std::string::npos) << doc.substr(0, 300);
  EXPECT_NE(doc.find(">start<"), std::string::npos);
  EXPECT_NE(doc.find(">goal, radius 1<"), std::string::npos);
  EXPECT_NE(doc.find(">episode; dot: its end<"), std::string::npos);
}

TEST(SvgTest, MazeCaptionGetsItsOwnLine) {
  const std::string doc = maze_svg("pointmaze-large", 2, {}, "success 53% of 100 episodes");
  EXPECT_NE(doc.find(">success 53% of 100 episodes<"), std::string::npos);
  // The title band grows from 3 to 5 units: large is 12 x 9 cells of 4
  // units, so 49 wide (with the 0.5 margins) and 5 + 36 + 2.8 = 43.8 high.
  EXPECT_NE(doc.find("viewBox=\"-6.5 -11 49 43.8\""), std::string::npos) << doc.substr(0, 300);
}

// Ticks at 1-2-5 steps, worked by hand: [0, 7500] in at most 6 ticks needs a
// step of 2000 (1000 gives 0..8000 = 9 ticks, 2000 gives 0..8000 = 5);
// [0.0011, 0.0328]: 0.005 gives 0..0.035 = 8 ticks, 0.01 gives 0..0.04 = 5.
TEST(SvgTest, TicksAreRoundNumbers) {
  SvgTicks t = svg_ticks(0, 7500, 6);
  EXPECT_EQ(t.step, 2000);
  EXPECT_EQ(t.values, (std::vector<double>{0, 2000, 4000, 6000, 8000}));
  std::vector<std::string> labels;
  for (double v : t.values) labels.push_back(svg_tick_label(v, t.step));
  EXPECT_EQ(labels, (std::vector<std::string>{"0", "2k", "4k", "6k", "8k"}));
  t = svg_ticks(0.0011, 0.0328, 6);
  EXPECT_DOUBLE_EQ(t.step, 0.01);
  ASSERT_EQ(t.values.size(), 5u);
  EXPECT_EQ(svg_tick_label(t.values[1], t.step), "0.01");
  EXPECT_EQ(svg_tick_label(t.values[4], t.step), "0.04");
  // Negative values and a 0.5 step: [-1.2, 0.3] -> -1.5 .. 0.5 in 0.5 steps.
  t = svg_ticks(-1.2, 0.3, 6);
  EXPECT_EQ(t.step, 0.5);
  labels.clear();
  for (double v : t.values) labels.push_back(svg_tick_label(v, t.step));
  EXPECT_EQ(labels, (std::vector<std::string>{"-1.5", "-1.0", "-0.5", "0", "0.5"}));
  // The unit interval of the score panels: 0, 0.2, ..., 1.
  t = svg_ticks(0, 1, 6);
  EXPECT_EQ(t.values.size(), 6u);
  EXPECT_EQ(svg_tick_label(t.values[3], t.step), "0.6");
  // Step 500: no thousands ("7500", not "7.5k").
  EXPECT_EQ(svg_tick_label(7500, 500), "7500");
  // A constant series still gets an axis.
  t = svg_ticks(3, 3, 6);
  EXPECT_LE(t.values.front(), 3);
  EXPECT_GE(t.values.back(), 3);
  EXPECT_GT(t.values.back(), t.values.front());
}

}  // namespace
}  // namespace rql
