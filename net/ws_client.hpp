// The one WebSocket client of the project: one connection to one endpoint, kept up.
// Built for a venue's market-data streams (Binance's live SUBSCRIBE/UNSUBSCRIBE protocol,
// shared by every component that subscribes), and used as a plain reconnecting request/answer
// connection by the Binance gateway's WebSocket API session (oms/venues/binance).
//
//   subscribers --subscribe(sym, ch)--> WsClient --SUBSCRIBE {"id":N}--> venue
//   pipeline    <--on_frame(bytes, receive_time)-- I/O thread <--frames-- venue
//   journal     <--on_status(Event{Connectivity})--
//
// The client runs its own io_context on its own thread, or shares one of an IoThreads'
// (net/io_threads.hpp) with other clients. It reconnects on any failure with
// exponential backoff and jitter (net/backoff.hpp) and resubscribes every stream that is
// still wanted; it answers server pings, sends its own when the line is quiet and drops a
// connection that stays silent past `idle_timeout`; it reports a stale feed (connected,
// subscribed, but no frame for `stale_after`) and its recovery. Connectivity changes become
// be::Event records with the be::Connectivity payload so the pipeline journals them and a
// replay reproduces the outage. No Beast/Asio type appears here: the connection itself is
// net/detail/ws_connection.hpp, in the .cpp files only.
//
// Thread-safety: subscribe(), unsubscribe(), subscriptions(), stats(), reconnect() and
// stop() may be called from any thread. The handlers (and connect_target) are called on the
// I/O thread only, one at a time, and must not block for long. Lifetime: the handlers and the
// clock must outlive the client; stop() (or the destructor) returns after the I/O thread has
// exited, after which no handler runs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/event.hpp"
#include "core/expected.hpp"
#include "net/backoff.hpp"
#include "net/io_threads.hpp"
#include "net/tls_client.hpp"

namespace be::net {

// What the client could tell about a frame from its first and last bytes, without parsing it.
// Parsing is the feed parser's business; this only routes subscription replies and flags
// frames that cannot be a JSON object at all.
enum class FrameKind : std::uint8_t {
  kData = 0,          // a JSON object that is not a reply: a stream event
  kReply = 1,         // {"result":..,"id":N} or an error object with an id
  kUnrecognised = 2,  // binary, empty, or not shaped like a JSON object; counted
};

struct Frame {
  // Valid only for the duration of the handler call: the bytes live in the client's reused
  // read buffer.
  std::string_view payload;
  // Bytes readable from payload.data() (>= payload.size(); the rest is the buffer's spare
  // capacity, content unspecified): lets a parser that needs padding after the text, such as
  // feed::BinanceParser::parse_padded, read the frame in place instead of copying it.
  std::size_t readable = 0;
  Nanos receive_time = 0;  // IngressClock::now() when the read completed
  FrameKind kind = FrameKind::kData;
  bool binary = false;
};

// The venue's answer to one SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS request.
struct RequestResult {
  enum class Status : std::uint8_t { kOk, kError, kTimeout, kConnectionLost };
  std::uint64_t id = 0;
  Status status = Status::kOk;
  bool resubscribe = false;  // the request the client itself sent after (re)connecting
  std::string message;       // the venue's "msg" for kError; empty otherwise
};

struct WsClientConfig {
  // ws://host:port/path or wss://...; for Binance spot "wss://stream.binance.com:9443/stream"
  // (the combined endpoint, so every frame names its stream).
  std::string url;
  VenueId venue{};
  // Called on the I/O thread before every connection attempt: the target (path and query)
  // to open instead of the URL's, or why there is none (the attempt then fails like a
  // refused connection: on_retry, and the next try on the backoff schedule). For endpoints
  // whose path carries a short-lived token fetched before each connection (as Binance's
  // retired spot listen keys were). May block (it runs between connections); empty = the URL's
  // target.
  std::function<Expected<std::string, std::string>()> connect_target;
  // TLS (wss://), as net/tls_client.hpp says: chain and name verified unless verify_peer is
  // false; trust anchors the system's store plus ca_file and ca_pem. A refused certificate
  // fails the attempt with "tls handshake: certificate verify failed: <OpenSSL's reason>
  // (...)" in on_retry, and the client keeps retrying on the backoff schedule.
  bool verify_peer = true;
  std::string ca_file;  // PEM bundle file with extra trust anchors
  std::string ca_pem;   // PEM text with extra trust anchors
  BackoffPolicy backoff;
  Nanos connect_timeout = 10'000'000'000;  // resolve + TCP + TLS + WebSocket handshake
  // No byte at all (data, ping or pong) for this long drops the connection; a ping is sent
  // after half of it passes in silence, so a live but quiet server answers and stays up.
  Nanos idle_timeout = 60'000'000'000;
  // Connected, subscribed, and no frame for this long: a kStale event (kRecovered on the next
  // frame). The connection is kept: idle_timeout is what declares it dead.
  Nanos stale_after = 10'000'000'000;
  Nanos request_timeout = 10'000'000'000;  // a request with no reply by then is kTimeout
  // For request/answer protocols on send_raw (Binance's WebSocket API answers every request):
  // a send_raw followed by no data frame for this long drops the connection as stale ("stale:
  // no answer for N ms"), though pings may still be answered. 0: off.
  Nanos raw_answer_timeout = 0;
  std::uint64_t max_message_bytes = 4u << 20;
  std::string user_agent = "botengine";
  // The client's own I/O thread (not on an IoThreads): its name and CPUs
  // (core/thread_placement.hpp). Market data is what runs on a thread of its own.
  ThreadRole thread_role = ThreadRole::kFeed;
};

struct ClientStats {
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;
  std::uint64_t unrecognised_frames = 0;
  std::uint64_t replies = 0;
  std::uint64_t request_errors = 0;    // error replies and timeouts
  std::uint64_t connects = 0;          // successful handshakes
  std::uint64_t connect_failures = 0;  // attempts that never reached the open state
  std::uint64_t disconnects = 0;       // open connections that were lost
  std::uint64_t stale_events = 0;
  std::uint64_t pings_received = 0;
  std::uint64_t pongs_received = 0;
  Nanos last_frame_time = 0;  // receive time of the latest frame (the config's clock); 0: none
};

struct WsClientHandlers {
  std::function<void(const Frame&)> on_frame;           // required
  std::function<void(const Event&)> on_status;          // Connectivity events; optional
  std::function<void(const RequestResult&)> on_result;  // optional
  // Every failure that schedules a reconnect: why ("connect: Connection refused") and the
  // backoff delay chosen. For logs (rate-limit there) and tests; optional.
  std::function<void(std::string_view reason, Nanos delay)> on_retry;
};

class WsClient {
 public:
  // clock: stamps receive_time on frames and the times of status events; nullptr = a
  // WallClock owned by the client. io_threads: run on one of these shared threads (pinned,
  // round robin) instead of a thread of the client's own; it must outlive the client,
  // stop() must not be called from one of its threads, and no other call may follow stop()
  // (the shared context keeps running: a request posted after it would outlive the client).
  WsClient(WsClientConfig config, WsClientHandlers handlers, const IngressClock* clock = nullptr,
           IoThreads* io_threads = nullptr);
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Starts the I/O thread and the first connection attempt. Returns false with a reason in
  // *error when the configuration is unusable (a bad URL, an unreadable CA file). Idempotent.
  bool start(std::string* error = nullptr);
  // Closes the connection (emitting kDisconnected if it was open) and joins the I/O thread.
  void stop();

  // Adds a reference to the stream "<symbol>@<channel>" (lower-cased, as Binance requires).
  // The first reference sends SUBSCRIBE and returns its request id; later references only
  // count and return 0. While disconnected nothing is sent: the stream is in the wanted set
  // and the resubscribe after the next handshake covers it (its result has resubscribe=true).
  std::uint64_t subscribe(std::string_view symbol, std::string_view channel);
  // Drops one reference; the last one sends UNSUBSCRIBE and returns its id, otherwise 0.
  std::uint64_t unsubscribe(std::string_view symbol, std::string_view channel);
  // Sends LIST_SUBSCRIPTIONS (the reply reaches on_frame as a kReply frame); 0 if offline.
  std::uint64_t list_subscriptions();

  // Sends one text frame as is, if connected (returns false otherwise). For venue requests
  // this class does not model and for tests that need to send a malformed request.
  bool send_raw(std::string text);

  // Drops the current connection as a failure with `reason` (kDisconnected, on_retry, the
  // next attempt on the backoff schedule). For a venue message that says the session is
  // over, such as Binance's "listenKeyExpired". No effect while not connected.
  void reconnect(std::string reason);

  // The streams currently wanted, sorted.
  std::vector<std::string> subscriptions() const;
  ClientStats stats() const;
  bool connected() const noexcept;

  struct Impl;  // opaque: defined in ws_client.cpp (Beast stays out of this header)

 private:
  std::unique_ptr<Impl> impl_;
};

// The stream name Binance expects: "<symbol>@<channel>", lower-cased.
std::string stream_name(std::string_view symbol, std::string_view channel);

// Classifies a frame by its shape (see FrameKind). Exposed for tests and the capture reader.
FrameKind classify_frame(std::string_view payload, bool binary) noexcept;

}  // namespace be::net
