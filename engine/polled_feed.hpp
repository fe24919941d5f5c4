// Ingest without a hop: a market-data source the pipeline thread polls itself, instead of a
// venue I/O thread parsing frames and pushing events through the multi-producer ingress.
//
//   socket --io_uring (net/uring)--> PolledFeed::poll(sink) on the pipeline thread
//       --sink.frame(): the venue's parser in place (parse_padded)--> each event sequenced,
//         folded and journaled at once, as an input taken off the ingress would be
//
// The engine builds one for every venue whose config says `"ingest": "hot"` (a ws:// venue:
// net::uring::FeedSession, reconnecting, with the Beast client's Connectivity events); a
// benchmark or a test may attach its own with Engine::set_polled_feed. The pipeline thread
// polls every polled feed once per round, after the inputs it took from its queues (the
// paper venue's answers, live gateways' answers, then the ingress: operator commands and
// every other producer keep their queues). The journal holds what it always holds: each
// event as the parser made it, in the order the pipeline applied it, so recovery and
// `replay --verify` need nothing new.
//
// Thread-safety: poll() and close() on the pipeline thread only (between Engine::start and
// stop); stats() from any thread (the replica's, when it publishes the read model).
#pragma once

#include <cstdint>

#include "core/event.hpp"
#include "net/ws_client.hpp"

namespace be::engine {

// What a polled feed hands the pipeline thread (the engine implements it).
class PolledFeedSink {
 public:
  // One message of the feed's venue (net::Frame: bytes valid during the call, `readable`
  // bytes from payload.data(), receive_time the client's). Only FrameKind::kData frames are
  // parsed, as from the Beast client. `intended`: a harness's intended send time (0 live).
  virtual void frame(const net::Frame& frame, Nanos intended) noexcept = 0;
  // A be::Event{Connectivity} of the feed's venue: folded (and journaled) as an input.
  virtual void status(const Event& connectivity) noexcept = 0;

 protected:
  ~PolledFeedSink() = default;
};

struct PolledFeedStats {
  std::uint64_t frames = 0;
  std::uint64_t connect_failures = 0;
  Nanos last_frame_time = 0;  // 0: none yet
};

class PolledFeed {
 public:
  virtual ~PolledFeed() = default;
  // Everything that arrived since the last call, handed to `sink` (at most what the kernel
  // posted: a poll never waits). Returns the messages and status events handed over. After
  // warm-up: no allocation, no lock, no syscall except io_uring_enter when the ring needs it.
  virtual int poll(PolledFeedSink& sink) noexcept = 0;
  // The engine is stopping: end the connection (kDisconnected to `sink` if it was open). No
  // poll() follows.
  virtual void close(PolledFeedSink& sink) noexcept = 0;
  virtual PolledFeedStats stats() const noexcept = 0;
};

}  // namespace be::engine
