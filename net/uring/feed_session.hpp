// A venue's market-data session on the polled io_uring client (uring/ws_client.hpp), kept up:
// what the Beast client (net/ws_client.hpp) does for a feed on its own I/O thread, split so
// that the thread which folds the market (the engine's pipeline thread) owns the socket.
//
//   connector thread ("be-feed"): connect (blocking) + SUBSCRIBE --ready--> poller
//   poller (pipeline thread):     poll(): frames in place, Connectivity events, stale/idle clocks
//                                 a connection that ended --handed back--> connector: closes it,
//                                 waits its backoff, connects again
//
// Everything that blocks or allocates (resolve, TCP connect, the HTTP upgrade, the SUBSCRIBE
// request, closing a dead ring) happens on the connector thread; the poller only takes a
// ready connection and gives back a dead one through two atomic pointers, so poll() takes no
// lock and makes no syscall beyond the client's own (WsClient::poll). The connector looks for
// a connection handed back every 10 ms: a reconnect waits that much longer than the backoff.
//
// Connectivity as the Beast client reports it (the same be::Event{Connectivity} records, so
// the journal of a run reads the same whichever client received): kConnected when the poller
// takes a new connection; kDisconnected when an open connection ends (the server closed it,
// the stream failed, idle_timeout passed in silence) or close() ends it; kStale when the
// connection is open with streams subscribed and no message arrived for stale_after, and
// kRecovered before the next message. An attempt that never opened reports nothing (counted
// in stats().connect_failures). Events are stamped with the clock (as the Beast client's).
// Pings: the server's are answered by the client; after idle_timeout / 2 with no byte this
// session sends one, so a quiet but live server answers and stays up.
//
// Thread-safety: start() and stop() from one owner thread; poll() and close() from the one
// poller thread, between start() and stop(); stats() from any thread.
// Allocation: none in poll() once warm (the client's own guarantee; status events are built
// on the stack).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_placement.hpp"
#include "net/backoff.hpp"
#include "net/uring/ws_client.hpp"

namespace be::net::uring {

struct FeedSessionConfig {
  WsClientConfig client;  // ws:// URL, buffers; connect_timeout per attempt
  VenueId venue{};
  // Streams ("btcusdt@trade") subscribed by one SUBSCRIBE after each connection, as the Beast
  // client resubscribes; none: the URL names them (a combined-stream query) or none are wanted.
  std::vector<std::string> streams;
  BackoffPolicy backoff;
  Nanos stale_after = 10'000'000'000;
  Nanos idle_timeout = 60'000'000'000;
  ThreadRole connector_role = ThreadRole::kFeed;  // where the connector thread runs
};

struct FeedSessionStats {
  std::uint64_t frames = 0;            // data messages delivered
  std::uint64_t connects = 0;          // connections taken by the poller
  std::uint64_t connect_failures = 0;  // attempts that never opened
  std::uint64_t disconnects = 0;       // open connections that ended
  std::uint64_t stale_events = 0;
  Nanos last_frame_time = 0;  // receive time of the latest message (the clock's); 0: none
};

class FeedSession {
 public:
  using OnStatus = void (*)(void* context, const Event& connectivity);

  // clock: receive times and status stamps (nullptr: a WallClock of the session's own); it
  // must outlive the session.
  explicit FeedSession(FeedSessionConfig config, const IngressClock* clock = nullptr);
  ~FeedSession();
  FeedSession(const FeedSession&) = delete;
  FeedSession& operator=(const FeedSession&) = delete;

  // Checks the URL (ws:// only: "url: wss:// is not supported on the io_uring path yet") and
  // starts the connector thread, which makes the first attempt at once.
  bool start(std::string* error = nullptr);
  // Stops the connector and closes whatever connection it or the poller holds. The poller
  // must have stopped polling (its last close() reported kDisconnected).
  void stop();

  // The poller: takes a ready connection (kConnected), delivers every message that arrived
  // (on_frame: net::Frame, valid during the call), runs the stale and idle clocks. Returns
  // the messages and status events delivered.
  int poll(WsClient::OnFrame on_frame, OnStatus on_status, void* context);
  // The poller, once it stops polling: ends the connection it holds, kDisconnected if open.
  void close(OnStatus on_status, void* context);

  FeedSessionStats stats() const noexcept;

 private:
  void connector_loop();
  void emit(ConnectivityState state, OnStatus on_status, void* context);
  void hand_back(OnStatus on_status, void* context);
  static void on_message(void* self, const Frame& frame);

  FeedSessionConfig config_;
  WallClock own_clock_;
  const IngressClock* clock_;

  // Connector <-> poller: one connection at a time is ready, held, or handed back.
  std::atomic<WsClient*> ready_{nullptr};
  std::atomic<WsClient*> dead_{nullptr};

  // Connector thread and its stop.
  std::thread connector_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // mutex_

  // Poller state.
  std::unique_ptr<WsClient> current_;
  std::unique_ptr<WsClient> closed_;  // close()'s, released by stop()
  bool stale_ = false;
  bool ping_sent_ = false;
  Nanos poll_now_ = 0;      // monotonic, read once per poll()
  Nanos last_message_ = 0;  // monotonic
  Nanos last_byte_ = 0;     // monotonic: any chunk (pings and pongs too)
  std::uint64_t chunks_seen_ = 0;
  WsClient::OnFrame user_frame_ = nullptr;
  OnStatus user_status_ = nullptr;
  void* user_context_ = nullptr;
  int delivered_ = 0;

  std::atomic<std::uint64_t> frames_{0}, connects_{0}, connect_failures_{0}, disconnects_{0},
      stale_events_{0};
  std::atomic<Nanos> last_frame_time_{0};
};

}  // namespace be::net::uring
