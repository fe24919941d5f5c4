#include "runner/notify/notifier.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <limits>
#include <thread>
#include <vector>

#include "core/log.hpp"
#include "core/thread_placement.hpp"
#include "net/backoff.hpp"
#include "net/http_client.hpp"
#include "runner/notify/cursor_file.hpp"

namespace be::notify {

namespace {

constexpr Nanos kMillis = 1'000'000;
constexpr Nanos kLogInterval = 10'000'000'000;  // one give-up line per 10 s at most
// A webhook's answer is read for its status only; a longer body fails the attempt.
constexpr std::size_t kMaxResponseBody = 64 * 1024;

class SteadyClock final : public NotifyClock {
 public:
  Nanos now() override {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  void wait_until(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                  Nanos deadline) override {
    cv.wait_until(lock, std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline)));
  }
};

// One configured webhook's delivery state. Touched by the notifier thread only (read under
// the mutex by the loop's scheduling, written by the same thread).
struct Route {
  Webhook hook;
  std::string target;  // the webhook URL's path and query
  // One connection per request (keep_alive off): webhooks are rare, and a fresh connection
  // never inherits a half-read response from a request that timed out.
  std::unique_ptr<net::HttpClient> http;
  net::Backoff backoff;
  std::deque<std::uint64_t> queue;  // ordinals into the window, in sequence order
  std::uint32_t attempts = 0;       // for the item at the queue's head
  Nanos next_at = 0;                // earliest time of the head's next attempt
};

// An offered item until every route it was sent to is finished with it.
struct Slot {
  NotifyItem item;
  std::uint32_t remaining = 0;
};

}  // namespace

struct Notifier::State {
  explicit State(NotifierOptions o)
      : options(std::move(o)),
        cursor_file(options.state_dir),
        clock(options.clock ? options.clock : std::make_shared<SteadyClock>()) {}

  NotifierOptions options;
  CursorFile cursor_file;
  std::shared_ptr<NotifyClock> clock;
  std::vector<Route> routes;

  std::mutex mutex;
  std::condition_variable wake;      // the thread: an offer or stop
  std::condition_variable progress;  // drain(): items finished
  // Guarded by `mutex`:
  std::vector<NotifyItem> inbox;
  std::size_t held = 0;  // offered and not finished (inbox + window)
  SequenceNumber last_offered = 0;
  SequenceNumber first_dropped = std::numeric_limits<SequenceNumber>::max();
  bool stop = false;

  // Notifier thread only:
  std::deque<Slot> window;
  std::uint64_t window_base = 0;  // ordinal of window.front()
  std::size_t next_route = 0;     // round-robin start among ready routes
  SequenceNumber finished_through = 0;
  SequenceNumber persisted = 0;
  Nanos last_log = std::numeric_limits<Nanos>::min();
  std::uint64_t unlogged = 0;

  std::atomic<SequenceNumber> cursor{0};
  std::atomic<std::uint64_t> offered{0}, delivered{0}, retried{0}, failed_permanent{0}, gave_up{0},
      dropped_full{0}, rejected{0}, cursor_errors{0};

  std::thread thread;

  void run();
  void route(std::vector<NotifyItem>& items);
  void attempt(Route& r);
  void finish_head(Route& r);
  void advance();
  bool admit(NotifyItem item);  // offer() and alert()
  void log_failure(const Route& r, const Slot& slot, std::string_view what);
};

void Notifier::State::run() {
  place_current_thread(ThreadRole::kNotifier);  // "be-notify", on its configured CPUs
  std::vector<NotifyItem> taken;
  std::unique_lock lock(mutex);
  while (!stop) {
    if (!inbox.empty()) {
      taken.swap(inbox);
      lock.unlock();
      route(taken);
      taken.clear();
      lock.lock();
      continue;
    }
    const Nanos now = clock->now();
    Route* ready = nullptr;
    Nanos earliest = std::numeric_limits<Nanos>::max();
    for (std::size_t k = 0; k < routes.size(); ++k) {
      Route& r = routes[(next_route + k) % routes.size()];
      if (r.queue.empty()) continue;
      if (r.next_at <= now) {
        ready = &r;
        next_route = (next_route + k + 1) % routes.size();
        break;
      }
      earliest = std::min(earliest, r.next_at);
    }
    if (ready != nullptr) {
      lock.unlock();
      attempt(*ready);
      lock.lock();
    } else if (earliest != std::numeric_limits<Nanos>::max()) {
      clock->wait_until(lock, wake, earliest);
    } else {
      wake.wait(lock);
    }
  }
}

void Notifier::State::route(std::vector<NotifyItem>& items) {
  for (NotifyItem& item : items) {
    const std::uint64_t ordinal = window_base + window.size();
    std::uint32_t count = 0;
    for (Route& r : routes) {
      if (!r.hook.wants(item.n)) continue;
      if (r.queue.empty()) r.next_at = 0;  // an idle route sends at once
      r.queue.push_back(ordinal);
      ++count;
    }
    window.push_back(Slot{std::move(item), count});
  }
  advance();  // items no webhook wants are finished on arrival
}

void Notifier::State::attempt(Route& r) {
  Slot& slot = window[r.queue.front() - window_base];
  const std::string key = idempotency_key(options.instance, slot.item);
  const std::string body = format_payload(slot.item, r.hook.format, key, r.hook.telegram_chat_id);
  const net::HttpHeader headers[] = {{"Idempotency-Key", key}};
  net::HttpRequest request;
  request.method = "POST";
  request.target = r.target;
  request.body = body;
  request.content_type = "application/json";
  request.headers = headers;
  const auto answer = r.http->request(request);
  // A transport failure (DNS, connect, TLS, write, read, timeout) is status 0.
  const int status = answer ? answer->status : 0;
  ++r.attempts;
  if (status >= 200 && status < 300) {
    delivered.fetch_add(1, std::memory_order_relaxed);
    finish_head(r);
    return;
  }
  const bool transient = status == 0 || status == 429 || status >= 500;
  const std::string what = status == 0 ? answer.error().message : "HTTP " + std::to_string(status);
  if (!transient) {
    failed_permanent.fetch_add(1, std::memory_order_relaxed);
    log_failure(r, slot, "permanent failure (" + what + ")");
    finish_head(r);
    return;
  }
  if (r.attempts >= options.config.max_attempts) {
    gave_up.fetch_add(1, std::memory_order_relaxed);
    log_failure(r, slot,
                "gave up after " + std::to_string(r.attempts) + " attempts (" + what + ")");
    finish_head(r);
    return;
  }
  retried.fetch_add(1, std::memory_order_relaxed);
  Nanos delay = r.backoff.next();
  // Retry-After in whole seconds (an HTTP-date is ignored: the back-off schedule applies).
  const auto retry_after = status == 429 ? answer->header_int("Retry-After") : std::nullopt;
  if (retry_after && *retry_after >= 0) {
    // Honour the server's pace, but a huge Retry-After must not park the webhook for days.
    const Nanos cap = options.config.max_backoff_ms * kMillis;
    const Nanos asked = *retry_after > cap / 1'000'000'000 ? cap : *retry_after * 1'000'000'000;
    delay = std::max(delay, asked);
  }
  r.next_at = clock->now() + delay;
}

void Notifier::State::finish_head(Route& r) {
  window[r.queue.front() - window_base].remaining -= 1;
  r.queue.pop_front();
  r.attempts = 0;
  r.backoff.reset();
  r.next_at = 0;
  advance();
}

void Notifier::State::advance() {
  std::size_t finished = 0;
  while (!window.empty() && window.front().remaining == 0) {
    // An alert is not in the journal: the cursor counts journaled items only.
    if (window.front().item.journaled) finished_through = window.front().item.seq;
    window.pop_front();
    ++window_base;
    ++finished;
  }
  SequenceNumber target = finished_through;
  {
    std::lock_guard guard(mutex);
    // A dropped item is not finished: the cursor stays below it so the next start
    // re-offers it (and, harmlessly, what came after it).
    if (first_dropped != std::numeric_limits<SequenceNumber>::max()) {
      target = std::min(target, first_dropped - 1);
    }
  }
  if (target > persisted) {
    if (auto err = cursor_file.store(target)) {
      cursor_errors.fetch_add(1, std::memory_order_relaxed);
      log::write(log::Level::kWarning, log::kNotify,
                 "cursor not saved (retried at the next delivery): " + *err);
    } else {
      persisted = target;
      cursor.store(target, std::memory_order_release);
    }
  }
  if (finished > 0) {
    std::lock_guard guard(mutex);
    held -= finished;
    progress.notify_all();
  }
}

// A journaled item must come in sequence order, and a dropped one pins the cursor below it
// (the next start re-offers it); an alert is outside both: dropped, it is lost (counted).
bool Notifier::State::admit(NotifyItem item) {
  {
    std::lock_guard guard(mutex);
    if (item.journaled) {
      if (item.seq == 0 || item.seq <= last_offered) {
        rejected.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      last_offered = item.seq;
    }
    if (held >= options.queue_capacity) {
      dropped_full.fetch_add(1, std::memory_order_relaxed);
      if (item.journaled) first_dropped = std::min(first_dropped, item.seq);
      return false;
    }
    ++held;
    inbox.push_back(std::move(item));
    offered.fetch_add(1, std::memory_order_relaxed);
  }
  wake.notify_one();
  return true;
}

void Notifier::State::log_failure(const Route& r, const Slot& slot, std::string_view what) {
  const Nanos now = clock->now();
  if (last_log != std::numeric_limits<Nanos>::min() && now - last_log < kLogInterval) {
    ++unlogged;
    return;
  }
  log::write(log::Level::kWarning, log::kNotify,
             "webhook '" + r.hook.name + "' seq " + std::to_string(slot.item.seq) + ": " +
                 std::string(what) + " (" + std::to_string(unlogged) + " similar lines suppressed)",
             {{"webhook", r.hook.name}, {"seq", std::to_string(slot.item.seq)}});
  last_log = now;
  unlogged = 0;
}

Expected<std::unique_ptr<Notifier>, std::string> Notifier::create(NotifierOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return Unexpected{"cannot create notifier state dir '" + options.state_dir.string() +
                      "': " + ec.message()};
  }
  auto state = std::make_unique<State>(std::move(options));
  auto cursor = state->cursor_file.load();
  if (!cursor) return Unexpected{cursor.error()};
  state->persisted = *cursor;
  state->finished_through = *cursor;
  state->last_offered = *cursor;
  state->cursor.store(*cursor);
  const NotifyConfig& cfg = state->options.config;
  for (std::size_t i = 0; i < cfg.webhooks.size(); ++i) {
    auto url = net::parse_http_url(cfg.webhooks[i].url);
    if (!url) return Unexpected{"webhook '" + cfg.webhooks[i].name + "': " + url.error()};
    net::HttpClientOptions http;
    http.tls.verify_peer = cfg.verify_peer;
    http.tls.ca_file = cfg.ca_file;
    http.timeout = std::chrono::milliseconds(cfg.timeout_ms);
    http.keep_alive = false;
    http.user_agent = "botengine-notifier";
    http.max_response_body = kMaxResponseBody;
    std::string target = url->target;
    net::BackoffPolicy policy;
    policy.initial = cfg.initial_backoff_ms * kMillis;
    policy.cap = cfg.max_backoff_ms * kMillis;
    policy.seed = state->options.seed + i;  // webhooks failing together still spread
    state->routes.push_back(Route{cfg.webhooks[i],
                                  std::move(target),
                                  std::make_unique<net::HttpClient>(std::move(*url), http),
                                  net::Backoff(policy),
                                  {},
                                  0,
                                  0});
  }
  State* raw = state.get();
  raw->thread = std::thread([raw] { raw->run(); });
  return std::unique_ptr<Notifier>(new Notifier(std::move(state)));
}

Notifier::Notifier(std::unique_ptr<State> state) : state_(std::move(state)) {}

Notifier::~Notifier() {
  {
    std::lock_guard guard(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
}

bool Notifier::offer(NotifyItem item) {
  return state_->admit(std::move(item));
}

bool Notifier::alert(NotifyItem item) {
  item.journaled = false;
  return state_->admit(std::move(item));
}

SequenceNumber Notifier::delivered_through() const noexcept {
  return state_->cursor.load(std::memory_order_acquire);
}

NotifierStats Notifier::stats() const noexcept {
  const State& s = *state_;
  NotifierStats out;
  out.offered = s.offered.load(std::memory_order_relaxed);
  out.delivered = s.delivered.load(std::memory_order_relaxed);
  out.retried = s.retried.load(std::memory_order_relaxed);
  out.failed_permanent = s.failed_permanent.load(std::memory_order_relaxed);
  out.gave_up = s.gave_up.load(std::memory_order_relaxed);
  out.failed = out.failed_permanent + out.gave_up;
  out.dropped_full = s.dropped_full.load(std::memory_order_relaxed);
  out.rejected = s.rejected.load(std::memory_order_relaxed);
  out.cursor_errors = s.cursor_errors.load(std::memory_order_relaxed);
  out.cursor = s.cursor.load(std::memory_order_acquire);
  return out;
}

std::string Notifier::stats_text() const {
  const NotifierStats st = stats();
  std::string out;
  auto metric = [&out](std::string_view name, std::string_view type, std::string_view help,
                       std::uint64_t value) {
    out.append("# HELP botengine_notify_").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE botengine_notify_").append(name).append(" ").append(type).append("\n");
    out.append("botengine_notify_").append(name).append(" ").append(std::to_string(value));
    out.append("\n");
  };
  metric("offered_total", "counter", "Notifications accepted for delivery.", st.offered);
  metric("delivered_total", "counter", "Webhook deliveries answered 2xx.", st.delivered);
  metric("retried_total", "counter", "Failed attempts scheduled again.", st.retried);
  out.append("# HELP botengine_notify_failed_total Deliveries abandoned, by reason.\n");
  out.append("# TYPE botengine_notify_failed_total counter\n");
  out.append("botengine_notify_failed_total{reason=\"permanent\"} ")
      .append(std::to_string(st.failed_permanent))
      .append("\n");
  out.append("botengine_notify_failed_total{reason=\"gave_up\"} ")
      .append(std::to_string(st.gave_up))
      .append("\n");
  metric("dropped_full_total", "counter", "Offers refused by a full queue (re-offered at restart).",
         st.dropped_full);
  metric("rejected_total", "counter", "Offers refused for a sequence not above the last.",
         st.rejected);
  metric("cursor_errors_total", "counter", "Cursor file writes that failed.", st.cursor_errors);
  metric("cursor", "gauge", "Highest sequence with everything up to it finished.", st.cursor);
  return out;
}

bool Notifier::drain(std::chrono::milliseconds timeout) {
  State& s = *state_;
  std::unique_lock lock(s.mutex);
  return s.progress.wait_for(lock, timeout, [&s] { return s.held == 0; });
}

}  // namespace be::notify
