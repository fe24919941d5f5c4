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
