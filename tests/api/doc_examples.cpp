#include "tests/api/doc_examples.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>
#include <utility>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {

namespace fs = std::filesystem;

namespace {

std::string substitute(std::string s) {
  const std::pair<std::string_view, std::string_view> vars[] = {
      {"$ADMIN_TOKEN", kAdminToken}, {"$ALICE_TOKEN", kAliceToken}, {"$BOB_TOKEN", kBobToken}};
  for (const auto& [name, value] : vars) {
    for (auto at = s.find(name); at != std::string::npos; at = s.find(name, at + value.size()))
      s.replace(at, name.size(), value);
  }
  return s;
}

std::string join(const std::vector<std::string>& lines, std::size_t from) {
  std::string s;
  for (std::size_t i = from; i < lines.size(); ++i) {
    if (i > from) s += '\n';
    s += lines[i];
  }
  return s;
}

}  // namespace

std::string DocExample::where() const {
  return "docs/API.md:" + std::to_string(request.line) + ": " +
         (request.lines.empty() ? std::string() : request.lines[0]);
}

fs::path api_doc_path() {
  return fs::path(BE_SOURCE_DIR) / "docs" / "API.md";
}

std::vector<DocExample> parse_doc(const fs::path& path, std::string& problems) {
  std::ifstream in(path);
  std::vector<DocExample> out;
  std::optional<DocBlock> pending;
  std::optional<DocBlock> block;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    if (!block) {
      if (line == "```http") block = DocBlock{n + 1, {}};
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
      if (block->lines.empty()) {
        problems += "line " + std::to_string(block->line) + ": an empty request block\n";
      } else {
        pending = *block;
      }
    }
    block.reset();
  }
  if (pending) problems += "line " + std::to_string(pending->line) + ": request without response\n";
  return out;
}

void load_doc_examples(std::vector<DocExample>& out) {
  const fs::path doc = api_doc_path();
  ASSERT_TRUE(fs::exists(doc)) << doc;
  std::string problems;
  out = parse_doc(doc, problems);
  ASSERT_TRUE(problems.empty()) << problems;
  ASSERT_GE(out.size(), 20u) << "docs/API.md lost its examples";
}

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

void write_doc_reports(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "backtest-rsi.json")
      << R"({"trades":12,"pnl":"41.25","max_drawdown":"18.40","win_rate":0.58})";
}

BacktestFn doc_backtest_fn() {
  return [](std::uint64_t, const std::vector<std::string>&, std::stop_token) {
    BacktestOutcome out;
    out.ok = true;
    out.report_json = R"({"bots":[{"name":"btc rsi","trades":0}],"total":{"trades":0}})";
    out.report_html = "<!doctype html><title>backtest</title>";
    return out;
  };
}

void wait_for_backtests(const BacktestQueue& queue, const DocExample& e) {
  if (e.request.lines.empty() || e.request.lines[0].find("/api/v1/backtests/") == std::string::npos)
    return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  const auto busy = [&] {
    for (const BacktestJob& job : queue.list(UserId{0}, true))
      if (job.state == BacktestState::kQueued || job.state == BacktestState::kRunning) return true;
    return false;
  };
  while (busy() && std::chrono::steady_clock::now() < end)
    std::this_thread::yield();
}

std::string ExampleResult::describe() const {
  std::string s;
  for (const std::string& m : mismatches)
    s += m + "\n";
  return s;
}

ExampleResult run_example(std::uint16_t port, const DocExample& e) {
  ExampleResult r;
  // Request: "METHOD target", headers, blank line, body.
  const auto& req = e.request.lines;
  std::size_t i = 1;
  std::string head = substitute(req[0]) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (; i < req.size() && !req[i].empty(); ++i)
    head += substitute(req[i]) + "\r\n";
  const std::string body = i < req.size() ? join(req, i + 1) : "";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  TestClient c;
  if (!c.connect(port) || !c.send_raw(head + body)) {
    r.mismatches.push_back("could not send the request");
    return r;
  }
  auto reply = c.read_reply();
  if (!reply) {
    r.mismatches.push_back("no answer");
    return r;
  }
  r.answered = true;
  r.reply = std::move(*reply);

  const auto& res = e.response.lines;
  const std::string expected_status = res[0].substr(9, 3);
  if (std::to_string(r.reply.status) != expected_status) {
    r.mismatches.push_back("status: expected " + expected_status + ", got " +
                           std::to_string(r.reply.status));
  }
  std::size_t j = 1;
  for (; j < res.size() && !res[j].empty(); ++j) {
    const std::string& h = res[j];
    const auto colon = h.find(": ");
    if (colon == std::string::npos) {
      r.mismatches.push_back("the doc's header line does not parse: " + h);
      continue;
    }
    std::string name = h.substr(0, colon);
    for (char& ch : name)
      ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!glob(h.substr(colon + 2), r.reply.header(name)))
      r.mismatches.push_back("header: expected " + h + ", got " + r.reply.header(name));
  }
  const std::string expected = j < res.size() ? join(res, j + 1) : "";
  bool body_ok = false;
  if (r.reply.header("content-type") == "application/json") {
    body_ok = glob(squeeze_json(expected), squeeze_json(r.reply.body));
  } else {
    std::string actual = r.reply.body;
    while (!actual.empty() && actual.back() == '\n')
      actual.pop_back();
    body_ok = glob(expected, actual);
  }
  if (!body_ok) r.mismatches.push_back("body: expected\n" + expected + "\ngot\n" + r.reply.body);
  return r;
}

}  // namespace be::api::test
