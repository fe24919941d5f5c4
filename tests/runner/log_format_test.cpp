// `botengine run --log-format json`: every line the real runner prints, stdout and stderr,
// from start to a clean stop, is one JSON object with the documented fields (docs/CLI.md).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "core/json_config.hpp"
#include "tests/support/botengine_cli.hpp"

namespace be {
namespace {

TEST(LogFormat, shouldPrintEveryLineOfARunAsOneJsonObject) {
  REQUIRE_BOTENGINE();
  const auto dir =
      std::filesystem::temp_directory_path() / ("be-log-format-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const test::CliResult run = test::run_botengine("run --data-dir " + dir.string() +
                                                  " --api-port 0 --log-format json --duration-s 2");
  std::filesystem::remove_all(dir);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::istringstream lines(run.output);
  std::string line;
  int parsed = 0;
  bool stopped = false;
  while (std::getline(lines, line)) {
    auto v = config::parse(line);
    ASSERT_TRUE(v.has_value()) << "not a JSON object: " << line;
    for (const char* field : {"time", "time_ns", "level", "component", "message"})
      ASSERT_NE(v->find(field), nullptr) << field << " missing in " << line;
    stopped = stopped || v->find("message")->text == "stopped cleanly";
    ++parsed;
  }
  EXPECT_GE(parsed, 5);  // simulator, API, token, journal, stopping, stopped
  EXPECT_TRUE(stopped) << run.output;
  EXPECT_NE(
      test::run_botengine("run --log-format yaml").output.find("--log-format needs text|json"),
      std::string::npos);
}

}  // namespace
}  // namespace be
