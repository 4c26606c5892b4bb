// error.h: the error type of the I/O and setup boundary (files, configs,
// command lines). Messages name the file, key or line, what was found and
// what was expected. The numeric core (embedded profile) never throws: it
// validates at setup by return value and trusts its inputs afterwards.
#pragma once

#include <stdexcept>
#include <string>

namespace rql {

struct Error : std::runtime_error {
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace rql
