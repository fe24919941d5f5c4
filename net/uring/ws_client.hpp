// A WebSocket client that a pipeline thread polls: the second socket path of net/ (the first is
// the Beast client on its own I/O thread, net/ws_client.hpp). Made for ingest without a thread
// hop: the thread that folds market data owns the socket, and a frame goes from the kernel to
// the parser without crossing a queue.
//
//   kernel --multishot recv into provided buffers--> CQ ring --poll(): decode in place--> on_frame
//
// io_uring: one multishot receive stays armed on the socket and the kernel picks a buffer from
// a ring of provided buffers for each chunk, so nothing is submitted per frame: poll() reads
// completions from the shared completion ring, decodes the frames inside the chunk where they
// lie (a frame cut by a chunk boundary, and a fragmented message, are assembled in a reused
// buffer) and returns each chunk's buffer to the kernel by a write to shared memory. The one
// receive-side syscall: a completion is finished by task work that runs in this thread's
// context, so when the kernel flags pending work in the shared ring, poll() enters the kernel
// once for everything that arrived (stats().task_runs counts them; none while the line is
// quiet). Others: re-arming the receive when the kernel ended it (it ran out of buffers), and
// writes (pong, ping, close, send_text: plain send(2), rare). Where the kernel or the seccomp
// profile refuses multishot receive or provided buffers, connect() falls back to one receive
// at a time re-armed after each completion (one io_uring_enter per chunk) and features() says
// so and why.
//
// The frame codec is Beast's (net/detail/ws_frame.hpp): the same header rules, masking, close
// and UTF-8 checks and error words as the Beast client. ws:// only: wss:// would decrypt on
// this thread; docs/CONNECTIVITY.md says where that stands.
//
// Thread-safety: none; one thread (the poller) calls everything after connect(), which may
// run on another thread before it.
// Allocation: none per frame once warm (the assembly buffers keep their capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/expected.hpp"
#include "net/ws_client.hpp"

namespace be::net::uring {

struct WsClientConfig {
  std::string url;                        // ws://host:port/path?query (numeric or resolvable host)
  Nanos connect_timeout = 5'000'000'000;  // TCP connect and the HTTP upgrade together
  std::uint64_t max_message_bytes = 4u << 20;
  unsigned buffers = 64;          // provided receive buffers (a power of two)
  unsigned buffer_bytes = 16384;  // each
  bool multishot = true;          // false: one receive at a time (the fallback, for tests)
  std::string user_agent = "botengine";
};

struct Features {
  bool multishot = false;         // a multishot receive is armed
  bool provided_buffers = false;  // the kernel picks from our buffer ring
  // The kernel flags pending completions in the shared ring (cooperative task running, Linux
  // 5.19+) and poll() enters the kernel only then; without it the kernel interrupts the
  // polling thread to post them.
  bool taskrun_flag = false;
  std::string fallback_reason;  // why not, "" when both
};

struct WsStats {
  std::uint64_t frames = 0;      // data messages delivered
  std::uint64_t chunks = 0;      // receive completions with data
  std::uint64_t assembled = 0;   // frames that straddled chunks (copied once)
  std::uint64_t fragmented = 0;  // messages that came in fragments
  std::uint64_t pings = 0, pongs = 0;
  std::uint64_t rearms = 0;  // receive re-armed (a syscall) after the kernel ended it
  // Kernel entries poll() made to let arrived data complete (Features::taskrun_flag): the
  // syscalls of the receive path, one per burst of data, none while nothing arrives.
  std::uint64_t task_runs = 0;
};

enum class WsState : std::uint8_t { kOpen, kClosed, kFailed };

class WsClient {
 public:
  // One data message (text or binary): net::Frame as the Beast client delivers it (payload
  // valid during the call; `readable` bytes from payload.data(); receive_time read once per
  // receive completion; kind by classify_frame).
  using OnFrame = void (*)(void* context, const Frame& frame);

  // Blocking set-up, off the hot path: resolve, TCP connect (TCP_NODELAY), the HTTP upgrade
  // with its Sec-WebSocket-Accept checked, the ring and its buffers. The receive is armed by
  // the first poll(), on the thread that will poll: io_uring finishes a request's completions
  // in the task that submitted it. connect() may run on another thread than poll().
  // Errors name the stage: "url: ...", "connect: Connection refused", "websocket handshake:
  // ...", "io_uring: ...". clock: receive times (nullptr: a WallClock of the client's own).
  static Expected<std::unique_ptr<WsClient>, std::string> connect(
      const WsClientConfig& config, const IngressClock* clock = nullptr);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Takes every completion the kernel has posted (no syscall when there is none), decodes
  // its frames and calls on_frame for each complete data message; answers pings. Returns the
  // messages delivered, or -1 once the connection is over (state(), error()).
  int poll(OnFrame on_frame, void* context);
  template <class F>
  int poll(F& f) {
    return poll([](void* c, const Frame& fr) { (*static_cast<F*>(c))(fr); }, &f);
  }
  // As poll(), but first blocks until a completion arrives or `timeout` passes (tests, tools).
  int wait(Nanos timeout, OnFrame on_frame, void* context);
  template <class F>
  int wait(Nanos timeout, F& f) {
    return wait(
        timeout, [](void* c, const Frame& fr) { (*static_cast<F*>(c))(fr); }, &f);
  }

  // One text frame, masked; false if the connection is not open or the write failed.
  bool send_text(std::string_view text);
  // An empty ping (a keep-alive: the server's pong shows it is there); false as send_text.
  bool send_ping();
  // Starts the closing handshake; poll() then returns -1 with state() kClosed once the
  // server's close frame (or the end of the stream) arrives.
  void close(std::uint16_t code = 1000);

  WsState state() const noexcept;
  // Why the connection is over: "read: bad masked frame", "closed by the server: 1001 bye",
  // "read: end of stream" ...; "" while open.
  const std::string& error() const noexcept;
  const Features& features() const noexcept;
  const WsStats& stats() const noexcept;

  struct Impl;

 private:
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::net::uring
