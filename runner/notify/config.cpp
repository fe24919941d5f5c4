#include "runner/notify/config.hpp"

#include <algorithm>

#include "core/codes.hpp"
#include "core/names.hpp"
#include "net/url.hpp"

namespace be::notify {

namespace {

constexpr std::array<Named<Format>, 3> kFormatNames{{
    {Format::kJson, "json"},
    {Format::kTelegram, "telegram"},
    {Format::kSlack, "slack"},
}};
static_assert(names_every_code(kFormatNames, 3), "a new Format needs its name here");

// The kinds' names are core/codes.hpp's (the stream and the API print the same words).
std::string kind_list() {
  std::string out;
  for (const NotificationKind k : kNotificationKinds) {
    if (!out.empty()) out.append(", ");
    out.append(to_string(k));
  }
  return out;
}

void read_webhook(const config::Value& value, const std::string& path, NotifyConfig& cfg,
                  std::vector<config::FieldError>& errors) {
  if (value.kind != config::Value::Kind::kObject) {
    errors.push_back({path, "must be an object"});
    return;
  }
  config::ObjectReader r(value, path, errors);
  Webhook w;
  if (auto name = r.string("name", config::Presence::kRequired)) {
    if (name->empty()) r.error("name", "must not be empty");
    const bool taken = std::any_of(cfg.webhooks.begin(), cfg.webhooks.end(),
                                   [&](const Webhook& o) { return o.name == *name; });
    if (taken) r.error("name", "duplicate webhook name '" + *name + "'");
    w.name = std::move(*name);
  }
  if (auto url = r.string("url", config::Presence::kRequired)) {
    if (auto parsed = net::parse_http_url(*url); !parsed) r.error("url", parsed.error());
    w.url = std::move(*url);
  }
  if (auto format = r.code("format", config::Presence::kOptional, kFormatNames)) w.format = *format;
  // "bots": "all" or an array of bot ids. Absent means all.
  if (r.has("bots")) {
    const config::Value* v = value.find("bots");
    if (v->kind == config::Value::Kind::kString) {
      (void)r.string("bots", config::Presence::kRequired, {"all"});
    } else if (const config::Value* items = r.array("bots", config::Presence::kRequired)) {
      w.all_bots = false;
      for (std::size_t i = 0; i < items->items.size(); ++i) {
        const config::Value& item = items->items[i];
        const std::string at = r.field_path("bots") + "[" + std::to_string(i) + "]";
        std::uint32_t id = 0;
        bool ok = item.kind == config::Value::Kind::kNumber && !item.text.empty() &&
                  item.text.find_first_not_of("0123456789") == std::string::npos &&
                  item.text.size() <= 10;
        if (ok) {
          const std::uint64_t parsed = std::stoull(item.text);
          ok = parsed < index_of(kNoBot);
          id = static_cast<std::uint32_t>(parsed);
        }
        if (!ok) {
          errors.push_back({at, "must be a bot id from 0 to 4294967294"});
          continue;
        }
        w.bots.push_back(id);
      }
      std::sort(w.bots.begin(), w.bots.end());
      w.bots.erase(std::unique(w.bots.begin(), w.bots.end()), w.bots.end());
    }
  }
  if (const config::Value* kinds = r.array("kinds", config::Presence::kRequired)) {
    if (kinds->items.empty()) r.error("kinds", "must name at least one kind (" + kind_list() + ")");
    for (std::size_t i = 0; i < kinds->items.size(); ++i) {
      const config::Value& item = kinds->items[i];
      const std::string at = r.field_path("kinds") + "[" + std::to_string(i) + "]";
      const auto kind = item.kind == config::Value::Kind::kString
                            ? notification_kind_from(item.text)
                            : std::nullopt;
      if (!kind) {
        errors.push_back({at, "must be one of " + kind_list()});
        continue;
      }
      w.kinds |= kind_bit(*kind);
    }
  }
  if (auto chat = r.string("telegram_chat_id", config::Presence::kOptional)) {
    w.telegram_chat_id = std::move(*chat);
  }
  if (w.format == Format::kTelegram && w.telegram_chat_id.empty()) {
    r.error("telegram_chat_id", "required (and not empty) when format is \"telegram\"");
  }
  r.finish();
  cfg.webhooks.push_back(std::move(w));
}

}  // namespace

std::string_view to_string(Format format) noexcept {
  return name_of(kFormatNames, format);
}

bool Webhook::wants(const Notification& n) const noexcept {
  if ((kinds & kind_bit(n.kind)) == 0) return false;
  return all_bots || std::binary_search(bots.begin(), bots.end(), index_of(n.bot));
}

Expected<NotifyConfig, std::vector<config::FieldError>> read_notify_config(
    const config::Value& root) {
  std::vector<config::FieldError> errors;
  NotifyConfig cfg;
  if (root.kind != config::Value::Kind::kObject) {
    errors.push_back({"", "the configuration must be a JSON object"});
    return Unexpected{std::move(errors)};
  }
  config::ObjectReader top(root, "", errors);
  if (auto n = top.object("notifications", config::Presence::kOptional)) {
    if (const config::Value* hooks = n->array("webhooks", config::Presence::kRequired)) {
      for (std::size_t i = 0; i < hooks->items.size(); ++i) {
        read_webhook(hooks->items[i], n->field_path("webhooks") + "[" + std::to_string(i) + "]",
                     cfg, errors);
      }
    }
    if (auto v = n->integer("max_attempts", config::Presence::kOptional, 1, 1000)) {
      cfg.max_attempts = static_cast<std::uint32_t>(*v);
    }
    if (auto v = n->integer("initial_backoff_ms", config::Presence::kOptional, 1, 3'600'000)) {
      cfg.initial_backoff_ms = *v;
    }
    if (auto v = n->integer("max_backoff_ms", config::Presence::kOptional, 1, 86'400'000)) {
      cfg.max_backoff_ms = *v;
    }
    if (cfg.max_backoff_ms < cfg.initial_backoff_ms) {
      n->error("max_backoff_ms", "must be at least initial_backoff_ms (" +
                                     std::to_string(cfg.initial_backoff_ms) + ")");
    }
    if (auto v = n->integer("timeout_ms", config::Presence::kOptional, 1, 600'000)) {
      cfg.timeout_ms = *v;
    }
    if (auto v = n->boolean("verify_peer", config::Presence::kOptional)) cfg.verify_peer = *v;
    if (auto v = n->string("ca_file", config::Presence::kOptional)) cfg.ca_file = std::move(*v);
    n->finish();
  }
  if (!errors.empty()) return Unexpected{std::move(errors)};
  return cfg;
}

Expected<NotifyConfig, std::vector<config::FieldError>> parse_notify_config(std::string_view json) {
  auto root = config::parse(json);
  if (!root) return Unexpected{std::vector<config::FieldError>{{"", root.error()}}};
  return read_notify_config(*root);
}

}  // namespace be::notify
