// Runs docs/API.md's examples against a live server, so the reference cannot drift from the
// code. An example is a fenced ```http request block followed by a ```http response block:
//
//   ```http                               ```http
//   POST /api/v1/bots                     HTTP/1.1 201 Created
//   Authorization: Bearer $ALICE_TOKEN    Content-Type: application/json
//
//   {"name": "btc rsi", ...}              {"id": 1, "sequence": ...}
//   ```                                   ```
//
// The status code must match; each response header shown must be present with that value;
// the body must match with `...` standing for any run of characters. JSON bodies are compared
// without the whitespace outside strings, so the doc may pretty-print them. $ADMIN_TOKEN,
// $ALICE_TOKEN and $BOB_TOKEN are the fixture users' tokens. Examples run in document order
// on one server, so later ones see what earlier ones created. Blocks tagged anything else
// (```json, ```text) are prose.
//
// Today the server runs over the in-memory FakeControlPlane; with the Engine landed, the same
// examples should run against it (swap the ControlPlane built below).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;

struct Block {
  int line = 0;
  std::vector<std::string> lines;
};

struct Example {
  Block request;
  Block response;
};

std::vector<Example> parse_doc(const fs::path& path, std::string& problems) {
  std::ifstream in(path);
  std::vector<Example> out;
  std::optional<Block> pending;
  std::optional<Block> block;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    if (!block) {
      if (line == "```http") block = Block{n + 1, {}};
      continue;
    }
    if (line != "```") {
      block->lines.push_back(line);
      continue;
    }
    const bool is_response = !block->lines.empty() && block->lines[0].rfind("HTTP/1.1 ", 0) == 0;
    if (is_response) {
      if (pending) {
        out.push_back({*pending, *block});
        pending.reset();
      } else {
        problems += "line " + std::to_string(block->line) + ": a response without a request\n";
      }
    } else {
      if (pending) {
        problems += "line " + std::to_string(pending->line) + ": a request without a response\n";
      }
      pending = *block;
    }
    block.reset();
  }
  if (pending) problems += "line " + std::to_string(pending->line) + ": request without response\n";
  return out;
}

std::string substitute(std::string s) {
  const std::pair<std::string_view, std::string_view> vars[] = {
      {"$ADMIN_TOKEN", kAdminToken}, {"$ALICE_TOKEN", kAliceToken}, {"$BOB_TOKEN", kBobToken}};
  for (const auto& [name, value] : vars) {
    for (auto at = s.find(name); at != std::string::npos; at = s.find(name, at + value.size()))
      s.replace(at, name.size(), value);
  }
  return s;
}

// Drops whitespace outside JSON strings.
std::string squeeze_json(std::string_view s) {
  std::string out;
  bool in_string = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < s.size()) {
        out += s[++i];
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
      out += c;
    } else if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      out += c;
    }
  }
  return out;
}

// `pattern` with "..." matching any run of characters.
bool glob(std::string_view pattern, std::string_view text) {
  const std::size_t star = pattern.find("...");
  if (star == std::string_view::npos) return pattern == text;
  if (text.substr(0, star) != pattern.substr(0, star)) return false;
  const std::string_view rest = pattern.substr(star + 3);
  for (std::size_t k = star; k <= text.size(); ++k) {
    if (glob(rest, text.substr(k))) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& lines, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (i > from) s += '\n';
    s += lines[i];
  }
  return s;
}

TEST_F(ApiServerTest, shouldAnswerEveryExampleInTheApiDoc) {
  const fs::path doc = fs::path(BE_SOURCE_DIR) / "docs" / "API.md";
  ASSERT_TRUE(fs::exists(doc)) << doc;
  std::string problems;
  const auto examples = parse_doc(doc, problems);
  ASSERT_TRUE(problems.empty()) << problems;
  ASSERT_GE(examples.size(), 20u) << "docs/API.md lost its examples";

  const fs::path reports = fs::temp_directory_path() / ("be-api-doc-" + std::to_string(getpid()));
  fs::remove_all(reports);
  fs::create_directories(reports);
  {
    std::ofstream(reports / "backtest-rsi.json")
        << R"({"trades":12,"pnl":"41.25","max_drawdown":"18.40","win_rate":0.58})";
  }
  ApiOptions options;
  options.reports_dir = reports;
  start(options);

  for (const Example& e : examples) {
    SCOPED_TRACE("docs/API.md:" + std::to_string(e.request.line) + ": " + e.request.lines[0]);
    // Request: "METHOD target", headers, blank line, body.
    std::size_t i = 1;
    std::string head = substitute(e.request.lines[0]) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (; i < e.request.lines.size() && !e.request.lines[i].empty(); ++i)
      head += substitute(e.request.lines[i]) + "\r\n";
    const std::string body = i < e.request.lines.size() ? join(e.request.lines, i + 1) : "";
    head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
    TestClient c;
    ASSERT_TRUE(c.connect(port_));
    ASSERT_TRUE(c.send_raw(head + body));
    auto reply = c.read_reply();
    ASSERT_TRUE(reply) << "no answer";

    const std::string& status_line = e.response.lines[0];
    EXPECT_EQ(std::to_string(reply->status), status_line.substr(9, 3)) << reply->body;
    std::size_t j = 1;
    for (; j < e.response.lines.size() && !e.response.lines[j].empty(); ++j) {
      const std::string& h = e.response.lines[j];
      const auto colon = h.find(": ");
      ASSERT_NE(colon, std::string::npos) << h;
      std::string name = h.substr(0, colon);
      for (char& ch : name)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      EXPECT_TRUE(glob(h.substr(colon + 2), reply->header(name)))
          << h << " vs " << reply->header(name);
    }
    const std::string expected = j < e.response.lines.size() ? join(e.response.lines, j + 1) : "";
    if (reply->header("content-type") == "application/json") {
      EXPECT_TRUE(glob(squeeze_json(expected), squeeze_json(reply->body)))
          << "expected:\n"
          << expected << "\nactual:\n"
          << reply->body;
    } else {
      std::string actual = reply->body;
      while (!actual.empty() && actual.back() == '\n')
        actual.pop_back();
      EXPECT_TRUE(glob(expected, actual)) << "expected:\n" << expected << "\nactual:\n" << actual;
    }
  }
  fs::remove_all(reports);
}

}  // namespace
}  // namespace be::api::test
