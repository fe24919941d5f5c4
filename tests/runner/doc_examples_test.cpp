// Runs the examples in the reference docs, so the docs cannot drift from the binary.
//
// In any docs/*.md, a fenced block tagged `console` is executable:
//
//   ```console
//   $ botengine version
//   botengine 0.1.0
//   ...
//   ```
//
// Each `$ ` line is run with bash (pipefail) in a scratch directory holding the fixtures
// below, with the built botengine first on PATH and $BE_SHARED_DATA set. The lines after it,
// up to the next `$ ` or the end of the block, are the expected output (stdout and stderr
// together): each must match exactly after trailing spaces are trimmed, except that a line
// `...` matches any run of lines and `[exit N]` as the last line expects exit status N
// (otherwise 0). Blocks tagged `sh`, `json` or anything else are prose, not run.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/runner/doc_fixtures.hpp"

namespace fs = std::filesystem;

namespace {

struct Example {
  std::string file;
  int line = 0;
  std::string command;
  std::vector<std::string> expected;
  int expected_exit = 0;
};

std::string rtrim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\t'))
    s.pop_back();
  return s;
}

std::vector<Example> parse_examples(const fs::path& doc) {
  std::vector<Example> out;
  std::ifstream in(doc);
  std::string line;
  bool in_console = false;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    line = rtrim(line);
    if (!in_console) {
      if (line == "```console") in_console = true;
      continue;
    }
    if (line.rfind("```", 0) == 0) {
      in_console = false;
      continue;
    }
    if (line.rfind("$ ", 0) == 0) {
      out.push_back({doc.filename().string(), line_no, line.substr(2), {}, 0});
    } else if (!out.empty()) {
      out.back().expected.push_back(line);
    }
  }
  for (Example& e : out) {
    if (!e.expected.empty() && e.expected.back().rfind("[exit ", 0) == 0) {
      e.expected_exit = std::atoi(e.expected.back().c_str() + 6);
      e.expected.pop_back();
    }
    while (!e.expected.empty() && e.expected.back().empty())
      e.expected.pop_back();
  }
  return out;
}

struct RunResult {
  std::vector<std::string> lines;
  int exit_code = -1;
};

RunResult run_in(const fs::path& dir, const std::string& command) {
  const fs::path script = dir / ".example.sh";
  {
    std::ofstream s(script);
    s << "set -o pipefail\ncd '" << dir.string() << "'\nexport PATH='" << BE_BOTENGINE_DIR
      << "':\"$PATH\"\n"
      << command << "\n";
  }
  const std::string shell = "bash '" + script.string() + "' 2>&1";
  RunResult r;
  FILE* pipe = popen(shell.c_str(), "r");
  if (pipe == nullptr) return r;
  std::string all;
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
    all.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::istringstream lines(all);
  std::string l;
  while (std::getline(lines, l))
    r.lines.push_back(rtrim(l));
  while (!r.lines.empty() && r.lines.back().empty())
    r.lines.pop_back();
  return r;
}

// Matches expected lines against actual ones; "..." matches any run of lines (greedy with
// backtracking, so a literal line after "..." may appear anywhere later).
bool matches(const std::vector<std::string>& expected, std::size_t ei,
             const std::vector<std::string>& actual, std::size_t ai) {
  if (ei == expected.size()) return ai == actual.size();
  if (expected[ei] == "...") {
    for (std::size_t k = ai; k <= actual.size(); ++k) {
      if (matches(expected, ei + 1, actual, k)) return true;
    }
    return false;
  }
  return ai < actual.size() && actual[ai] == expected[ei] &&
         matches(expected, ei + 1, actual, ai + 1);
}

std::string join(const std::vector<std::string>& lines) {
  std::string s;
  for (const auto& l : lines)
    s += "    " + l + "\n";
  return s;
}

class DocExamples : public ::testing::TestWithParam<std::string> {};

TEST_P(DocExamples, shouldProduceTheDocumentedOutput) {
  const fs::path doc = fs::path(BE_SOURCE_DIR) / "docs" / GetParam();
  ASSERT_TRUE(fs::exists(doc)) << doc;
  const auto examples = parse_examples(doc);
  ASSERT_FALSE(examples.empty()) << GetParam() << " lost its console examples";
  const char* shared = std::getenv("BE_SHARED_DATA");
  if (shared == nullptr || !fs::exists(shared)) {
    GTEST_SKIP() << "../shared/data is absent: the doc examples read it";
  }
  const fs::path scratch = fs::temp_directory_path() / ("be-doc-" + std::to_string(getpid()));
  fs::remove_all(scratch);
  fs::create_directories(scratch);
  be::test::write_doc_fixtures(scratch);
  for (const Example& e : examples) {
    SCOPED_TRACE(e.file + ":" + std::to_string(e.line) + ": $ " + e.command);
    const RunResult r = run_in(scratch, e.command);
    EXPECT_EQ(r.exit_code, e.expected_exit);
    EXPECT_TRUE(matches(e.expected, 0, r.lines, 0)) << "expected:\n"
                                                    << join(e.expected) << "actual:\n"
                                                    << join(r.lines);
  }
  fs::remove_all(scratch);
}

// Only docs that hold console examples become tests: a doc without any is prose.
std::vector<std::string> docs_with_examples() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(fs::path(BE_SOURCE_DIR) / "docs")) {
    if (entry.path().extension() == ".md" && !parse_examples(entry.path()).empty()) {
      names.push_back(entry.path().filename().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Docs, DocExamples, ::testing::ValuesIn(docs_with_examples()),
                         [](const auto& param_info) {
                           std::string n = param_info.param.substr(0, param_info.param.size() - 3);
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

}  // namespace
