// cli_args.h: command-line flags for the `rql` subcommands: `--name=value`,
// `--name value`, and boolean `--name`. Every flag is declared with its
// help line, so --help text and "unknown flag" messages come from one table.
// Errors are UsageError (the subcommand prints it and exits 2).
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace rql {

struct UsageError : std::runtime_error {
  explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

struct FlagSpec {
  std::string name;        // without the dashes
  std::string value_name;  // "N", "PATH"...; empty for a boolean flag
  std::string help;        // one line
  std::string default_value;  // shown in --help; "" for none
};

struct ParsedArgs {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flags given (booleans map to "true")
  bool has(const std::string& name) const { return values.count(name) != 0; }
  std::string get(const std::string& name, const std::string& fallback) const;
};

// Throws UsageError for an unknown flag (naming close matches) or a missing
// value. `--help` is always accepted (as a boolean).
ParsedArgs parse_flags(int argc, char** argv, int first, const std::vector<FlagSpec>& specs);

// Typed access; throw UsageError naming the flag, the value and the range.
long long flag_int(const ParsedArgs& a, const std::string& name, long long fallback, long long lo, long long hi);
double flag_double(const ParsedArgs& a, const std::string& name, double fallback, double lo, double hi);

// "  --name VALUE   help [default]" lines.
std::string flags_help(const std::vector<FlagSpec>& specs);

// "key=value" lines into a map ('#' lines and lines without '=' skipped):
// a run folder's run.txt, a checkpoint's run section.
std::map<std::string, std::string> parse_kv_lines(const std::string& text);

// Runs a subcommand's body and turns what it throws into a message on
// stderr, "rql NAME: ...", and an exit code (cli.h): UsageError 2,
// rql::Error 1, std::bad_alloc 1 (with a hint to use smaller networks).
int run_guarded(const char* name, int (*body)(int, char**), int argc, char** argv);

}  // namespace rql
