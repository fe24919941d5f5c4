// `bench run --feed sim-ws-uring` through the engine: the simulator's frames (sim_feed.hpp,
// the io_uring client, no thread of its own) polled by the engine's pipeline thread as a
// PolledFeed (engine/polled_feed.hpp), each frame parsed in place and folded there, with its
// schedule slot's intended time for the latency recorder. What a `"ingest": "hot"` venue
// does, with the harness's side channel for intended times.
//
// Attach and detach: the harness sets the SimWsFeed once it started (attach) and takes it
// away before stopping it (detach waits until no poll is running); the engine keeps polling
// this object, which then finds nothing, until it stops.
//
// Thread-safety: poll()/close() on the pipeline thread; attach/detach on the harness thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <thread>

#include "bench/harness/sim_feed.hpp"
#include "engine/polled_feed.hpp"

namespace be::bench {

class PolledSimFeed final : public engine::PolledFeed {
 public:
  void attach(SimWsFeed* feed) noexcept { feed_.store(feed, std::memory_order_seq_cst); }
  // After it returns no poll touches the feed (a poll sets busy_ before it reads feed_; this
  // clears feed_ before it reads busy_: sequentially consistent, one sees the other).
  void detach() noexcept {
    feed_.store(nullptr, std::memory_order_seq_cst);
    while (busy_.load(std::memory_order_seq_cst))
      std::this_thread::yield();
  }

  // The SimWsFeed's on_frame, called inside poll() on the pipeline thread.
  void deliver(std::string_view frame, std::size_t readable, Nanos receive_time, Nanos intended) {
    frames_.store(frames_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    last_frame_time_.store(receive_time, std::memory_order_relaxed);
    sink_->frame(net::Frame{.payload = frame,
                            .readable = readable,
                            .receive_time = receive_time,
                            .kind = net::FrameKind::kData,
                            .binary = false},
                 intended);
  }

  int poll(engine::PolledFeedSink& sink) noexcept override {
    busy_.store(true, std::memory_order_seq_cst);
    int n = 0;
    if (SimWsFeed* feed = feed_.load(std::memory_order_seq_cst)) {
      sink_ = &sink;
      n = std::max(feed->poll(), 0);  // a failed connection: the feed's result() says why
    }
    busy_.store(false, std::memory_order_release);
    return n;
  }
  // One connection for the run, ended by the harness: nothing to report at the engine's stop.
  void close(engine::PolledFeedSink&) noexcept override {}
  engine::PolledFeedStats stats() const noexcept override {
    return {.frames = frames_.load(std::memory_order_relaxed),
            .connect_failures = 0,
            .last_frame_time = last_frame_time_.load(std::memory_order_relaxed)};
  }

 private:
  std::atomic<SimWsFeed*> feed_{nullptr};
  std::atomic<bool> busy_{false};
  engine::PolledFeedSink* sink_ = nullptr;  // pipeline thread
  std::atomic<std::uint64_t> frames_{0};
  std::atomic<Nanos> last_frame_time_{0};
};

}  // namespace be::bench
