// A WebSocket client connection whose text frames another thread writes itself, without a
// queue: the order-entry session of a venue gateway (oms/venues/binance, docs/BINANCE.md
// "Order entry from the hot thread"). Plain OpenSSL on a non-blocking socket (or the socket
// alone for ws://), not Asio's SSL stream, whose engine keeps OpenSSL behind memory BIOs that
// only its own handlers drain.
//
//   owner's worker thread   connect() (blocking, bounded: TCP, TLS, upgrade), exchange()
//                           (one request, one answer: a logon), then start(io)
//   the writer (hot thread) try_acquire() -> write_text_locked(payload) -> release():
//                           the frame is masked into the session's preallocated buffer and
//                           written with one SSL_write; no heap, no syscall but the write
//   the I/O thread          waits for readability (Asio async_wait, no read), then under the
//                           lock reads with non-blocking SSL_read until it would block,
//                           finishes a committed write, answers pings; calls on_text and
//                           on_closed outside the lock
//
// The lock is a spin try-lock: the writer never waits. try_acquire() is false when the
// I/O thread holds it, when the session is not open, or while an earlier frame is not fully
// written: the writer then sends by another path. A write that would block after OpenSSL
// took the frame (SSL_ERROR_WANT_WRITE: the record may be partly on the wire and must be
// retried with the same bytes) is committed: the I/O thread finishes it on writability and
// the session takes no other frame until then (kCommitted; nothing is lost or sent twice).
// A write that fails leaves the session closing (kFailed; the frame's fate is unknown).
//
// Frames: Beast's frame codec (its header writer and masking, net/ stays the one place that
// knows WebSocket); server frames are read as RFC 6455 says (unmasked, text/ping/close,
// continuations joined).
//
// Thread-safety: connect/exchange/start/close from one owner thread (never the I/O thread);
// try_acquire/write_text_locked/release from one writer thread; handlers run on the I/O
// thread. close() returns once no handler runs and none will.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "net/io_threads.hpp"
#include "net/tls_client.hpp"

namespace be::net {

struct DirectWsConfig {
  std::string url;  // ws:// or wss://
  TlsClientOptions tls;
  // Connect, TLS, upgrade and exchange() each; and a written frame unanswered this long
  // (no byte read since) closes the session: the venue answers every request.
  Nanos timeout = 5'000'000'000;
  std::size_t max_message_bytes = 1u << 20;
};

// on_closed's reason when a written frame went unanswered for DirectWsConfig::timeout: the
// peer's link is stale (pings may still be answered), not merely this connection gone.
inline constexpr std::string_view kNoAnswerReason = "no answer within the timeout";

struct DirectWsHandlers {
  std::function<void(std::string_view text)> on_text;   // one complete text message
  std::function<void(std::string_view why)> on_closed;  // once per start()ed connection
};

class DirectWsSession {
 public:
  static constexpr std::size_t kMaxPayload = 2048;  // a frame write_text_locked takes

  enum class Write : std::uint8_t {
    kWritten,    // every byte handed to the kernel
    kCommitted,  // would block: the I/O thread finishes it; the session is busy until then
    kFailed,     // the connection broke during the write: the frame's fate is unknown
    kTooLarge,   // not written (payload over kMaxPayload)
  };

  // For tests: the next `count` try_acquire() calls fail (as if the I/O thread held the
  // lock), or the next `count` writes act as if the socket would block before any byte
  // went out (the frame is committed and the I/O thread writes it).
  enum class Fault : std::uint8_t { kBusy, kWouldBlock };

  DirectWsSession();
  ~DirectWsSession();
  DirectWsSession(const DirectWsSession&) = delete;
  DirectWsSession& operator=(const DirectWsSession&) = delete;

  // Blocking: resolves, connects, TLS handshake (wss), upgrade to `url`'s target. An error
  // says which step failed. A session that was open is closed first.
  bool connect(const DirectWsConfig& config, std::string* error);
  // Blocking, between connect() and start(): writes `request` as one text frame and waits
  // (config.timeout) for one text message into `answer`.
  bool exchange(std::string_view request, std::string& answer, std::string* error);
  // The connection goes non-blocking and to `io`'s thread, which reads; it is open() (writers
  // may write) once that thread has taken it over.
  void start(IoThreads& io, DirectWsHandlers handlers);
  // Closes the connection (if any); on return no handler of it runs.
  void close() noexcept;
  bool open() const noexcept { return open_.load(std::memory_order_acquire); }

  // ---- the writer's side: no allocation, no blocking ----
  bool try_acquire() noexcept;
  Write write_text_locked(std::string_view payload) noexcept;  // between acquire and release
  void release() noexcept;

  void inject(Fault fault, int count) noexcept;
  std::uint64_t committed_writes() const noexcept;  // writes the I/O thread finished

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> open_{false};
};

}  // namespace be::net
