// cli_args.cpp: flag parsing for the subcommands (cli_args.h).
#include "cli_args.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <sstream>

#include "io/error.h"

namespace rql {

std::string ParsedArgs::get(const std::string& name, const std::string& fallback) const {
  const auto it = values.find(name);
  return it == values.end() ? fallback : it->second;
}

namespace {

// Edit distance, for "did you mean" hints.
size_t distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min(std::min(prev[j] + 1, cur[j - 1] + 1), sub);
    }
    prev.swap(cur);
  }
  return prev[b.size()];
}

const FlagSpec* find(const std::vector<FlagSpec>& specs, const std::string& name) {
  for (const FlagSpec& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace

ParsedArgs parse_flags(int argc, char** argv, int first, const std::vector<FlagSpec>& specs) {
  ParsedArgs a;
  for (int i = first; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      if (arg == "-h") {
        a.values["help"] = "true";
        continue;
      }
      a.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "help") {
      a.values["help"] = "true";
      continue;
    }
    const FlagSpec* spec = find(specs, name);
    if (!spec) {
      std::string hint;
      for (const FlagSpec& s : specs)
        if (distance(s.name, name) <= 2) hint += (hint.empty() ? "" : ", ") + ("--" + s.name);
      throw UsageError("unknown flag --" + name + (hint.empty() ? "" : " (did you mean " + hint + "?)") +
                       "; see --help");
    }
    if (spec->value_name.empty()) {
      if (inline_value && value != "true" && value != "false")
        throw UsageError("--" + name + " is a switch: give it alone (or =true / =false), not '" + value + "'");
      a.values[name] = inline_value ? value : "true";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) throw UsageError("--" + name + " expects a value (" + spec->value_name + ")");
      value = argv[++i];
    }
    a.values[name] = value;
  }
  return a;
}

long long flag_int(const ParsedArgs& a, const std::string& name, long long fallback, long long lo, long long hi) {
  if (!a.has(name)) return fallback;
  const std::string text = a.get(name, "");
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw UsageError("--" + name + " expects an integer; got '" + text + "'");
  if (v < lo || v > hi)
    throw UsageError("--" + name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]; got " + text);
  return v;
}

double flag_double(const ParsedArgs& a, const std::string& name, double fallback, double lo, double hi) {
  if (!a.has(name)) return fallback;
  const std::string text = a.get(name, "");
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
    throw UsageError("--" + name + " expects a number; got '" + text + "'");
  if (v < lo || v > hi)
    throw UsageError("--" + name + " must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]; got " + text);
  return v;
}

std::string flags_help(const std::vector<FlagSpec>& specs) {
  std::string out;
  for (const FlagSpec& s : specs) {
    std::string left = "  --" + s.name + (s.value_name.empty() ? "" : " " + s.value_name);
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    out += left + s.help + (s.default_value.empty() ? "" : " [" + s.default_value + "]") + "\n";
  }
  return out;
}

std::map<std::string, std::string> parse_kv_lines(const std::string& text) {
  std::map<std::string, std::string> kv;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos && line[0] != '#') kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

int run_guarded(const char* name, int (*body)(int, char**), int argc, char** argv) {
  try {
    return body(argc, argv);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rql %s: %s\n", name, e.what());
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "rql %s: %s\n", name, e.what());
    return 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "rql %s: out of memory (a network, a dataset or a checkpoint did not fit): try smaller "
                 "--actor_hidden_dims/--value_hidden_dims/--ensemble_ct/--batch_size\n",
                 name);
    return 1;
  }
}

}  // namespace rql
