#include "bench/harness/sim_feed.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "core/agent.hpp"
#include "core/clock.hpp"
#include "core/thread_placement.hpp"
#include "net/uring/ws_client.hpp"
#include "net/ws_client.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"

namespace be::bench {

namespace {

// Beyond this many frames (16 bytes each) the wire series is not kept.
constexpr std::uint64_t kMaxWireSamples = 20'000'000;

// The generator's frames as a simulator market: message i is due at the schedule's intended
// time i. The generator writes the combined-stream envelope {"stream":"<s>","data":<payload>};
// the server wraps <payload> in the very same envelope again for a /stream client, so the
// bytes on the wire are the generator's byte for byte (tests/harness pins it).
class ScheduleSource final : public sim::MarketSource {
 public:
  ScheduleSource(const WireGenConfig& wire, const Schedule& schedule, std::uint64_t count)
      : gen_(wire), schedule_(schedule), count_(count) {
    for (const std::string& s : wire.symbols) {
      streams_.push_back(sim::to_lower(s) + "@trade");
      streams_.push_back(sim::to_lower(s) + "@bookTicker");
    }
    frame_.reserve(512);
  }

  bool next(sim::MarketMessage& out) override {
    if (next_ == count_) return false;
    out.event_time = schedule_.intended(next_++);
    gen_.next(out.event_time, frame_);
    constexpr std::string_view kHead = R"({"stream":")";
    constexpr std::string_view kData = R"(","data":)";
    const std::size_t stream_end = frame_.find(kData, kHead.size());
    const std::size_t payload = stream_end + kData.size();
    out.stream.assign(frame_, kHead.size(), stream_end - kHead.size());
    out.payload.assign(frame_, payload, frame_.size() - payload - 1);  // drop the closing '}'
    return true;
  }
  bool serves(std::string_view stream) const override {
    return std::find(streams_.begin(), streams_.end(), stream) != streams_.end();
  }
  std::vector<std::string> streams() const override { return streams_; }

 private:
  WireGenerator gen_;
  const Schedule& schedule_;  // fixed before the server thread starts
  std::uint64_t count_;
  std::uint64_t next_ = 0;
  std::string frame_;
  std::vector<std::string> streams_;
};

std::string combined_target(const std::vector<std::string>& streams) {
  std::string target = "/stream?streams=";
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (i) target += '/';
    target += streams[i];
  }
  return target;
}

}  // namespace

struct SimWsFeed::Impl {
  std::vector<std::string> streams;
  std::unique_ptr<sim::SimServer> server;
  net::WsClientConfig client_config;
  net::WsClientHandlers client_handlers;
  std::unique_ptr<net::WsClient> client;
  // FeedClient::kUring: the polled client and the thread that spins on it.
  std::unique_ptr<net::uring::WsClient> uring;
  std::thread poller;
  std::atomic<bool> stop_polling{false};
  std::atomic<bool> poll_failed{false};
  std::string poll_error;  // the poller's; read after it is joined
  OnFrame deliver;
  const Schedule* schedule = nullptr;
  // Per frame: when the server started its write, and when the client's read completed
  // (sized once; each written by one thread, read after both stopped): the wire series.
  std::vector<Nanos> sent_at, received_at;
  InjectorStats sender;  // server thread; read after stop()
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> unexpected{0};  // replies or unrecognised frames: none expected
  std::uint64_t connects = 0;
  bool stopped = false;

  // Either client's frame: its position in the stream names its schedule slot.
  void on_frame(const net::Frame& f) {
    if (f.kind != net::FrameKind::kData) {
      unexpected.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const std::uint64_t k = received.load(std::memory_order_relaxed);
    if (k < received_at.size()) received_at[k] = f.receive_time;
    deliver(f.payload, f.readable, f.receive_time, schedule->intended(k));
    received.store(k + 1, std::memory_order_release);
  }

  // The polling thread: polls the client, as a pipeline thread that owns the socket would,
  // idling between empty polls as the engine's threads do.
  void poll_loop(AnyIdleStrategy idle, bool wait) {
    // A market-data thread, placed as the Beast client's I/O thread is (core/thread_placement).
    place_current_thread(ThreadRole::kFeed, "be-poll");
    auto sink = [this](const net::Frame& f) { on_frame(f); };
    while (!stop_polling.load(std::memory_order_relaxed)) {
      const int delivered = wait ? uring->wait(10'000'000, sink) : uring->poll(sink);
      if (delivered < 0) {
        poll_error = uring->error();
        poll_failed.store(true, std::memory_order_release);
        return;
      }
      idle.idle(delivered);
    }
  }
};

SimWsFeed::SimWsFeed(SimFeedConfig config, OnFrame on_frame)
    : config_(std::move(config)), impl_(std::make_unique<Impl>()) {
  schedule_.rate = config_.rate;
  // Fixed before the server thread exists, so that thread reads it without a race.
  schedule_.start = wall_now() + config_.lead;
  Impl& im = *impl_;
  auto source = std::make_unique<ScheduleSource>(config_.wire, schedule_, config_.count);
  if (config_.count <= kMaxWireSamples) {
    im.sent_at.assign(config_.count, 0);
    im.received_at.assign(config_.count, 0);
  }
  im.streams = source->streams();

  sim::SimConfig sc;
  sc.port = 0;
  sc.pace_on_wall_clock = true;
  sc.hold_until_subscribed = true;
  sc.ping_interval = 3'600'000'000'000;  // no server pings inside a run
  sc.on_broadcast = [this](const sim::MarketMessage& m, std::size_t receivers, Nanos sent_at) {
    // The server thread's sleeps end late by its timer slack (50 us by default), which would
    // be counted as latency: 1 ns, as the in-process injector sets for itself.
    static thread_local const bool precise = prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) == 0;
    (void)precise;
    if (receivers == 0) return;  // nobody subscribed yet: the client's count would not match
    const Nanos lag = sent_at - m.event_time;
    if (impl_->sender.sent < impl_->sent_at.size()) impl_->sent_at[impl_->sender.sent] = sent_at;
    impl_->sender.note_sent(lag, schedule_.interval());
    if (m.event_time >= schedule_.start + config_.measure_from_offset) sender_lag_.record(lag);
    impl_->sent.fetch_add(1, std::memory_order_release);
  };
  im.server = std::make_unique<sim::SimServer>(std::move(sc), std::move(source));

  im.deliver = std::move(on_frame);
  im.schedule = &schedule_;
  net::WsClientHandlers h;
  h.on_frame = [&im](const net::Frame& f) { im.on_frame(f); };
  net::WsClientConfig wc;  // the URL is set at start(), once the port is known
  wc.stale_after = 3'600'000'000'000;
  wc.idle_timeout = 3'600'000'000'000;
  wc.backoff.initial = 3'600'000'000'000;  // one connection: a reconnect fails the run
  im.client_config = std::move(wc);
  im.client_handlers = std::move(h);
}

SimWsFeed::~SimWsFeed() {
  stop();
}

Expected<bool, std::string> SimWsFeed::start() {
  Impl& im = *impl_;
  auto port = im.server->start();
  if (!port) return Unexpected("simulator: " + port.error());
  im.client_config.url = "ws://127.0.0.1:" + std::to_string(*port) + combined_target(im.streams);
  if (config_.client == FeedClient::kUring) {
    net::uring::WsClientConfig uc;
    uc.url = im.client_config.url;
    auto connected = net::uring::WsClient::connect(uc);
    if (!connected) return Unexpected("io_uring client: " + connected.error());
    const bool wait = config_.idle == "wait";
    auto idle = AnyIdleStrategy::from_config(wait ? "busy_spin" : config_.idle);
    if (!idle) return Unexpected("idle: " + idle.error());
    im.uring = std::move(*connected);
    im.connects = 1;
    if (!config_.poll_in_caller) {
      im.poller = std::thread([&im, strategy = *idle, wait] { im.poll_loop(strategy, wait); });
    }
  } else {
    im.client = std::make_unique<net::WsClient>(im.client_config, im.client_handlers);
    std::string error;
    if (!im.client->start(&error)) return Unexpected("client: " + error);
  }
  const std::size_t wanted = im.streams.size();
  const bool subscribed =
      im.server->wait_for([wanted](const sim::SimStats& s) { return s.subscriptions >= wanted; },
                          schedule_.start - wall_now());
  // The server registers the session before the client has seen the handshake answer.
  while (subscribed && im.client && !im.client->connected() && wall_now() < schedule_.start) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (!subscribed || wall_now() >= schedule_.start) {
    return Unexpected(std::string("the client did not subscribe before the first frame was due"));
  }
  return true;
}

int SimWsFeed::poll() {
  Impl& im = *impl_;
  auto sink = [&im](const net::Frame& f) { im.on_frame(f); };
  const int delivered = im.uring->poll(sink);
  if (delivered < 0 && !im.poll_failed.load(std::memory_order_relaxed)) {
    im.poll_error = im.uring->error();  // read after the caller stopped polling
    im.poll_failed.store(true, std::memory_order_release);
  }
  return delivered;
}

bool SimWsFeed::wait_done(Nanos timeout) {
  const Nanos deadline = monotonic_now() + timeout;
  const Impl& im = *impl_;
  while (monotonic_now() < deadline) {
    const std::uint64_t sent = im.sent.load(std::memory_order_acquire);
    if (sent == config_.count && im.received.load(std::memory_order_acquire) >= sent) return true;
    if (im.client && im.client->stats().disconnects > 0) return false;
    if (im.poll_failed.load(std::memory_order_acquire)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void SimWsFeed::stop() {
  Impl& im = *impl_;
  if (im.stopped) return;
  im.stopped = true;
  if (im.client) {
    im.connects = im.client->stats().connects;
    im.client->stop();
  }
  if (im.poller.joinable()) {
    im.stop_polling.store(true, std::memory_order_relaxed);
    im.poller.join();
  }
  im.server->stop();
  // Both threads are gone: the wire time of every measured frame that made it.
  const std::uint64_t first = measured_from_slot();
  for (std::uint64_t k = first; k < im.received_at.size(); ++k) {
    if (im.received_at[k] != 0 && im.sent_at[k] != 0)
      wire_.record(im.received_at[k] - im.sent_at[k]);
  }
}

// The first slot whose intended time is past the warm-up.
std::uint64_t SimWsFeed::measured_from_slot() const noexcept {
  std::uint64_t k = 0;
  const Nanos from = schedule_.start + config_.measure_from_offset;
  while (k < config_.count && schedule_.intended(k) < from)
    ++k;
  return k;
}

SimFeedResult SimWsFeed::result() const {
  const Impl& im = *impl_;
  SimFeedResult r;
  r.sender = im.sender;
  r.received = im.received.load(std::memory_order_acquire);
  r.connects = im.client && !im.stopped ? im.client->stats().connects : im.connects;
  if (im.poll_failed.load(std::memory_order_acquire) && r.received != config_.count) {
    r.error = "the io_uring client failed: " + im.poll_error;
  } else if (r.connects != 1) {
    r.error = "the client connected " + std::to_string(r.connects) +
              " times: frame positions no longer name schedule slots";
  } else if (r.sender.sent != config_.count) {
    r.error = "the simulator sent " + std::to_string(r.sender.sent) + " of " +
              std::to_string(config_.count) + " frames";
  } else if (r.received != r.sender.sent) {
    r.error = "the client received " + std::to_string(r.received) + " of " +
              std::to_string(r.sender.sent) + " frames sent";
  } else if (const auto odd = im.unexpected.load(); odd != 0) {
    r.error = std::to_string(odd) + " frames were not stream data";
  }
  return r;
}

}  // namespace be::bench
