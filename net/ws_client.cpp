// The client's life on its I/O thread: connection attempts and reconnects, the idle and stale
// clocks, and the subscription protocol. The connection itself is ws_connection.cpp.
#include "net/ws_client.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "net/detail/asio.hpp"
#include "net/detail/io_threads.hpp"
#include "net/detail/tls_client.hpp"
#include "net/detail/ws_connection.hpp"
#include "net/detail/ws_requests.hpp"
#include "net/url.hpp"

namespace be::net {

using namespace detail;  // NOLINT: the .cpp side of net/detail

namespace {

struct AtomicStats {
  std::atomic<std::uint64_t> frames{0}, bytes{0}, unrecognised{0}, replies{0}, request_errors{0},
      connects{0}, connect_failures{0}, disconnects{0}, stale_events{0}, pings{0}, pongs{0};
  std::atomic<Nanos> last_frame_time{0};
};

void bump(std::atomic<std::uint64_t>& counter, std::uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

}  // namespace

struct WsClient::Impl final : WsConnectionOwner {
  struct Pending {
    Nanos sent_at = 0;
    bool resubscribe = false;
  };

  Impl(WsClientConfig c, WsClientHandlers h, const IngressClock* clk, IoThreads* shared)
      : config(std::move(c)),
        handlers(std::move(h)),
        clock(clk != nullptr ? clk : &own_clock),
        own_ioc(shared == nullptr ? std::make_unique<asio::io_context>(1) : nullptr),
        ioc(shared == nullptr ? *own_ioc : shared->impl().pick()),
        backoff(config.backoff) {}

  WsClientConfig config;
  WsClientHandlers handlers;
  WallClock own_clock;
  const IngressClock* clock;
  WsConnectionSettings settings;  // for the next attempt; its target set per attempt
  // Declared before the io_context so SSL streams still queued in handlers at teardown are
  // destroyed while the context exists, and the arena outlives the operations it holds. On a
  // shared context (IoThreads) the context outlives the client: stop() waits until none of
  // the client's operations is left in it (drained()).
  ssl::context ssl_ctx{ssl::context::tls_client};
  HandlerArena arena;
  std::unique_ptr<asio::io_context> own_ioc;  // null on shared IoThreads
  asio::io_context& ioc;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::steady_timer reconnect_timer{ioc};
  asio::steady_timer tick_timer{ioc};
  std::thread thread;

  // I/O-thread state.
  Backoff backoff;
  std::shared_ptr<WsConnection> conn;
  // What a shared context may still hold of this client: connections replaced or closed whose
  // operations have not completed yet, and timer waits not yet completed.
  std::vector<std::weak_ptr<WsConnection>> retired;
  int timer_waits = 0;
  bool stopping = false;
  bool stale = false;
  Nanos last_rx = 0;    // monotonic: the last data frame (stale detection)
  Nanos last_byte = 0;  // monotonic: the last frame of any kind, pings and pongs too (idle)
  Nanos raw_sent = 0;   // monotonic: the first send_raw not followed by a data frame; 0: none
  std::unordered_map<std::uint64_t, Pending> pending;

  // Shared state.
  mutable std::mutex mu;
  std::map<std::string, int> wanted;  // stream -> reference count
  std::atomic<std::size_t> wanted_count{0};
  std::atomic<std::uint64_t> next_id{1};
  std::atomic<bool> is_connected{false};
  std::atomic<bool> started{false};
  std::atomic<bool> running{false};  // started and not stopped
  AtomicStats stats;

  void emit(ConnectivityState state) {
    if (!handlers.on_status) return;
    Connectivity body;
    body.venue = config.venue;
    body.state = state;
    const Nanos now = clock->now();
    handlers.on_status(Event::make(body, now, now, index_of(config.venue)));
  }

  // Drops the current connection, remembering it until its aborted operations complete.
  void retire() {
    std::erase_if(retired, [](const std::weak_ptr<WsConnection>& w) { return w.expired(); });
    if (conn) retired.push_back(conn);
    conn.reset();
  }

  // Nothing of this client is left in the io_context (I/O thread, after the teardown).
  bool drained() {
    std::erase_if(retired, [](const std::weak_ptr<WsConnection>& w) { return w.expired(); });
    return !conn && retired.empty() && timer_waits == 0;
  }

  // The teardown stop() posts: close, cancel, report kDisconnected if it was open.
  void tear_down() {
    stopping = true;
    reconnect_timer.cancel();
    tick_timer.cancel();
    if (conn) {
      const bool was_open = conn->open;
      conn->close();
      retire();
      is_connected.store(false);
      if (was_open) {
        bump(stats.disconnects);
        emit(ConnectivityState::kDisconnected);
      }
    }
  }

  void result(std::uint64_t id, RequestResult::Status status, bool resub, std::string message) {
    if (status != RequestResult::Status::kOk) bump(stats.request_errors);
    if (!handlers.on_result) return;
    handlers.on_result(RequestResult{id, status, resub, std::move(message)});
  }

  void connect() {
    if (config.connect_target) {
      auto target = config.connect_target();
      if (!target) return attempt_failed("target: " + target.error());
      settings.target = target->empty() ? settings.url.target : std::move(*target);
    }
    retire();
    conn = make_ws_connection(settings, *this);
    conn->start();
  }

  // An attempt that never got as far as a connection (connect_target refused).
  void attempt_failed(const std::string& reason) {
    bump(stats.connect_failures);
    if (stopping) return;
    const Nanos delay = schedule_reconnect();
    if (handlers.on_retry) handlers.on_retry(reason, delay);
  }

  Nanos schedule_reconnect() {
    const Nanos delay = backoff.next();
    reconnect_timer.expires_after(to_duration(delay));
    ++timer_waits;
    reconnect_timer.async_wait([this](beast::error_code ec) {
      --timer_waits;
      if (!ec && !stopping) connect();
    });
    return delay;
  }

  void arm_tick() {
    const Nanos period =
        std::clamp(std::min({config.stale_after, config.request_timeout, config.idle_timeout}) / 4,
                   Nanos{1'000'000}, Nanos{250'000'000});
    tick_timer.expires_after(to_duration(period));
    ++timer_waits;
    tick_timer.async_wait([this](beast::error_code ec) {
      --timer_waits;
      if (ec || stopping) return;
      on_tick();
      arm_tick();
    });
  }

  void on_tick() {
    const Nanos now = monotonic_now();
    // Idle handling lives here rather than in Beast's websocket timeout: Beast re-arms a
    // timer on every read (a timer syscall and a heap block per frame).
    if (conn && conn->open) {
      const Nanos quiet = now - last_byte;
      if (quiet >= config.idle_timeout) {
        on_failed(conn.get(),
                  "idle: no frame, ping or pong for " + std::to_string(quiet / 1'000'000) + " ms");
      } else if (quiet >= config.idle_timeout / 2 && !conn->ping_outstanding) {
        conn->ping();
      }
    }
    if (conn && conn->open && config.raw_answer_timeout > 0 && raw_sent != 0 &&
        now - raw_sent >= config.raw_answer_timeout) {
      on_failed(conn.get(),
                "stale: no answer for " + std::to_string((now - raw_sent) / 1'000'000) + " ms");
    }
    if (conn && conn->open && !stale && wanted_count.load(std::memory_order_relaxed) > 0 &&
        now - last_rx >= config.stale_after) {
      stale = true;
      bump(stats.stale_events);
      emit(ConnectivityState::kStale);
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (now - it->second.sent_at >= config.request_timeout) {
        const auto [id, p] = *it;
        it = pending.erase(it);
        result(id, RequestResult::Status::kTimeout, p.resubscribe, "no reply in time");
      } else {
        ++it;
      }
    }
  }

  void send_request(std::uint64_t id, std::string_view method, std::vector<std::string> params,
                    bool resubscribe) {
    if (!conn || !conn->open) {
      result(id, RequestResult::Status::kConnectionLost, resubscribe, "not connected");
      return;
    }
    // A fresh subscription has had no chance to deliver yet: staleness counts from now.
    if (method == "SUBSCRIBE") last_rx = monotonic_now();
    pending[id] = Pending{monotonic_now(), resubscribe};
    conn->send(request_json(method, params, id));
  }

  void on_open(WsConnection* c) override {
    if (c != conn.get()) return;
    c->open = true;
    is_connected.store(true, std::memory_order_release);
    bump(stats.connects);
    backoff.reset();
    stale = false;
    raw_sent = 0;
    last_rx = last_byte = monotonic_now();
    emit(ConnectivityState::kConnected);
    std::vector<std::string> streams;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, refs] : wanted)
        streams.push_back(name);
    }
    if (!streams.empty()) {
      send_request(next_id.fetch_add(1), "SUBSCRIBE", std::move(streams), true);
    }
  }

  void on_failed(WsConnection* c, const std::string& reason) override {
    if (c != conn.get()) return;  // an operation of a connection already replaced
    const bool was_open = c->open;
    c->close();
    retire();
    is_connected.store(false, std::memory_order_release);
    stale = false;
    auto lost = std::move(pending);
    pending.clear();
    for (const auto& [id, p] : lost) {
      result(id, RequestResult::Status::kConnectionLost, p.resubscribe, "connection lost");
    }
    if (was_open) {
      bump(stats.disconnects);
      emit(ConnectivityState::kDisconnected);
    } else {
      bump(stats.connect_failures);
    }
    if (!stopping) {
      const Nanos delay = schedule_reconnect();
      if (handlers.on_retry) handlers.on_retry(reason, delay);
    }
  }

  void on_control(bool ping) override {
    last_byte = monotonic_now();
    bump(ping ? stats.pings : stats.pongs);
  }

  // The per-frame path: no allocation, no lock (handlers may allocate; that is theirs).
  void on_message(WsConnection* c, std::string_view payload, std::size_t readable, bool binary,
                  Nanos rx) override {
    if (c != conn.get()) return;
    last_rx = last_byte = monotonic_now();
    raw_sent = 0;
    bump(stats.frames);
    bump(stats.bytes, payload.size());
    stats.last_frame_time.store(rx, std::memory_order_relaxed);
    const FrameKind kind = classify_frame(payload, binary);
    if (kind == FrameKind::kUnrecognised) bump(stats.unrecognised);
    if (stale) {
      stale = false;
      emit(ConnectivityState::kRecovered);
    }
    if (kind == FrameKind::kReply) on_reply(payload);
    handlers.on_frame(Frame{payload, readable, rx, kind, binary});
  }

  void on_reply(std::string_view payload) {
    bump(stats.replies);
    const auto id = reply_id(payload);
    if (!id) return;
    const auto it = pending.find(*id);
    if (it == pending.end()) return;
    const bool resub = it->second.resubscribe;
    pending.erase(it);
    const bool error = payload.find(R"("code")") != std::string_view::npos;
    if (error) {
      result(*id, RequestResult::Status::kError, resub, reply_message(payload));
    } else {
      result(*id, RequestResult::Status::kOk, resub, {});
    }
  }
};

namespace {

// stop() on a shared context: the caller waits for `done`; the I/O thread sets it once the
// client holds nothing in the context. Shared so neither side outlives it.
struct StopWait {
  explicit StopWait(asio::io_context& ioc) : poll(ioc) {}
  asio::steady_timer poll;
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
};

void poll_drained(WsClient::Impl& s, const std::shared_ptr<StopWait>& wait) {
  if (s.drained()) {
    std::lock_guard lock(wait->mutex);
    wait->done = true;
    wait->cv.notify_all();
    return;
  }
  wait->poll.expires_after(std::chrono::milliseconds(1));
  wait->poll.async_wait([&s, wait](beast::error_code) { poll_drained(s, wait); });
}

}  // namespace

WsClient::WsClient(WsClientConfig config, WsClientHandlers handlers, const IngressClock* clock,
                   IoThreads* io_threads)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(handlers), clock, io_threads)) {}

WsClient::~WsClient() {
  stop();
}

bool WsClient::start(std::string* error) {
  Impl& s = *impl_;
  if (s.started.exchange(true)) return true;
  auto fail = [&](std::string why) {
    if (error) *error = std::move(why);
    s.started.store(false);
    return false;
  };
  if (!s.handlers.on_frame) return fail("on_frame handler is required");
  auto url = parse_ws_url(s.config.url);
  if (!url) return fail(url.error());
  if (url->tls) {
    const TlsClientOptions tls{s.config.verify_peer, s.config.ca_file, s.config.ca_pem};
    if (auto bad = configure_client_context(s.ssl_ctx, tls)) return fail(*bad);
  }
  WsConnectionSettings& cs = s.settings;
  cs.ioc = &s.ioc;
  cs.tls_context = &s.ssl_ctx;
  cs.arena = &s.arena;
  cs.clock = s.clock;
  cs.target = url->target;
  cs.url = std::move(*url);
  cs.verify_peer = s.config.verify_peer;
  cs.connect_timeout = s.config.connect_timeout;
  cs.max_message_bytes = s.config.max_message_bytes;
  cs.user_agent = s.config.user_agent;
  s.running.store(true);
  asio::post(s.ioc, [&s] {
    s.arm_tick();
    s.connect();
  });
  if (s.own_ioc) {
    s.work.emplace(s.ioc.get_executor());
    s.thread = std::thread([&s] {
      place_current_thread(s.config.thread_role);
      s.ioc.run();
    });
  }
  return true;
}

void WsClient::stop() {
  Impl& s = *impl_;
  if (!s.running.exchange(false)) return;
  if (s.own_ioc) {
    asio::post(s.ioc, [&s] {
      s.tear_down();
      s.work.reset();
    });
    s.thread.join();
    return;
  }
  // A shared context keeps running: wait until the teardown ran and every operation of this
  // client completed (aborted reads, resolves, timer waits), looking every millisecond.
  auto wait = std::make_shared<StopWait>(s.ioc);
  asio::post(s.ioc, [&s, wait] {
    s.tear_down();
    poll_drained(s, wait);
  });
  std::unique_lock lock(wait->mutex);
  wait->cv.wait(lock, [&] { return wait->done; });
}

std::uint64_t WsClient::subscribe(std::string_view symbol, std::string_view channel) {
  Impl& s = *impl_;
  std::string name = stream_name(symbol, channel);
  {
    std::lock_guard lock(s.mu);
    if (s.wanted[name]++ > 0) return 0;
    s.wanted_count.store(s.wanted.size(), std::memory_order_relaxed);
  }
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id, name = std::move(name)]() mutable {
    s.send_request(id, "SUBSCRIBE", {std::move(name)}, false);
  });
  return id;
}

std::uint64_t WsClient::unsubscribe(std::string_view symbol, std::string_view channel) {
  Impl& s = *impl_;
  std::string name = stream_name(symbol, channel);
  {
    std::lock_guard lock(s.mu);
    const auto it = s.wanted.find(name);
    if (it == s.wanted.end()) return 0;
    if (--it->second > 0) return 0;
    s.wanted.erase(it);
    s.wanted_count.store(s.wanted.size(), std::memory_order_relaxed);
  }
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id, name = std::move(name)]() mutable {
    s.send_request(id, "UNSUBSCRIBE", {std::move(name)}, false);
  });
  return id;
}

std::uint64_t WsClient::list_subscriptions() {
  Impl& s = *impl_;
  if (!s.is_connected.load(std::memory_order_acquire)) return 0;
  const std::uint64_t id = s.next_id.fetch_add(1);
  asio::post(s.ioc, [&s, id] { s.send_request(id, "LIST_SUBSCRIPTIONS", {}, false); });
  return id;
}

bool WsClient::send_raw(std::string text) {
  Impl& s = *impl_;
  if (!s.is_connected.load(std::memory_order_acquire)) return false;
  asio::post(s.ioc, [&s, text = std::move(text)]() mutable {
    if (!s.conn || !s.conn->open) return;
    if (s.raw_sent == 0) s.raw_sent = monotonic_now();
    s.conn->send(std::move(text));
  });
  return true;
}

void WsClient::reconnect(std::string reason) {
  Impl& s = *impl_;
  if (!s.running.load()) return;
  asio::post(s.ioc, [&s, reason = std::move(reason)] {
    if (s.conn && s.conn->open && !s.stopping) s.on_failed(s.conn.get(), reason);
  });
}

std::vector<std::string> WsClient::subscriptions() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [name, refs] : impl_->wanted)
    out.push_back(name);
  return out;
}

bool WsClient::connected() const noexcept {
  return impl_->is_connected.load(std::memory_order_acquire);
}

ClientStats WsClient::stats() const {
  const AtomicStats& a = impl_->stats;
  auto get = [](const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  ClientStats s;
  s.frames = get(a.frames);
  s.bytes = get(a.bytes);
  s.unrecognised_frames = get(a.unrecognised);
  s.replies = get(a.replies);
  s.request_errors = get(a.request_errors);
  s.connects = get(a.connects);
  s.connect_failures = get(a.connect_failures);
  s.disconnects = get(a.disconnects);
  s.stale_events = get(a.stale_events);
  s.pings_received = get(a.pings);
  s.pongs_received = get(a.pongs);
  s.last_frame_time = a.last_frame_time.load(std::memory_order_relaxed);
  return s;
}

}  // namespace be::net
