#include "runner/notify/format.hpp"

#include "core/civil_time.hpp"
#include "core/codes.hpp"
#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "core/markup.hpp"
#include "core/names.hpp"

namespace be::notify {

namespace {

using config::append_json_string;  // the one JSON string escaper (core/json_config)

// Telegram's HTML parse mode and Slack's mrkdwn treat only <, > and & as markup.
std::string escape_chat(std::string_view s) {
  return escape_markup(s, MarkupQuotes::kKeep);
}

std::string decimal(std::int64_t value, int scale) {
  // A scale outside 0..18 would be a bug upstream; show the raw units rather than crash.
  if (scale < 0 || scale > kMaxDecimalScale) return std::to_string(value);
  return decimal_to_string(value, scale);
}

// The code field's meaning per kind, as a word; empty when the kind carries none.
std::string_view code_name(const Notification& n) {
  switch (n.kind) {
    case NotificationKind::kRiskReject:
      return to_string(static_cast<RiskRejectReason>(n.code));
    case NotificationKind::kKillSwitch:
      return n.code != 0 ? "set" : "reset";
    case NotificationKind::kFeedStatus:
      return to_string(static_cast<ConnectivityState>(n.code));
    case NotificationKind::kBotStatus:
      return to_string(static_cast<BotState>(n.code));
    case NotificationKind::kBotError:
      return "circuit_breaker";
    case NotificationKind::kReplicaDivergence:
    case NotificationKind::kTrade:
    case NotificationKind::kStopLoss:
    case NotificationKind::kTakeProfit:
    case NotificationKind::kTrailingStop:
      break;
  }
  return {};
}

std::string bot_label(const NotifyItem& item) {
  if (!item.bot_name.empty()) return item.bot_name;
  if (item.n.bot == kNoBot) return "engine";
  std::string out = "bot ";
  out.append(std::to_string(index_of(item.n.bot)));
  return out;
}

bool has_price(NotificationKind kind) {
  return kind == NotificationKind::kTrade || kind == NotificationKind::kStopLoss ||
         kind == NotificationKind::kTakeProfit || kind == NotificationKind::kTrailingStop;
}

constexpr std::array<Named<NotificationKind>, kNotificationKinds.size()> kTitles{{
    {NotificationKind::kTrade, "Trade"},
    {NotificationKind::kStopLoss, "Stop-loss"},
    {NotificationKind::kTakeProfit, "Take-profit"},
    {NotificationKind::kTrailingStop, "Trailing stop"},
    {NotificationKind::kRiskReject, "Risk reject"},
    {NotificationKind::kKillSwitch, "Kill switch"},
    {NotificationKind::kBotError, "Bot error"},
    {NotificationKind::kFeedStatus, "Feed status"},
    {NotificationKind::kBotStatus, "Bot status"},
    {NotificationKind::kReplicaDivergence, "Replica divergence"},
}};

std::string_view title(NotificationKind kind) {
  return name_of(kTitles, kind, "Notification");
}

std::string json_event(const NotifyItem& item, std::string_view key) {
  const Notification& n = item.n;
  std::string out;
  out.reserve(512);
  out.append("{\"idempotency_key\":");
  append_json_string(out, key);
  out.append(",\"sequence\":").append(std::to_string(item.seq));
  out.push_back(',');
  append_time_fields(out, "time", item.time);
  out.append(",\"kind\":");
  append_json_string(out, to_string(n.kind));
  out.append(",\"bot_id\":");
  if (n.bot == kNoBot) {
    out.append("null");
  } else {
    out.append(std::to_string(index_of(n.bot)));
  }
  out.append(",\"bot\":");
  append_json_string(out, bot_label(item));
  out.append(",\"symbol\":");
  if (item.symbol.empty()) {
    out.append("null");
  } else {
    append_json_string(out, item.symbol);
  }
  if (n.kind == NotificationKind::kTrade) {
    out.append(",\"side\":");
    append_json_string(out, to_string(n.side));
    out.append(",\"price\":");
    append_json_string(out, decimal(n.value1, item.price_scale));
    out.append(",\"quantity\":");
    append_json_string(out, decimal(n.value2, item.qty_scale));
  } else if (has_price(n.kind)) {
    out.append(",\"side\":");
    append_json_string(out, to_string(n.side));
    out.append(",\"price\":");
    append_json_string(out, decimal(n.value1, item.price_scale));
  }
  out.append(",\"code\":").append(std::to_string(n.code));
  if (const auto word = code_name(n); !word.empty()) {
    out.append(",\"reason\":");
    append_json_string(out, word);
  }
  out.append(",\"value1\":").append(std::to_string(n.value1));
  out.append(",\"value2\":").append(std::to_string(n.value2));
  out.append(",\"cause\":").append(std::to_string(n.cause));
  out.append(",\"text\":");
  append_json_string(out, human_text(item));
  out.push_back('}');
  return out;
}

}  // namespace

std::string idempotency_key(std::string_view instance, SequenceNumber seq) {
  std::string key(instance);
  key.push_back('-');
  key.append(std::to_string(seq));
  return key;
}

std::string idempotency_key(std::string_view instance, const NotifyItem& item) {
  if (item.journaled) return idempotency_key(instance, item.seq);
  std::string prefix(instance);
  prefix.push_back('-');
  prefix.append(to_string(item.n.kind));
  return idempotency_key(prefix, item.seq);
}

std::string human_text(const NotifyItem& item) {
  // Appends only: GCC 12 -O3 misreports -Wrestrict on operator+ chains of std::string.
  const Notification& n = item.n;
  std::string out;
  out.reserve(96);
  out.push_back('[');
  out.append(bot_label(item)).append("] ");
  auto symbol = [&] {
    if (!item.symbol.empty()) out.append(item.symbol).push_back(' ');
  };
  switch (n.kind) {
    case NotificationKind::kTrade:
      symbol();
      if (n.side != Side::kNone) out.append(n.side == Side::kSell ? "SELL " : "BUY ");
      out.append(decimal(n.value2, item.qty_scale))
          .append(" @ ")
          .append(decimal(n.value1, item.price_scale));
      break;
    case NotificationKind::kStopLoss:
      symbol();
      out.append("stop-loss hit at ").append(decimal(n.value1, item.price_scale));
      break;
    case NotificationKind::kTakeProfit:
      symbol();
      out.append("take-profit hit at ").append(decimal(n.value1, item.price_scale));
      break;
    case NotificationKind::kTrailingStop:
      symbol();
      out.append("trailing stop hit at ").append(decimal(n.value1, item.price_scale));
      break;
    case NotificationKind::kRiskReject:
      symbol();
      out.append("order rejected by risk: ").append(code_name(n));
      break;
    case NotificationKind::kKillSwitch:
      out.append(n.code != 0 ? "kill switch SET" : "kill switch reset");
      break;
    case NotificationKind::kBotError:
      out.append("bot error: circuit breaker opened");
      break;
    case NotificationKind::kFeedStatus:
      symbol();
      out.append("feed ").append(to_string(static_cast<ConnectivityState>(n.code)));
      break;
    case NotificationKind::kBotStatus:
      out.append("bot is now ").append(to_string(static_cast<BotState>(n.code)));
      break;
    case NotificationKind::kReplicaDivergence:
      out.append("replica divergence at journal record ")
          .append(std::to_string(n.cause))
          .append(": the live fold and the journal disagree (")
          .append(std::to_string(n.value1))
          .append(" divergent records so far)");
      break;
  }
  return out;
}

std::string format_payload(const NotifyItem& item, Format format, std::string_view key,
                           std::string_view telegram_chat_id) {
  switch (format) {
    case Format::kJson:
      return json_event(item, key);
    case Format::kTelegram: {
      // sendMessage with parse_mode HTML: the title in bold, the key in the last line so a
      // reader can match a duplicate by eye.
      std::string text = "<b>";
      text.append(title(item.n.kind)).append("</b>\n");
      text.append(escape_chat(human_text(item))).append("\n<i>");
      text.append(escape_chat(rfc3339_ns(item.time))).append(" · ");
      text.append(escape_chat(key)).append("</i>");
      std::string out = "{\"chat_id\":";
      append_json_string(out, telegram_chat_id);
      out.append(",\"text\":");
      append_json_string(out, text);
      out.append(",\"parse_mode\":\"HTML\"}");
      return out;
    }
    case Format::kSlack: {
      const std::string line = escape_chat(human_text(item));
      std::string fallback(title(item.n.kind));
      fallback.append(": ").append(line);
      std::string section = "*";
      section.append(title(item.n.kind)).append("*\n").append(line);
      std::string context = escape_chat(rfc3339_ns(item.time));
      context.append(" · ").append(escape_chat(key));
      std::string out = "{\"text\":";
      append_json_string(out, fallback);
      out.append(",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
      append_json_string(out, section);
      out.append("}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":");
      append_json_string(out, context);
      out.append("}]}]}");
      return out;
    }
  }
  return json_event(item, key);
}

}  // namespace be::notify
