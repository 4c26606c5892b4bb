// svg.cpp: the SVG text builder of svg.h.
#include "svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "io/error.h"

namespace rql {

std::string svg_number(double v) {
  if (!std::isfinite(v)) return "0";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  // "-0" reads oddly and differs from "0" only by sign.
  if (buf[0] == '-' && buf[1] == '0' && buf[2] == '\0') return "0";
  return buf;
}

std::string svg_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// ` stroke="..." fill="..." ...` for one element.
std::string style_attributes(const SvgStyle& st) {
  std::string a = " stroke=\"" + svg_escape(st.stroke) + "\" fill=\"" + svg_escape(st.fill) + "\"";
  if (st.stroke != "none") a += " stroke-width=\"" + svg_number(st.stroke_width) + "\"";
  if (st.opacity != 1.0) a += " opacity=\"" + svg_number(st.opacity) + "\"";
  if (!st.dash.empty()) a += " stroke-dasharray=\"" + svg_escape(st.dash) + "\"";
  return a;
}

}  // namespace

Svg svg_begin(double width_px, double height_px, double view_x, double view_y, double view_w, double view_h) {
  Svg s;
  s.width_px = width_px;
  s.height_px = height_px;
  s.view_x = view_x;
  s.view_y = view_y;
  s.view_w = view_w;
  s.view_h = view_h;
  return s;
}

void svg_line(Svg& s, double x1, double y1, double x2, double y2, const SvgStyle& style) {
  s.body += "<line x1=\"" + svg_number(x1) + "\" y1=\"" + svg_number(y1) + "\" x2=\"" + svg_number(x2) + "\" y2=\"" +
            svg_number(y2) + "\"" + style_attributes(style) + "/>\n";
}

void svg_polyline(Svg& s, const std::vector<double>& xy, const SvgStyle& style) {
  std::string points;
  // xy is (n, 2): point p is (xy[2p], xy[2p + 1]).
  for (size_t p = 0; 2 * p + 1 < xy.size(); ++p) {
    const double x = xy[2 * p], y = xy[2 * p + 1];
    if (!std::isfinite(x) || !std::isfinite(y)) continue;
    if (!points.empty()) points += ' ';
    points += svg_number(x) + "," + svg_number(y);
  }
  if (points.empty()) return;
  // Stroke joins stay round so that a dense trajectory does not spike.
  s.body += "<polyline points=\"" + points + "\"" + style_attributes(style) +
            " stroke-linejoin=\"round\" stroke-linecap=\"round\"/>\n";
}

void svg_circle(Svg& s, double cx, double cy, double r, const SvgStyle& style) {
  s.body += "<circle cx=\"" + svg_number(cx) + "\" cy=\"" + svg_number(cy) + "\" r=\"" + svg_number(r) + "\"" +
            style_attributes(style) + "/>\n";
}

void svg_rect(Svg& s, double x, double y, double w, double h, const SvgStyle& style) {
  s.body += "<rect x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) + "\" width=\"" + svg_number(w) +
            "\" height=\"" + svg_number(h) + "\"" + style_attributes(style) + "/>\n";
}

void svg_text(Svg& s, double x, double y, const std::string& text, double size, const std::string& fill,
              const std::string& anchor) {
  s.body += "<text x=\"" + svg_number(x) + "\" y=\"" + svg_number(y) + "\" font-size=\"" + svg_number(size) +
            "\" font-family=\"sans-serif\" fill=\"" + svg_escape(fill) + "\" text-anchor=\"" + svg_escape(anchor) +
            "\">" + svg_escape(text) + "</text>\n";
}

SvgTicks svg_ticks(double lo, double hi, int max_ticks) {
  if (hi < lo) std::swap(lo, hi);
  if (max_ticks < 2) max_ticks = 2;
  if (hi - lo <= 0) {  // one value: one unit (of its own magnitude) either side
    const double m = lo == 0 ? 1 : std::pow(10.0, std::floor(std::log10(std::fabs(lo))));
    lo -= m, hi += m;
  }
  SvgTicks t;
  // Candidate steps 1, 2, 5 x 10^k from a power of ten at or below the range
  // / max_ticks, upwards until the ticks fit.
  double p = std::pow(10.0, std::floor(std::log10((hi - lo) / max_ticks)));
  for (int i = 0;; ++i) {
    const double step = p * (i % 3 == 0 ? 1 : i % 3 == 1 ? 2 : 5);
    if (i % 3 == 2) p *= 10;
    const double first = std::floor(lo / step), last = std::ceil(hi / step);
    if (last - first + 1 <= max_ticks) {
      t.step = step;
      for (double k = first; k <= last; k += 1) t.values.push_back(k * step == 0 ? 0 : k * step);
      return t;
    }
  }
}

std::string svg_tick_label(double v, double step) {
  step = std::fabs(step);
  const bool thousands = step >= 1000;
  if (thousands) v /= 1000, step /= 1000;
  if (std::fabs(v) < 1e-9 * step) return "0";
  // As many decimals as the step has: 0.5 -> 1, 0.02 -> 2, 2 -> 0.
  int decimals = 0;
  for (double scaled = step; decimals < 12 && std::fabs(scaled - std::round(scaled)) > 1e-6 * scaled; scaled *= 10)
    ++decimals;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*f%s", decimals, v, thousands ? "k" : "");
  return buf;
}

void svg_raw(Svg& s, const std::string& element) {
  s.body += element;
  if (element.empty() || element.back() != '\n') s.body += '\n';
}

std::string svg_end(const Svg& s) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" +
         svg_number(s.width_px) + "\" height=\"" + svg_number(s.height_px) + "\" viewBox=\"" + svg_number(s.view_x) +
         " " + svg_number(s.view_y) + " " + svg_number(s.view_w) + " " + svg_number(s.view_h) + "\">\n" + s.body +
         "</svg>\n";
}

void svg_write_file(const std::string& path, const std::string& document) {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open '" + path + "' for writing (does its folder exist?)");
  f << document;
  f.close();
  if (!f) throw Error("error while writing '" + path + "'");
}

}  // namespace rql
