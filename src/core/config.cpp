// config.cpp: parsing, printing and validating RqlConfig (config.h).
// No exceptions: numbers are read with strtod/strtoll and checked.
#include "config.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "memory.h"

namespace rql {

namespace {

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t' || s[a] == '\r')) ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r')) --b;
  return s.substr(a, b - a);
}

bool parse_double(const std::string& v, double* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double x = std::strtod(v.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(x)) return false;
  *out = x;
  return true;
}

bool parse_int(const std::string& v, long long lo, long long hi, long long* out) {
  if (v.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || x < lo || x > hi) return false;
  *out = x;
  return true;
}

bool parse_bool(const std::string& v, bool* out) {
  if (v == "true" || v == "True" || v == "1") return *out = true, true;
  if (v == "false" || v == "False" || v == "0") return *out = false, true;
  return false;
}

bool parse_dims(const std::string& v, std::vector<int>* out) {
  std::vector<int> dims;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    long long d;
    if (!parse_int(trim(v.substr(start, comma - start)), 1, 1 << 20, &d)) return false;
    dims.push_back(static_cast<int>(d));
    start = comma + 1;
  }
  *out = dims;
  return true;
}

std::string dims_text(const std::vector<int>& d) {
  std::string s;
  for (size_t i = 0; i < d.size(); ++i) s += (i ? "," : "") + std::to_string(d[i]);
  return s;
}

// The shortest "%.Ng" text that reads back as exactly x (0.0003, not
// 0.00029999999999999997), so config.txt round-trips and stays readable.
std::string num_text(double x) {
  char buf[40];
  for (int digits = 6; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x) break;
  }
  return buf;
}

std::string bad(const std::string& key, const std::string& value, const char* expected) {
  return "key '" + key + "': value '" + value + "' is not " + expected;
}

}  // namespace

const std::vector<std::string>& config_keys() {
  static const std::vector<std::string> kKeys = {
      "obs_dim", "action_dim", "h", "alpha", "expectile", "ensemble_ct", "rho", "lr", "discount",
      "batch_size", "actor_hidden_dims", "value_hidden_dims", "layer_norm", "actor_layer_norm", "tau", "ema",
      "flow_steps", "reversal", "seed", "bc_only"};
  return kKeys;
}

std::string config_set(RqlConfig& c, const std::string& key, const std::string& raw) {
  // A NUL byte would end the text strtod and strtoll read ("lr=0.5\0junk"
  // would read as 0.5): refuse it instead.
  if (key.find('\0') != std::string::npos) return "a key contains a NUL byte";
  if (raw.find('\0') != std::string::npos) return "key '" + key + "': the value contains a NUL byte";
  const std::string v = trim(raw);
  long long i;
  double x;
  bool b;
  int* ints[] = {&c.obs_dim, &c.action_dim, &c.h, &c.ensemble_ct, &c.batch_size, &c.flow_steps};
  const char* int_keys[] = {"obs_dim", "action_dim", "h", "ensemble_ct", "batch_size", "flow_steps"};
  for (int k = 0; k < 6; ++k)
    if (key == int_keys[k]) {
      if (!parse_int(v, -(1LL << 31), (1LL << 31) - 1, &i)) return bad(key, v, "an integer");
      *ints[k] = static_cast<int>(i);
      return "";
    }
  double* reals[] = {&c.alpha, &c.expectile, &c.rho, &c.lr, &c.discount, &c.tau, &c.ema};
  const char* real_keys[] = {"alpha", "expectile", "rho", "lr", "discount", "tau", "ema"};
  for (int k = 0; k < 7; ++k)
    if (key == real_keys[k]) {
      if (!parse_double(v, &x)) return bad(key, v, "a finite number");
      *reals[k] = x;
      return "";
    }
  if (key == "layer_norm" || key == "actor_layer_norm" || key == "bc_only") {
    if (!parse_bool(v, &b)) return bad(key, v, "true or false");
    (key == "layer_norm" ? c.layer_norm : key == "bc_only" ? c.bc_only : c.actor_layer_norm) = b;
    return "";
  }
  if (key == "actor_hidden_dims" || key == "value_hidden_dims") {
    std::vector<int> d;
    if (!parse_dims(v, &d)) return bad(key, v, "a comma-separated list of positive integers (e.g. 512,512)");
    (key == "actor_hidden_dims" ? c.actor_hidden_dims : c.value_hidden_dims) = d;
    return "";
  }
  if (key == "reversal") {
    if (v == "euler") c.reversal = Reversal::kEuler;
    else if (v == "exact") c.reversal = Reversal::kExact;
    else return bad(key, v, "'euler' or 'exact'");
    return "";
  }
  if (key == "seed") {
    if (!parse_int(v, 0, (1LL << 62), &i)) return bad(key, v, "a non-negative integer");
    c.seed = static_cast<uint64_t>(i);
    return "";
  }
  std::string known;
  for (const std::string& k : config_keys()) known += (known.empty() ? "" : ", ") + k;
  return "unknown key '" + key + "' (known keys: " + known + ")";
}

std::string config_get(const RqlConfig& c, const std::string& key) {
  if (key == "obs_dim") return std::to_string(c.obs_dim);
  if (key == "action_dim") return std::to_string(c.action_dim);
  if (key == "h") return std::to_string(c.h);
  if (key == "alpha") return num_text(c.alpha);
  if (key == "expectile") return num_text(c.expectile);
  if (key == "ensemble_ct") return std::to_string(c.ensemble_ct);
  if (key == "rho") return num_text(c.rho);
  if (key == "lr") return num_text(c.lr);
  if (key == "discount") return num_text(c.discount);
  if (key == "batch_size") return std::to_string(c.batch_size);
  if (key == "actor_hidden_dims") return dims_text(c.actor_hidden_dims);
  if (key == "value_hidden_dims") return dims_text(c.value_hidden_dims);
  if (key == "layer_norm") return c.layer_norm ? "true" : "false";
  if (key == "actor_layer_norm") return c.actor_layer_norm ? "true" : "false";
  if (key == "tau") return num_text(c.tau);
  if (key == "ema") return num_text(c.ema);
  if (key == "flow_steps") return std::to_string(c.flow_steps);
  if (key == "reversal") return c.reversal == Reversal::kExact ? "exact" : "euler";
  if (key == "seed") return std::to_string(c.seed);
  if (key == "bc_only") return c.bc_only ? "true" : "false";
  return "";
}

std::string config_to_text(const RqlConfig& c) {
  std::string s;
  for (const std::string& k : config_keys()) s += k + "=" + config_get(c, k) + "\n";
  return s;
}

std::string config_parse(RqlConfig& c, const std::string& text, const std::string& source) {
  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = trim(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    const std::string where = source + " line " + std::to_string(line_no) + ": ";
    if (eq == std::string::npos) return where + "expected key=value, found '" + line + "'";
    const std::string err = config_set(c, trim(line.substr(0, eq)), line.substr(eq + 1));
    if (!err.empty()) return where + err;
  }
  return "";
}

std::string config_validate(const RqlConfig& c) {
  // Set in code rather than parsed, a double may be inf or NaN: refuse them
  // before the range checks (inf passes "lr > 0").
  const double* reals[] = {&c.alpha, &c.expectile, &c.rho, &c.lr, &c.discount, &c.tau, &c.ema};
  const char* real_keys[] = {"alpha", "expectile", "rho", "lr", "discount", "tau", "ema"};
  for (int k = 0; k < 7; ++k)
    if (!std::isfinite(*reals[k])) return std::string(real_keys[k]) + " must be a finite number (got " + num_text(*reals[k]) + ")";
  if (c.obs_dim < 1) return "obs_dim must be >= 1 (got " + std::to_string(c.obs_dim) + ")";
  if (c.action_dim < 1) return "action_dim must be >= 1 (got " + std::to_string(c.action_dim) + ")";
  if (c.h < 1) return "h must be >= 1 (got " + std::to_string(c.h) + ")";
  if (c.flow_steps < 1) return "flow_steps must be >= 1 (got " + std::to_string(c.flow_steps) + ")";
  if (c.ensemble_ct < 1) return "ensemble_ct must be >= 1 (got " + std::to_string(c.ensemble_ct) + ")";
  if (c.batch_size < 2 || c.batch_size % 2 != 0)
    return "batch_size must be even and >= 2: half the batch draws d uniformly, half on the flow grid "
           "(docs/spec.md §4) (got " + std::to_string(c.batch_size) + ")";
  if (!(c.expectile > 0 && c.expectile < 1)) return "expectile must be in (0, 1) (got " + num_text(c.expectile) + ")";
  if (!(c.discount >= 0 && c.discount <= 1)) return "discount must be in [0, 1] (got " + num_text(c.discount) + ")";
  if (!(c.lr > 0)) return "lr must be > 0 (got " + num_text(c.lr) + ")";
  if (!(c.alpha >= 0)) return "alpha must be >= 0 (got " + num_text(c.alpha) + ")";
  if (!(c.rho >= 0)) return "rho must be >= 0 (got " + num_text(c.rho) + ")";
  if (!(c.tau >= 0 && c.tau <= 1)) return "tau must be in [0, 1] (got " + num_text(c.tau) + ")";
  if (!(c.ema >= 0 && c.ema <= 1)) return "ema must be in [0, 1] (got " + num_text(c.ema) + ")";
  if (c.actor_hidden_dims.empty()) return "actor_hidden_dims must list at least one layer";
  if (c.value_hidden_dims.empty()) return "value_hidden_dims must list at least one layer";
  if (static_cast<int>(c.actor_hidden_dims.size()) + 1 > kMaxLayers)
    return "actor_hidden_dims: at most " + std::to_string(kMaxLayers - 1) + " hidden layers";
  if (static_cast<int>(c.value_hidden_dims.size()) + 1 > kMaxLayers)
    return "value_hidden_dims: at most " + std::to_string(kMaxLayers - 1) + " hidden layers";
  for (int d : c.actor_hidden_dims)
    if (d < 1) return "actor_hidden_dims: every width must be >= 1 (got " + std::to_string(d) + ")";
  for (int d : c.value_hidden_dims)
    if (d < 1) return "value_hidden_dims: every width must be >= 1 (got " + std::to_string(d) + ")";
  // Sizes whose index arithmetic would overflow int (memory.h).
  return config_check_sizes(c);
}

}  // namespace rql
