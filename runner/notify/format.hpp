// Turning a journaled be::Notification into a webhook body: a plain JSON event, a Telegram
// Bot API sendMessage body, or a Slack incoming-webhook body. Prices and quantities are
// written as exact decimals at the instrument's scale (core/fixed_point.hpp), never doubles.
// docs/NOTIFICATIONS.md shows every format.
//
// Thread-safety: pure functions. Allocates (off the hot path, on the notifier thread).
#pragma once

#include <string>
#include <string_view>

#include "core/event.hpp"
#include "runner/notify/config.hpp"

namespace be::notify {

// What the engine offers the notifier: the journaled record plus the names it resolved from
// its intern tables (the notifier has no access to them).
struct NotifyItem {
  SequenceNumber seq = 0;  // the Notification record's journal sequence
  Nanos time = 0;          // its event time
  Notification n{};
  std::string bot_name;  // empty: "bot <id>" (or "engine" for kNoBot)
  std::string symbol;    // empty when the notification has no instrument
  int price_scale = 8;   // of n.instrument; 0..18
  int qty_scale = 8;
  // false: an alert the live process raised without journaling it (Notifier::alert; seq is
  // then the journal record it is about): outside the cursor, never re-offered.
  bool journaled = true;
};

// "<instance>-<seq>": the same for every redelivery of one item, so a receiver can drop
// duplicates (delivery is at least once).
std::string idempotency_key(std::string_view instance, SequenceNumber seq);
// An item's key: idempotency_key for a journaled one; "<instance>-<kind>-<seq>" for an
// alert, whose seq a journaled notification may also have.
std::string idempotency_key(std::string_view instance, const NotifyItem& item);

// The one-line human text, e.g. "[dca-1] BTCUSDT BUY 0.00100000 @ 51613.38000000".
std::string human_text(const NotifyItem& item);

// The request body for `format`. `key` is idempotency_key(instance, item.seq).
std::string format_payload(const NotifyItem& item, Format format, std::string_view key,
                           std::string_view telegram_chat_id);

}  // namespace be::notify
