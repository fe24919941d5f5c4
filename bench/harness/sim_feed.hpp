// The harness's market on a real socket: the exchange simulator's WebSocket server
// (sim::SimServer, the code `botengine sim` serves, run in this process) sends the wire
// generator's frames over loopback, each leaving when the wall clock reaches its intended
// time, and a WebSocket client of net/ receives them. The figures then include the sender's
// kernel, TCP over loopback, the WebSocket layers on both sides and the parser, as a
// deployment sees a venue.
//
//   schedule --ScheduleSource--> SimServer (its I/O thread, paced on the wall clock)
//       --ws:// 127.0.0.1 (combined stream)--> client --on_frame(bytes, rx, intended)--> caller
//
// In process, not a child `botengine sim`: the sender and the receiver then share the one
// schedule in memory (no clock or start-time hand-off between processes, no port to
// discover, a sender that cannot outlive the run), and the kernel path is the same loopback
// either way.
//
// The intended time travels as a side channel the harness controls, never in the bytes: the
// frames are exactly the venue's (Binance's "E" carries the intended time in its own
// millisecond precision), and the client learns each frame's nanosecond intended time from
// its position in the stream: WebSocket over TCP delivers in order and the server never
// drops at this pace without disconnecting (which fails the run), so the k-th data frame is
// schedule slot k. result() says when that could not hold (a reconnect, a frame missing).
//
// Pacing: the server thread sleeps on one absolute timer (Asio's timerfd, no timer slack)
// until the next frame is due and sends every frame due by the time it wakes; it never
// sleeps an interval per frame, so a late wake-up is not carried forward. Whatever the
// sender is late by counts against the figures (every latency is from the intended time,
// coordinated omission corrected as the in-process injector does), and sender_lag() shows
// how much of it was the sender's: intended time -> the sender starting its write.
//
// Thread-safety: start(), wait_done(), stop() and the getters from one thread; on_frame runs
// on the client's I/O thread (or the polling thread), one frame at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "bench/harness/histogram.hpp"
#include "bench/harness/injector.hpp"
#include "bench/harness/wire_gen.hpp"
#include "core/expected.hpp"

namespace be::bench {

// The WebSocket client that receives: today's net::WsClient (Beast, its own I/O thread,
// woken by epoll), or net::uring::WsClient spun on by a thread of the feed's own (no syscall
// per frame; the thread that would be the engine's pipeline thread once it polls the socket).
enum class FeedClient : std::uint8_t { kBeast, kUring };

struct SimFeedConfig {
  std::uint64_t rate = 10'000;    // messages per second
  std::uint64_t count = 0;        // messages in the run
  Nanos measure_from_offset = 0;  // warm-up: sender lags before start + this are not recorded
  Nanos lead = 500'000'000;       // connect and subscribe before the first intended time
  WireGenConfig wire;
  FeedClient client = FeedClient::kBeast;
  // What the kUring polling thread does after a poll that found nothing: "busy_spin",
  // "yield" or "backoff" (core::AnyIdleStrategy, as the engine's threads), or "wait": sleep
  // in the kernel until a completion arrives (io_uring_wait_cqe; the epoll-woken Beast
  // client's wake-up model, with io_uring's receive and the in-place decode).
  std::string idle = "busy_spin";
  // kUring: no polling thread of the feed's own; the caller polls (poll()), as the engine's
  // pipeline thread does through a PolledFeed (bench/harness/polled_sim_feed.hpp).
  bool poll_in_caller = false;
};

struct SimFeedResult {
  InjectorStats sender;        // every frame the server wrote, late and worst lag as the injector's
  std::uint64_t received = 0;  // data frames the client delivered
  std::uint64_t connects = 0;  // client handshakes (1 in a sound run)
  std::string error;           // "" when every frame arrived once, in order, on one connection
};

class SimWsFeed {
 public:
  // One data frame: its bytes (valid during the call; `readable` bytes from frame.data()),
  // the client's receive time (wall clock, ns) and its schedule slot's intended time.
  using OnFrame = std::function<void(std::string_view frame, std::size_t readable,
                                     Nanos receive_time, Nanos intended)>;

  // Fixes the schedule: the first frame is intended `lead` from now (schedule() is valid
  // from here on, so a recorder's warm-up can be set before any frame flows).
  SimWsFeed(SimFeedConfig config, OnFrame on_frame);
  ~SimWsFeed();
  SimWsFeed(const SimWsFeed&) = delete;
  SimWsFeed& operator=(const SimWsFeed&) = delete;

  // Starts the server on an ephemeral loopback port and the client, and returns once the
  // client is subscribed. Errors: the server cannot bind, or the client did not subscribe
  // before the first intended time.
  Expected<bool, std::string> start();
  const Schedule& schedule() const noexcept { return schedule_; }
  // poll_in_caller: every message that arrived, each to on_frame on the calling thread (one
  // thread, after start() returned, not after stop()); -1 once the connection is over.
  int poll();
  // Blocks until the server has sent every frame and the client has delivered as many, or
  // `timeout` passes (false).
  bool wait_done(Nanos timeout);
  // Stops client then server; no on_frame runs after it returns.
  void stop();

  SimFeedResult result() const;
  const Histogram& sender_lag() const noexcept { return sender_lag_; }
  // Valid after stop(): for each frame after the warm-up, the server starting its write ->
  // the client's read completing (the kernel, loopback TCP and both WebSocket layers, without
  // the sender's lateness; not corrected: a comparison of receive paths, not a latency from
  // the schedule). Kept for runs of up to 20 million frames.
  const Histogram& wire() const noexcept { return wire_; }

  struct Impl;

 private:
  SimFeedConfig config_;
  Schedule schedule_;
  Histogram sender_lag_;  // written by the server thread only; read after stop()
  Histogram wire_;        // filled by stop()
  std::uint64_t measured_from_slot() const noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::bench
