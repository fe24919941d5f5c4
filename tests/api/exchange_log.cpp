#include "tests/api/exchange_log.hpp"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/json_config.hpp"
#include "runner/api/json_writer.hpp"

namespace be::api::test {

ExchangeLog::ExchangeLog() {
  if (const char* path = std::getenv("BE_API_EXCHANGES"); path != nullptr && *path != '\0')
    out_.open(path, std::ios::trunc);
}

void ExchangeLog::record(const DocExample& example, const ExampleResult& result) {
  if (!enabled() || !result.answered) return;
  // The request block: "METHOD target", headers, a blank line, the body.
  const auto& lines = example.request.lines;
  const std::string& first = lines[0];
  const std::size_t space = first.find(' ');
  std::size_t i = 1;
  while (i < lines.size() && !lines[i].empty())
    ++i;
  std::string body;
  for (std::size_t j = i + 1; j < lines.size(); ++j)
    body += (j > i + 1 ? "\n" : "") + lines[j];
  JsonWriter w;
  w.begin_object()
      .field("where", example.where())
      .field("method", first.substr(0, space))
      .field("target", space == std::string::npos ? std::string() : first.substr(space + 1))
      .field("request_body", body)
      .field("status", result.reply.status)
      .field("content_type", result.reply.header("content-type"))
      .field("body", result.reply.body)
      .end_object();
  out_ << w.str() << '\n' << std::flush;
}

namespace {

// A number field of a JSON object text, or nullopt.
std::optional<std::uint64_t> number_field(std::string_view json, std::string_view key) {
  auto parsed = config::parse(json);
  const config::Value* v = parsed ? parsed->find(key) : nullptr;
  if (v == nullptr || v->kind != config::Value::Kind::kNumber) return std::nullopt;
  std::uint64_t n = 0;
  const auto r = std::from_chars(v->text.data(), v->text.data() + v->text.size(), n);
  return r.ec == std::errc{} ? std::optional(n) : std::nullopt;
}

}  // namespace

void ExchangeLog::record_stream(std::uint16_t port, std::string_view admin_token) {
  if (!enabled()) return;
  TestClient stream;
  if (!stream.connect(port) || !stream.ws_handshake("/api/v1/stream?since=0", admin_token)) return;
  // A last event whose seq the stream must reach, so the reading ends on a message rather than
  // on a read's deadline: the global kill switch set and reset, after the stream opened.
  std::optional<std::uint64_t> last;
  for (const std::string_view action : {"set", "reset"}) {
    TestClient command;
    if (!command.connect(port)) return;
    const auto reply =
        command.request("POST", "/api/v1/kill-switch", admin_token,
                        R"({"scope":"global","action":")" + std::string(action) + R"("})", false);
    if (!reply || reply->status != 200) return;
    last = number_field(reply->body, "sequence");
  }
  constexpr int kMaxMessages = 2000;
  for (int n = 1; n <= kMaxMessages; ++n) {
    const auto message = stream.ws_read();
    if (!message) return;
    JsonWriter w;
    w.begin_object()
        .field("where", "stream ?since=0, message " + std::to_string(n))
        .field("stream", true)
        .field("body", *message)
        .end_object();
    out_ << w.str() << '\n' << std::flush;
    const auto seq = number_field(*message, "seq");
    if (last && seq && *seq >= *last) return;
  }
}

}  // namespace be::api::test
