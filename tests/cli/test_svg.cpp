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
  // row), so 38 walls; plus the floor and the start region: 40 rects. One circle for the goal and one end dot
  // per trajectory.
  const std::vector<std::vector<real>> traj = {{0, 0, 0.2f, 0.1f, 0.4f, 0.2f}, {1, 1, 1, 2}};
  const std::string doc = maze_svg("pointmaze-medium", 1, traj);
  EXPECT_EQ(count(doc, "<rect"), 40);
  EXPECT_EQ(count(doc, "<circle"), 3);
  EXPECT_EQ(count(doc, "<polyline"), 2);
  EXPECT_NE(doc.find("pointmaze-medium task 1: (1,1) -&gt; (6,6)"), std::string::npos);
  // The viewBox spans x in [-6.5, 26.5] and a 3-unit title band above y = -6.
  EXPECT_NE(doc.find("viewBox=\"-6.5 -9 33 35.5\""), std::string::npos);
}

}  // namespace
}  // namespace rql
