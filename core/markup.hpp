// Escaping text for markup, in one place: HTML and SVG (backtest reports, the latency
// harness's charts) escape <, >, & and the double quote (text may land in an attribute);
// the chat services' markup (Telegram's HTML parse mode, Slack's mrkdwn) treats only <, >
// and & as markup, and a literal &quot; would show there, so quotes are kept.
#pragma once

#include <string>
#include <string_view>

namespace be {

enum class MarkupQuotes : bool { kEscape, kKeep };

inline std::string escape_markup(std::string_view text,
                                 MarkupQuotes quotes = MarkupQuotes::kEscape) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += quotes == MarkupQuotes::kEscape ? "&quot;" : "\"";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace be
