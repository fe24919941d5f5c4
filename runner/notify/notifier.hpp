// The webhook notifier: delivers the engine's journaled Notification records to the
// configured webhooks at least once, off the hot path, on its own thread.
//
//   engine publisher thread              notifier thread                  webhooks
//   ----------------------               ---------------                  --------
//   offer(item) --[bounded inbox]--> route by bot and kind --> per-webhook FIFO --> POST
//                                    done when every route       (retry, back-off,
//                                    delivered or gave up         give up)
//                                    -> cursor file (atomic)
//
// The journal is the outbox. The notifier never opens it (LMDB forbids a second handle on
// the engine's environment in one process); instead it keeps a durable cursor, the highest
// sequence such that every item up to it is finished, and at start the engine re-offers
// every journaled Notification with a sequence above delivered_through(). Hence:
//   - at least once: an item is finished only after a 2xx (or a give-up / permanent
//     failure, which is counted and logged), and the cursor only covers finished items;
//     after a crash, items past the cursor are delivered again. Receivers deduplicate by the
//     Idempotency-Key header ("<instance>-<seq>", also in the JSON body).
//   - a full inbox drops the item (counted as dropped_full) and pins the cursor below it for
//     the rest of this process's life, so the next start re-offers it: nothing is lost.
//   - per-webhook order: each webhook's items go out one at a time in sequence order; a
//     webhook that is retrying holds back only its own later items.
//
// Delivery outcome per attempt: 2xx delivered; connection error, timeout, 5xx or 429 retried
// after min(max_backoff, initial * 2^n) +-10 % jitter from a seeded generator (429 waits at
// least its Retry-After seconds, capped at max_backoff); given up after max_attempts
// (counted in `failed` and `gave_up`, logged at most once per 10 s); any other status
// (1xx, 3xx, 4xx) is permanent (counted in `failed` and `failed_permanent`).
//
// Thread-safety: offer(), delivered_through(), stats(), stats_text() and drain() may be
// called from any thread. Lifetime: the destructor stops the thread after at most the one
// request in flight (bounded by timeout_ms) and does not flush: what is unfinished stays
// past the cursor and is re-offered by the next start.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/expected.hpp"
#include "runner/notify/config.hpp"
#include "runner/notify/format.hpp"

namespace be::notify {

// Where the notifier's thread gets "now" and waits for a back-off to pass. The default is
// the steady clock; tests inject a virtual clock whose wait returns at once (advancing its
// time), so retry schedules are checked exactly and without real waiting.
class NotifyClock {
 public:
  virtual ~NotifyClock() = default;
  virtual Nanos now() = 0;
  // Blocks until `deadline` (per now()) or until `cv` is notified; `lock` is held on entry and
  // on return. Spurious returns are fine: the caller re-checks.
  virtual void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          Nanos deadline) = 0;
};

struct NotifierOptions {
  NotifyConfig config;
  std::filesystem::path state_dir;     // created if missing; holds notify.cursor
  std::string instance = "botengine";  // the idempotency key's prefix (the journal's instance id)
  std::size_t queue_capacity = 4096;   // items held (queued or being delivered) at once
  std::uint64_t seed = 0x5eedu;        // back-off jitter
  std::shared_ptr<NotifyClock> clock;  // null: the steady clock
};

struct NotifierStats {
  std::uint64_t offered = 0;    // accepted by offer()
  std::uint64_t delivered = 0;  // 2xx answers (one per item and webhook)
  std::uint64_t retried = 0;    // attempts that failed and were scheduled again
  std::uint64_t failed = 0;     // failed_permanent + gave_up
  std::uint64_t failed_permanent = 0;
  std::uint64_t gave_up = 0;        // max_attempts reached
  std::uint64_t dropped_full = 0;   // refused by a full queue (re-offered after restart)
  std::uint64_t rejected = 0;       // sequence 0 or not above the last one offered
  std::uint64_t cursor_errors = 0;  // cursor file writes that failed (retried at next advance)
  SequenceNumber cursor = 0;        // delivered_through()
};

class Notifier {
 public:
  // Reads the cursor from state_dir and starts the thread. Errors: state_dir cannot be
  // created, the cursor file is unreadable or corrupt (refused, never taken as 0).
  static Expected<std::unique_ptr<Notifier>, std::string> create(NotifierOptions options);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Non-blocking. False when refused: the queue is full (dropped_full) or the sequence is 0
  // or not above the previous offer's (rejected). Offer items in sequence order.
  bool offer(NotifyItem item);
  // An alert the live process raises without journaling it (kReplicaDivergence): delivered
  // and retried as an offered item, routed by its kind, but outside the cursor and sequence
  // order (item.seq names the journal record it is about), so it is not re-offered after a
  // restart. False when the queue is full (counted in dropped_full; then lost).
  bool alert(NotifyItem item);

  // The durable cursor: everything at or below it is finished. The engine re-offers every
  // journaled Notification above it at start.
  SequenceNumber delivered_through() const noexcept;

  NotifierStats stats() const noexcept;
  // Prometheus text: botengine_notify_{offered,delivered,retried,failed,dropped_full}_total,
  // botengine_notify_failed_total{reason}, botengine_notify_cursor, ...
  std::string stats_text() const;

  // Waits until every accepted item is finished, or `timeout` passes. For graceful shutdown
  // and tests; true when idle.
  bool drain(std::chrono::milliseconds timeout);

 private:
  struct State;
  explicit Notifier(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace be::notify
