// error_capture.h: small helpers of the io tests. message_of runs a call
// expected to throw rql::Error and returns its message ("(no error)" when
// nothing was thrown); fresh_temp_dir makes an empty folder under the
// system temp dir, named after `tag` and the clock.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>

#include "io/error.h"

inline std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const rql::Error& e) {
    return e.what();
  }
  return "(no error)";
}

inline std::filesystem::path fresh_temp_dir(const std::string& tag) {
  const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
  std::filesystem::path p = std::filesystem::temp_directory_path() / ("rql_" + tag + "_" + std::to_string(t));
  std::filesystem::create_directories(p);
  return p;
}
