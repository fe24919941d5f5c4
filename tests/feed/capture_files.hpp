// Where the shared captures live for tests: $BE_SHARED_DATA/captures (ctest sets it).
#pragma once

#include <cstdlib>
#include <string>

namespace be::feed::test {

// Empty when BE_SHARED_DATA is unset; tests GTEST_SKIP with a message then.
inline std::string captures_dir() {
  const char* root = std::getenv("BE_SHARED_DATA");
  if (root == nullptr || *root == '\0') return {};
  return std::string(root) + "/captures";
}

#define BE_REQUIRE_CAPTURES(dir)                                                 \
  const std::string dir = ::be::feed::test::captures_dir();                      \
  if (dir.empty()) {                                                             \
    GTEST_SKIP() << "BE_SHARED_DATA is not set: the shared captures are needed " \
                    "(ctest sets it to <repo>/../shared/data)";                  \
  }

}  // namespace be::feed::test

#include <fstream>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "feed/capture.hpp"

namespace be::feed::test {

// The line of `file` that starts with `prefix` (a receive time, say), whole; empty if none.
inline std::string find_line(const std::string& dir, const std::string& file,
                             std::string_view prefix) {
  std::ifstream in(dir + "/" + file);
  std::string line;
  while (std::getline(in, line)) {
    if (std::string_view(line).starts_with(prefix)) return line;
  }
  return {};
}

// Collects events; reserve() up front in allocation-sensitive tests.
struct Collect {
  std::vector<Event> events;
  void operator()(const Event& e) { events.push_back(e); }
};

}  // namespace be::feed::test
