// A local webhook receiver for the notifier tests: a synchronous Beast HTTP server on
// 127.0.0.1 and an ephemeral port, on its own thread. Each request gets the next scripted
// Reply (then the default): any status, a Retry-After header, a hang (read the request, never
// answer; the client's timeout ends it) or a hold (answer only after release()).
//
// With a TlsIdentity it serves https (the certificate the notifier must trust or refuse).
//
// Thread-safety: every public method may be called from the test thread while the server
// thread runs. Waits are condition variables with bounded timeouts, never sleeps.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace be::notify::test {

// A server certificate and its key, PEM.
struct TlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;
};

class Receiver {
 public:
  struct Reply {
    int status = 200;
    std::optional<int> retry_after;  // seconds
    bool hang = false;
    bool hold = false;
  };
  static Reply answer(int status, std::optional<int> retry_after = std::nullopt) {
    Reply r;
    r.status = status;
    r.retry_after = retry_after;
    return r;
  }
  struct Request {
    std::string target;
    std::string idempotency_key;
    std::string content_type;
    std::string body;
    int status = 0;  // what it was answered (0: hung)
  };

  explicit Receiver(const TlsIdentity* tls = nullptr);
  ~Receiver();
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  std::string url(const std::string& path = "/hook") const;
  // TLS handshakes that failed (the client refused the certificate, or spoke plain HTTP).
  std::size_t tls_failures() const;
  bool wait_for_tls_failures(std::size_t n, std::chrono::milliseconds timeout);

  void script(std::vector<Reply> replies);
  void set_default(Reply reply);
  // Lets held requests answer (and every later `hold` reply pass at once).
  void release();

  // True once at least `n` requests have arrived (a hung request counts when read).
  bool wait_for_requests(std::size_t n, std::chrono::milliseconds timeout);
  // True once at least `n` requests are being held.
  bool wait_for_held(std::size_t n, std::chrono::milliseconds timeout);
  std::vector<Request> requests() const;

 private:
  void serve();
  template <class Stream>
  void handle(Stream& stream);

  std::uint16_t port_ = 0;
  struct Impl;
  Impl* impl_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Reply> script_;
  Reply default_;
  std::vector<Request> requests_;
  std::size_t held_ = 0;
  std::size_t tls_failures_ = 0;
  bool tls_ = false;
  bool released_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace be::notify::test
