// The notifier's routing configuration: which webhooks get which notification kinds of
// which bots, in which payload format, and how hard delivery tries.
//
//   {"notifications":{
//      "webhooks":[{"name":"ops","url":"http://127.0.0.1:9000/hook","format":"json",
//                   "bots":[1,2] | "all","kinds":["trade","kill_switch"],
//                   "telegram_chat_id":"-100123"}],
//      "max_attempts":10,"initial_backoff_ms":500,"max_backoff_ms":60000,
//      "timeout_ms":10000,"verify_peer":true,"ca_file":""}}
//
// docs/NOTIFICATIONS.md is the reference. Parsing names every bad field at once
// ("notifications.webhooks[0].url: ...") through core/json_config.hpp.
//
// Thread-safety: values; parse functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "core/json_config.hpp"

namespace be::notify {

enum class Format : std::uint8_t { kJson = 0, kTelegram = 1, kSlack = 2 };
std::string_view to_string(Format format) noexcept;

// The config names of NotificationKind ("trade", "stop_loss", ...) are core/codes.hpp's:
// be::to_string(NotificationKind) and be::notification_kind_from().

// One bit per NotificationKind value (they are 1..9).
using KindMask = std::uint32_t;
inline constexpr KindMask kind_bit(NotificationKind kind) noexcept {
  return KindMask{1} << static_cast<unsigned>(kind);
}

struct Webhook {
  std::string name;
  std::string url;  // http:// or https://
  Format format = Format::kJson;
  bool all_bots = true;
  std::vector<std::uint32_t> bots;  // sorted, when !all_bots
  KindMask kinds = 0;
  std::string telegram_chat_id;  // required for kTelegram

  bool wants(const Notification& n) const noexcept;
};

struct NotifyConfig {
  std::vector<Webhook> webhooks;
  std::uint32_t max_attempts = 10;  // including the first; then the item is given up
  std::int64_t initial_backoff_ms = 500;
  std::int64_t max_backoff_ms = 60'000;
  std::int64_t timeout_ms = 10'000;  // one whole request: resolve, connect, TLS, write, read
  bool verify_peer = true;           // https: certificate chain and host name
  std::string ca_file;               // https: extra trust anchors; empty = system store
};

// Reads the object that holds "notifications" (a deployment config may carry other keys;
// only "notifications" is read here, and it is optional: absent = no webhooks).
Expected<NotifyConfig, std::vector<config::FieldError>> read_notify_config(
    const config::Value& root);
// parse + read_notify_config; a JSON syntax error is reported as field "".
Expected<NotifyConfig, std::vector<config::FieldError>> parse_notify_config(std::string_view json);

}  // namespace be::notify
