// svg.h: a tiny SVG text builder for pictures (mazes, learning curves, flows).
//
// A picture is a plain struct holding the canvas size, the viewBox and the
// body text; free functions append elements to it. Coordinates are user units
// of the viewBox (SVG's y axis points DOWN: a caller that wants y up maps its
// data itself, e.g. y_svg = top + bottom - y). Numbers are written with
// "%.6g", so the same picture gives the same bytes on every platform.
//
// Left out on purpose: paths, gradients, CSS, fonts beyond a size, any
// parsing. `svg_raw` is the escape hatch for anything else.
#pragma once

#include <string>
#include <vector>

namespace rql {

struct Svg {
  double width_px = 0, height_px = 0;           // size on screen
  double view_x = 0, view_y = 0, view_w = 0, view_h = 0;  // viewBox, user units
  std::string body;                              // the elements, in drawing order
};

// How an element is painted. Colours are any SVG colour ("#1f77b4", "none",
// "black"). Widths are in user units.
struct SvgStyle {
  std::string stroke = "none";
  std::string fill = "none";
  double stroke_width = 1.0;
  double opacity = 1.0;     // applied to the whole element
  std::string dash;         // stroke-dasharray, e.g. "4 2"; empty for solid
};

// A picture of width_px x height_px pixels showing the user-unit rectangle
// [view_x, view_x + view_w] x [view_y, view_y + view_h].
Svg svg_begin(double width_px, double height_px, double view_x, double view_y, double view_w, double view_h);

void svg_line(Svg& s, double x1, double y1, double x2, double y2, const SvgStyle& style);
// xy is (n_points, 2) interleaved: x0 y0 x1 y1 ... Non-finite points are
// skipped (a diverged run must not make the file unreadable).
void svg_polyline(Svg& s, const std::vector<double>& xy, const SvgStyle& style);
void svg_circle(Svg& s, double cx, double cy, double r, const SvgStyle& style);
// The rectangle with top-left corner (x, y) in SVG coordinates.
void svg_rect(Svg& s, double x, double y, double w, double h, const SvgStyle& style);
// Text with its anchor point at (x, y) (the baseline); anchor is "start",
// "middle" or "end". The text is XML-escaped.
void svg_text(Svg& s, double x, double y, const std::string& text, double size, const std::string& fill = "black",
              const std::string& anchor = "start");
// Appends `element` verbatim (it must be well-formed SVG).
void svg_raw(Svg& s, const std::string& element);

// The complete document: XML header, <svg> with width, height and viewBox,
// the body, </svg>.
std::string svg_end(const Svg& s);
// Writes `document` to `path`; throws rql::Error naming the path on failure.
void svg_write_file(const std::string& path, const std::string& document);

// Helpers shared by the writers: a number as "%.6g" (non-finite -> "0"), and
// text with & < > " escaped.
std::string svg_number(double v);
std::string svg_escape(const std::string& text);

// Axis ticks at round numbers: a step of 1, 2 or 5 times a power of ten, the
// smallest such step giving at most `max_ticks` ticks over [lo, hi]. The
// ticks are the step's multiples from floor(lo / step) to ceil(hi / step),
// so they cover the range (an axis can span first..last tick). lo <= hi,
// both finite; lo == hi gives ticks around lo.
struct SvgTicks {
  double step = 1;
  std::vector<double> values;
};
SvgTicks svg_ticks(double lo, double hi, int max_ticks);
// A tick's label with as many decimals as the step needs and no exponent:
// 0.02 (step 0.01) -> "0.02", 7500 (step 500) -> "7500", 20000 (step
// 10000) -> "20k", 0 -> "0". With a step of 1000 or more every label of the
// axis is in thousands ("k").
std::string svg_tick_label(double v, double step);

}  // namespace rql
