// Where the real exchange data lives for the tests: $BE_SHARED_DATA (ctest sets it to
// <repo>/../shared/data), or "" when it is unset or holds no README.md (tests then SKIP).
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace be::test {

inline std::string shared_data() {
  const char* dir = std::getenv("BE_SHARED_DATA");
  if (dir == nullptr) return {};
  std::ifstream probe(std::string(dir) + "/README.md");
  return probe ? std::string(dir) : std::string();
}

}  // namespace be::test
