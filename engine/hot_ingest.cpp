// Ingest without a hop (engine/polled_feed.hpp): the pipeline thread polls each polled feed
// once per round and folds what its frames parse to, one event at a time, with no queue
// between the socket and the fold. The engine's own polled feed for a `"ingest": "hot"` venue
// is net::uring::FeedSession (connecting and closing on its connector thread, polled here).
#include <stdexcept>

#include "engine/engine_impl.hpp"
#include "net/uring/feed_session.hpp"

namespace be::engine {

namespace {

// A `"ingest": "hot"` venue's feed: the io_uring session, subscribed to the venue's streams
// (as the Beast client subscribes them), with the Beast client's default clocks and backoff.
class HotVenueFeed final : public PolledFeed {
 public:
  explicit HotVenueFeed(net::uring::FeedSessionConfig config) : session_(std::move(config)) {}
  bool start(std::string* error) { return session_.start(error); }

  int poll(PolledFeedSink& sink) noexcept override {
    return session_.poll(&HotVenueFeed::on_frame, &HotVenueFeed::on_status, &sink);
  }
  void close(PolledFeedSink& sink) noexcept override {
    session_.close(&HotVenueFeed::on_status, &sink);
  }
  PolledFeedStats stats() const noexcept override {
    const net::uring::FeedSessionStats s = session_.stats();
    return {.frames = s.frames,
            .connect_failures = s.connect_failures,
            .last_frame_time = s.last_frame_time};
  }

 private:
  static void on_frame(void* sink, const net::Frame& f) {
    static_cast<PolledFeedSink*>(sink)->frame(f, 0);
  }
  static void on_status(void* sink, const Event& e) {
    static_cast<PolledFeedSink*>(sink)->status(e);
  }
  net::uring::FeedSession session_;
};

}  // namespace

void Engine::Impl::PolledIngest::frame(const net::Frame& f, Nanos intended) noexcept {
  if (f.kind != net::FrameKind::kData || im.polled_failure) return;
  const auto r = parser.parse_padded(f.payload, f.readable, f.receive_time, [&](const Event& e) {
    take(InputItem{e, intended});
  });
  if (!r.ok()) im.parse_rejects_io.fetch_add(1, std::memory_order_relaxed);
}

void Engine::Impl::PolledIngest::status(const Event& e) noexcept {
  take(InputItem{e, 0});
}

// The parser's sink is noexcept: a stage's exception waits for poll_feeds() to rethrow it.
void Engine::Impl::PolledIngest::take(const InputItem& item) noexcept {
  if (im.polled_failure) return;
  try {
    im.ingest_polled(item);
  } catch (...) {
    im.polled_failure = std::current_exception();
  }
}

void Engine::Impl::make_polled_sinks() {
  for (std::size_t v = 0; v < config.venues.size(); ++v)
    polled_sinks.push_back(std::make_unique<PolledIngest>(*this, *parsers[v]));
}

Expected<bool, std::string> Engine::Impl::start_polled_feeds() {
  for (std::size_t v = 0; v < config.venues.size(); ++v) {
    const VenueSpec& spec = config.venues[v];
    if (spec.ingest != Ingest::kHot || spec.url.empty()) continue;
    net::uring::FeedSessionConfig fc;
    fc.client.url = spec.url;
    fc.venue = VenueId{static_cast<std::uint16_t>(v)};
    for (const InstrumentSpec& in : config.instruments) {
      if (in.venue != spec.name) continue;
      for (const std::string& ch : spec.channels)
        fc.streams.push_back(net::stream_name(in.symbol, ch));
    }
    auto feed = std::make_unique<HotVenueFeed>(std::move(fc));
    std::string error;
    if (!feed->start(&error)) return Unexpected("venue " + spec.name + ": " + error);
    polled[v].store(feed.get(), std::memory_order_release);
    owned_polled.push_back(std::move(feed));
  }
  return true;
}

void Engine::Impl::ingest_polled(const InputItem& item) {
  if (config.topology == Topology::kPipelined) {
    if (!hand_on(item)) throw std::runtime_error("the engine halted");
  } else {
    apply_input(item);
  }
}

std::size_t Engine::Impl::poll_feeds() {
  std::size_t taken = 0;
  for (std::size_t v = 0; v < polled.size(); ++v) {
    PolledFeed* feed = polled[v].load(std::memory_order_acquire);
    if (feed == nullptr) continue;
    taken += static_cast<std::size_t>(feed->poll(*polled_sinks[v]));
    if (polled_failure) std::rethrow_exception(polled_failure);
  }
  return taken;
}

std::size_t Engine::Impl::close_polled_feeds() {
  std::size_t taken = 0;
  for (std::size_t v = 0; v < polled.size(); ++v) {
    PolledFeed* feed = polled[v].load(std::memory_order_acquire);
    if (feed == nullptr) continue;
    feed->close(*polled_sinks[v]);
    ++taken;
    if (polled_failure) std::rethrow_exception(polled_failure);
  }
  return taken;
}

void Engine::Impl::stop_polled_feeds() noexcept {
  for (auto& feed : polled) {
    for (const auto& owned : owned_polled)
      if (feed.load() == owned.get()) feed.store(nullptr);
  }
  owned_polled.clear();  // each session's connector joined, its connections closed
}

bool Engine::set_polled_feed(std::size_t venue, PolledFeed* feed) {
  Impl& im = *impl_;
  if (venue >= im.config.venues.size() || !im.config.venues[venue].url.empty()) return false;
  im.polled[venue].store(feed, std::memory_order_release);
  return true;
}

}  // namespace be::engine
