// Runs the `botengine` binary this build made, for tests that check the real CLI (exit code
// and everything it prints). A test target gets the binary's path with
// be_test_uses_botengine(target) (tests/CMakeLists.txt); without it, REQUIRE_BOTENGINE()
// skips the calling test with a message.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace be::test {

struct CliResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

inline CliResult run_botengine(const std::string& args) {
  CliResult r;
#ifdef BE_BOTENGINE_PATH
  const std::string cmd = std::string(BE_BOTENGINE_PATH) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#else
  (void)args;
#endif
  return r;
}

}  // namespace be::test

#ifdef BE_BOTENGINE_PATH
#define REQUIRE_BOTENGINE() (void)0
#else
#define REQUIRE_BOTENGINE() GTEST_SKIP() << "botengine binary not part of this build"
#endif
