#include "net/uring/feed_session.hpp"

#include <algorithm>
#include <chrono>

#include "net/detail/ws_requests.hpp"
#include "net/url.hpp"

namespace be::net::uring {

namespace {
// How often the connector looks for a connection the poller handed back (and for stop()).
constexpr Nanos kConnectorLook = 10'000'000;
}  // namespace

FeedSession::FeedSession(FeedSessionConfig config, const IngressClock* clock)
    : config_(std::move(config)), clock_(clock ? clock : &own_clock_) {}

FeedSession::~FeedSession() {
  stop();
}

bool FeedSession::start(std::string* error) {
  auto url = parse_ws_url(config_.client.url);
  if (!url || url->tls) {
    if (error) {
      *error = !url ? "url: " + url.error()
                    : std::string("url: wss:// is not supported on the io_uring path yet");
    }
    return false;
  }
  if (connector_.joinable()) return true;
  connector_ = std::thread([this] { connector_loop(); });
  return true;
}

void FeedSession::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (connector_.joinable()) connector_.join();
  delete ready_.exchange(nullptr, std::memory_order_acq_rel);
  delete dead_.exchange(nullptr, std::memory_order_acq_rel);
  current_.reset();
  closed_.reset();
}

// The connector: connects when no connection is ready or held, on the backoff schedule after
// a failure; closes what the poller handed back (off the hot thread: ring teardown, close(2)).
void FeedSession::connector_loop() {
  place_current_thread(config_.connector_role, "be-feed");
  Backoff backoff(config_.backoff);
  std::uint64_t next_id = 1;
  bool wanted = true;  // no connection ready or held by the poller
  Nanos retry_at = 0;  // monotonic
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (WsClient* dead = dead_.exchange(nullptr, std::memory_order_acq_rel)) {
      lock.unlock();
      delete dead;
      lock.lock();
      wanted = true;
      retry_at = monotonic_now() + backoff.next();
      continue;
    }
    const Nanos now = monotonic_now();
    if (wanted && now >= retry_at) {
      lock.unlock();
      auto client = WsClient::connect(config_.client, clock_);
      bool ok = client.has_value();
      if (ok && !config_.streams.empty()) {
        ok = (*client)->send_text(detail::request_json("SUBSCRIBE", config_.streams, next_id++));
      }
      lock.lock();
      if (ok) {
        backoff.reset();
        wanted = false;
        ready_.store(client->release(), std::memory_order_release);
      } else {
        connect_failures_.fetch_add(1, std::memory_order_relaxed);
        retry_at = monotonic_now() + backoff.next();
      }
      continue;
    }
    const Nanos wait =
        wanted ? std::clamp(retry_at - now, Nanos{0}, kConnectorLook) : kConnectorLook;
    wake_.wait_for(lock, std::chrono::nanoseconds(wait), [this] { return stopping_; });
  }
}

void FeedSession::emit(ConnectivityState state, OnStatus on_status, void* context) {
  Connectivity body;
  body.venue = config_.venue;
  body.state = state;
  const Nanos now = clock_->now();
  on_status(context, Event::make(body, now, now, index_of(config_.venue)));
  ++delivered_;
}

// An open connection ended: reported, and given to the connector to close and replace.
void FeedSession::hand_back(OnStatus on_status, void* context) {
  disconnects_.fetch_add(1, std::memory_order_relaxed);
  stale_ = false;
  emit(ConnectivityState::kDisconnected, on_status, context);
  // Empty: the connector took the previous dead connection before it made this one.
  dead_.store(current_.release(), std::memory_order_release);
}

void FeedSession::on_message(void* self, const Frame& frame) {
  auto& s = *static_cast<FeedSession*>(self);
  if (s.stale_) {
    s.stale_ = false;
    s.emit(ConnectivityState::kRecovered, s.user_status_, s.user_context_);
  }
  s.last_message_ = s.poll_now_;
  s.frames_.fetch_add(1, std::memory_order_relaxed);
  s.last_frame_time_.store(frame.receive_time, std::memory_order_relaxed);
  ++s.delivered_;
  s.user_frame_(s.user_context_, frame);
}

int FeedSession::poll(WsClient::OnFrame on_frame, OnStatus on_status, void* context) {
  user_frame_ = on_frame;
  user_status_ = on_status;
  user_context_ = context;
  delivered_ = 0;
  poll_now_ = monotonic_now();
  if (!current_) {
    WsClient* ready = ready_.exchange(nullptr, std::memory_order_acq_rel);
    if (ready == nullptr) return 0;
    current_.reset(ready);
    stale_ = false;
    ping_sent_ = false;
    last_message_ = last_byte_ = poll_now_;
    chunks_seen_ = current_->stats().chunks;
    connects_.fetch_add(1, std::memory_order_relaxed);
    emit(ConnectivityState::kConnected, on_status, context);
  }
  if (current_->poll(&FeedSession::on_message, this) < 0) {
    hand_back(on_status, context);
    return delivered_;
  }
  const std::uint64_t chunks = current_->stats().chunks;
  if (chunks != chunks_seen_) {
    chunks_seen_ = chunks;
    last_byte_ = poll_now_;
    ping_sent_ = false;
  } else if (poll_now_ - last_byte_ >= config_.idle_timeout) {
    hand_back(on_status, context);  // silent past the idle timeout: dead
    return delivered_;
  } else if (!ping_sent_ && poll_now_ - last_byte_ >= config_.idle_timeout / 2) {
    ping_sent_ = true;  // a live server answers; the pong is a chunk
    if (!current_->send_ping()) {
      hand_back(on_status, context);
      return delivered_;
    }
  }
  if (!stale_ && !config_.streams.empty() && poll_now_ - last_message_ >= config_.stale_after) {
    stale_ = true;
    stale_events_.fetch_add(1, std::memory_order_relaxed);
    emit(ConnectivityState::kStale, on_status, context);
  }
  return delivered_;
}

void FeedSession::close(OnStatus on_status, void* context) {
  delivered_ = 0;
  if (!current_) return;
  current_->close();
  disconnects_.fetch_add(1, std::memory_order_relaxed);
  emit(ConnectivityState::kDisconnected, on_status, context);
  closed_ = std::move(current_);
}

FeedSessionStats FeedSession::stats() const noexcept {
  FeedSessionStats s;
  s.frames = frames_.load(std::memory_order_relaxed);
  s.connects = connects_.load(std::memory_order_relaxed);
  s.connect_failures = connect_failures_.load(std::memory_order_relaxed);
  s.disconnects = disconnects_.load(std::memory_order_relaxed);
  s.stale_events = stale_events_.load(std::memory_order_relaxed);
  s.last_frame_time = last_frame_time_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace be::net::uring
