#include "tests/api/exchange_log.hpp"

#include <cstdlib>

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

}  // namespace be::api::test
