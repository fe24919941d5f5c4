#include "net/uring/ws_client.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "net/detail/tcp_connect.hpp"
#include "net/detail/ws_frame.hpp"
#include "net/url.hpp"

namespace be::net::uring {

namespace d = net::detail;

namespace {

constexpr std::uint64_t kReceive = 1;  // user_data of the receive
constexpr unsigned kBufferGroup = 1;

std::string errno_text(int e) {
  return std::strerror(e);
}

// Milliseconds left until `deadline` (monotonic), at least 0, for poll(2).
int ms_left(Nanos deadline) {
  const Nanos left = deadline - monotonic_now();
  return left <= 0 ? 0 : static_cast<int>(std::min<Nanos>(left / 1'000'000 + 1, 1'000'000));
}

bool iequals_prefix(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (std::size_t i = 0; i < lower_prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != lower_prefix[i])
      return false;
  }
  return true;
}

// The value of header `lower_name` in an HTTP head, trimmed; "" if absent.
std::string_view header_value(std::string_view head, std::string_view lower_name) {
  std::size_t at = head.find("\r\n");
  while (at != std::string_view::npos && at + 2 < head.size()) {
    const std::size_t start = at + 2;
    const std::size_t end = head.find("\r\n", start);
    const std::string_view line = head.substr(start, end - start);
    if (iequals_prefix(line, lower_name) && line.size() > lower_name.size() &&
        line[lower_name.size()] == ':') {
      std::string_view v = line.substr(lower_name.size() + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
      return v;
    }
    at = end;
  }
  return {};
}

}  // namespace

struct WsClient::Impl {
  WsClientConfig config;
  WallClock own_clock;
  const IngressClock* clock = nullptr;
  int fd = -1;
  io_uring ring{};
  bool ring_ready = false;
  io_uring_buf_ring* buf_ring = nullptr;
  char* buffers = nullptr;  // config.buffers * config.buffer_bytes, or one buffer (fallback)
  Features features;
  WsStats stats;
  WsState state = WsState::kOpen;
  std::string error;
  std::string handshake_rest;  // frame bytes that came with the handshake answer
  std::string pending;         // a frame cut by a chunk boundary, being assembled
  std::string message;         // a fragmented message, being assembled
  bool in_message = false;
  bool message_binary = false;
  bool closing = false;  // we sent a close frame
  bool armed = false;    // the receive was submitted (by the first poll())
  std::string out;       // an outgoing frame (reused)
  std::mt19937 mask_keys{std::random_device{}()};
  OnFrame sink = nullptr;
  void* sink_context = nullptr;
  int delivered = 0;
  Nanos rx = 0;

  ~Impl() {
    if (ring_ready) io_uring_queue_exit(&ring);  // cancels the receive, drops the buffer ring
    if (fd >= 0) ::close(fd);
    std::free(buf_ring);
    std::free(buffers);
  }

  // The connection is over: say why, and end the TCP stream both ways so the server (which
  // waits for our end after a close handshake) lets go too.
  void finish(WsState how, std::string why) {
    if (state != WsState::kOpen) return;
    state = how;
    error = std::move(why);
    ::shutdown(fd, SHUT_RDWR);
  }
  void fail(std::string why) { finish(WsState::kFailed, std::move(why)); }

  Expected<bool, std::string> open_socket(const Url& url, Nanos deadline);
  Expected<bool, std::string> handshake(const Url& url, Nanos deadline);
  Expected<bool, std::string> setup_ring();
  void arm();
  int process();
  void on_bytes(const char* p, std::size_t n, const char* buffer_end);
  void on_frame(const d::WsFrameHeader& h, const char* payload, const char* buffer_end);
  void deliver(const char* payload, std::size_t size, std::size_t readable, bool binary);
  bool send_frame(d::WsOpcode op, std::string_view payload);
};

Expected<bool, std::string> WsClient::Impl::open_socket(const Url& url, Nanos deadline) {
  // Blocking once connected: io_uring answers a receive on an O_NONBLOCK socket with -EAGAIN
  // instead of waiting for data.
  auto connected = d::connect_tcp(url.host, url.port, ms_left(deadline));
  if (!connected) return Unexpected(connected.error());
  fd = *connected;
  return true;
}

Expected<bool, std::string> WsClient::Impl::handshake(const Url& url, Nanos deadline) {
  const std::string key = d::make_handshake_key();
  std::string request =
      "GET " + url.target + " HTTP/1.1\r\nHost: " + url.host_header() +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
      "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: " + config.user_agent + "\r\n\r\n";
  if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return Unexpected("websocket handshake: write: " + errno_text(errno));
  }
  std::string answer;
  char chunk[4096];
  std::size_t head_end = std::string::npos;
  while ((head_end = answer.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) {
      return Unexpected(std::string("websocket handshake: no answer in time"));
    }
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) {
      return Unexpected(
          "websocket handshake: " +
          (n == 0 ? std::string("the server closed the connection") : errno_text(errno)));
    }
    answer.append(chunk, static_cast<std::size_t>(n));
    if (answer.size() > 16384)
      return Unexpected(std::string("websocket handshake: answer too long"));
  }
  const std::string_view head(answer.data(), head_end + 2);
  if (!head.starts_with("HTTP/1.1 101")) {
    return Unexpected("websocket handshake: " + std::string(head.substr(0, head.find("\r\n"))));
  }
  if (header_value(head, "sec-websocket-accept") != d::handshake_accept_for(key)) {
    return Unexpected(std::string("websocket handshake: wrong Sec-WebSocket-Accept"));
  }
  handshake_rest = answer.substr(head_end + 4);
  return true;
}

Expected<bool, std::string> WsClient::Impl::setup_ring() {
  // A receive completes by running task work in the submitting thread's context. By default
  // the kernel forces that with an IPI into the thread however busy it is; with cooperative
  // task running it raises IORING_SQ_TASKRUN in the shared ring instead, and poll() enters
  // the kernel only when that is up: no interrupt, and no syscall while nothing arrived.
  // The completion queue holds more than every buffer's chunk at once: a full one ends the
  // multishot receive (its last completion then waits in the kernel's overflow list).
  io_uring_params params{};
  params.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  params.cq_entries = std::max(256u, 2 * config.buffers);
  int rc = io_uring_queue_init_params(16, &ring, &params);
  features.taskrun_flag = rc == 0;
  if (rc == -EINVAL) {  // before Linux 5.19
    params = io_uring_params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = std::max(256u, 2 * config.buffers);
    rc = io_uring_queue_init_params(16, &ring, &params);
  }
  if (rc < 0) return Unexpected("io_uring: " + errno_text(-rc));
  ring_ready = true;
  const unsigned count = config.buffers;
  const std::size_t size = config.buffer_bytes;
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768 || size == 0) {
    return Unexpected(std::string("io_uring: buffers must be a power of two up to 32768"));
  }
  void* ring_memory = nullptr;
  if (::posix_memalign(&ring_memory, 4096, count * sizeof(io_uring_buf)) != 0) {
    return Unexpected(std::string("io_uring: out of memory"));
  }
  buf_ring = static_cast<io_uring_buf_ring*>(ring_memory);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<unsigned long>(buf_ring);
  reg.ring_entries = count;
  reg.bgid = kBufferGroup;
  if (const int refused = io_uring_register_buf_ring(&ring, &reg, 0); refused < 0) {
    features.fallback_reason = "provided buffers refused (" + errno_text(-refused) +
                               "): one receive at a time into one buffer";
    buffers = static_cast<char*>(std::malloc(size));
    if (!buffers) return Unexpected(std::string("io_uring: out of memory"));
    return true;
  }
  features.provided_buffers = true;
  buffers = static_cast<char*>(std::malloc(count * size));
  if (!buffers) return Unexpected(std::string("io_uring: out of memory"));
  io_uring_buf_ring_init(buf_ring);
  for (unsigned i = 0; i < count; ++i) {
    io_uring_buf_ring_add(buf_ring, buffers + i * size, static_cast<unsigned>(size),
                          static_cast<unsigned short>(i), io_uring_buf_ring_mask(count),
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(buf_ring, static_cast<int>(count));
  features.multishot = config.multishot;
  if (!config.multishot) features.fallback_reason = "multishot receive off by configuration";
  return true;
}

void WsClient::Impl::arm() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring);
  if (features.provided_buffers) {
    if (features.multishot) {
      io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
    } else {
      io_uring_prep_recv(sqe, fd, nullptr, config.buffer_bytes, 0);
    }
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
  } else {
    io_uring_prep_recv(sqe, fd, buffers, config.buffer_bytes, 0);
  }
  io_uring_sqe_set_data64(sqe, kReceive);
  if (const int rc = io_uring_submit(&ring); rc < 0) fail("io_uring: submit: " + errno_text(-rc));
}

int WsClient::Impl::process() {
  // Pending task work, or completions that found the queue full and wait in the kernel's
  // overflow list: either needs one kernel entry to reach the shared ring.
  if (IO_URING_READ_ONCE(*ring.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) {
    ++stats.task_runs;
    io_uring_get_events(&ring);
  }
  unsigned head = 0, seen = 0;
  io_uring_cqe* cqe = nullptr;
  bool rearm = false;
  io_uring_for_each_cqe(&ring, head, cqe) {
    ++seen;
    const int res = cqe->res;
    const unsigned flags = cqe->flags;
    const bool picked = (flags & IORING_CQE_F_BUFFER) != 0;
    const unsigned id = flags >> IORING_CQE_BUFFER_SHIFT;
    char* data = picked ? buffers + static_cast<std::size_t>(id) * config.buffer_bytes : buffers;
    if (res > 0) {
      rx = clock->now();  // ingress: the one clock read per chunk, before decoding
      ++stats.chunks;
      if (state == WsState::kOpen) {
        on_bytes(data, static_cast<std::size_t>(res), data + config.buffer_bytes);
      }
      if (!(flags & IORING_CQE_F_MORE)) rearm = true;
    } else if (res == 0) {
      if (closing) {
        finish(WsState::kClosed, "closed");
      } else {
        fail("read: end of stream");
      }
    } else if (res == -ENOBUFS) {
      rearm = true;  // every buffer was in use; they are back now
    } else if (res == -EINVAL && features.multishot) {
      features.multishot = false;
      features.fallback_reason =
          "multishot receive refused (" + errno_text(EINVAL) + "): one receive at a time";
      rearm = true;
    } else if (state == WsState::kOpen) {
      fail("read: " + errno_text(-res));
    }
    if (picked) {  // back to the kernel: a store to shared memory, no syscall
      io_uring_buf_ring_add(buf_ring, data, config.buffer_bytes, static_cast<unsigned short>(id),
                            io_uring_buf_ring_mask(config.buffers), 0);
      io_uring_buf_ring_advance(buf_ring, 1);
    }
  }
  io_uring_cq_advance(&ring, seen);
  if (rearm && state == WsState::kOpen) {
    ++stats.rearms;
    arm();
  }
  return state == WsState::kOpen ? delivered : -1;
}

// Frames are decoded where they lie in the chunk; only a frame cut by the chunk's end is
// copied (into `pending`), and completed from the next chunk with just the bytes it lacks.
void WsClient::Impl::on_bytes(const char* p, std::size_t n, const char* buffer_end) {
  d::WsFrameHeader h;
  const auto decode = [&](const char* at, std::size_t size) {
    return d::decode_server_header(reinterpret_cast<const std::uint8_t*>(at), size, in_message,
                                   in_message ? message.size() : 0, config.max_message_bytes, h,
                                   &error);
  };
  while (!pending.empty() && n > 0) {
    const d::WsDecode st = decode(pending.data(), pending.size());
    if (st == d::WsDecode::kError) return fail("read: " + error);
    const std::size_t total = st == d::WsDecode::kFrame ? h.header_bytes + h.length : 0;
    const std::size_t take = std::min(st == d::WsDecode::kFrame ? total - pending.size() : 1, n);
    pending.append(p, take);
    p += take;
    n -= take;
    if (st == d::WsDecode::kFrame && pending.size() == total) {
      ++stats.assembled;
      on_frame(h, pending.data() + h.header_bytes, pending.data() + pending.capacity());
      pending.clear();
    }
  }
  while (n > 0 && state == WsState::kOpen) {
    const d::WsDecode st = decode(p, n);
    if (st == d::WsDecode::kError) return fail("read: " + error);
    if (st == d::WsDecode::kNeedMore || h.header_bytes + h.length > n) {
      pending.assign(p, n);
      return;
    }
    on_frame(h, p + h.header_bytes, buffer_end);
    p += h.header_bytes + h.length;
    n -= h.header_bytes + h.length;
  }
}

void WsClient::Impl::on_frame(const d::WsFrameHeader& h, const char* payload,
                              const char* buffer_end) {
  const std::string_view bytes(payload, h.length);
  switch (h.op) {
    case d::WsOpcode::kText:
    case d::WsOpcode::kBinary:
      if (h.fin) {
        return deliver(payload, h.length, static_cast<std::size_t>(buffer_end - payload),
                       h.op == d::WsOpcode::kBinary);
      }
      ++stats.fragmented;
      in_message = true;
      message_binary = h.op == d::WsOpcode::kBinary;
      message.assign(bytes);
      return;
    case d::WsOpcode::kContinuation:
      message.append(bytes);
      if (!h.fin) return;
      in_message = false;
      return deliver(message.data(), message.size(), message.capacity(), message_binary);
    case d::WsOpcode::kPing:
      ++stats.pings;
      send_frame(d::WsOpcode::kPong, bytes);
      return;
    case d::WsOpcode::kPong:
      ++stats.pongs;
      return;
    case d::WsOpcode::kClose: {
      std::uint16_t code = 0;
      std::string reason;
      if (!d::read_close_payload(bytes, code, reason, &error)) return fail("read: " + error);
      if (!closing) send_frame(d::WsOpcode::kClose, bytes.substr(0, 2));  // echo the code
      std::string why = closing ? "closed" : "closed by the server: " + std::to_string(code);
      if (!closing && !reason.empty()) why += " " + reason;
      return finish(WsState::kClosed, std::move(why));
    }
  }
}

void WsClient::Impl::deliver(const char* payload, std::size_t size, std::size_t readable,
                             bool binary) {
  const std::string_view text(payload, size);
  if (!binary && !d::check_text_payload(text, &error)) return fail("read: " + error);
  Frame f;
  f.payload = text;
  f.readable = readable;
  f.receive_time = rx;
  f.binary = binary;
  f.kind = classify_frame(text, binary);
  ++stats.frames;
  ++delivered;
  sink(sink_context, f);
}

bool WsClient::Impl::send_frame(d::WsOpcode op, std::string_view payload) {
  out.clear();
  d::append_client_frame(out, op, payload, static_cast<std::uint32_t>(mask_keys()));
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::send(fd, out.data() + done, out.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      fail("write: " + errno_text(errno));
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

Expected<std::unique_ptr<WsClient>, std::string> WsClient::connect(const WsClientConfig& config,
                                                                   const IngressClock* clock) {
  auto url = parse_ws_url(config.url);
  if (!url) return Unexpected("url: " + url.error());
  if (url->tls) return Unexpected(std::string("url: wss:// is not supported on this path yet"));
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->clock = clock ? clock : &impl->own_clock;
  impl->pending.reserve(64 * 1024);
  impl->message.reserve(64 * 1024);
  impl->out.reserve(256);
  const Nanos deadline = monotonic_now() + config.connect_timeout;
  if (auto r = impl->open_socket(*url, deadline); !r) return Unexpected(r.error());
  if (auto r = impl->handshake(*url, deadline); !r) return Unexpected(r.error());
  if (auto r = impl->setup_ring(); !r) return Unexpected(r.error());
  return std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
}

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

int WsClient::poll(OnFrame on_frame, void* context) {
  Impl& im = *impl_;
  if (im.state != WsState::kOpen) return -1;
  im.sink = on_frame;
  im.sink_context = context;
  im.delivered = 0;
  if (!im.armed) {
    // Armed by the polling thread, not by connect()'s: io_uring finishes a request's
    // completions in the task that submitted it, so a receive armed elsewhere would complete
    // only when that other thread happened to enter the kernel.
    im.armed = true;
    im.arm();
    if (im.state != WsState::kOpen) return -1;
  }
  if (!im.handshake_rest.empty()) {  // frames that arrived with the handshake answer
    std::string rest = std::move(im.handshake_rest);
    im.handshake_rest.clear();
    im.rx = im.clock->now();
    im.on_bytes(rest.data(), rest.size(), rest.data() + rest.size());
    if (im.state != WsState::kOpen) return -1;
  }
  return im.process();
}

int WsClient::wait(Nanos timeout, OnFrame on_frame, void* context) {
  Impl& im = *impl_;
  if (im.state != WsState::kOpen) return -1;
  if (im.handshake_rest.empty()) {
    __kernel_timespec ts{timeout / 1'000'000'000, timeout % 1'000'000'000};
    io_uring_cqe* cqe = nullptr;
    io_uring_wait_cqe_timeout(&im.ring, &cqe, &ts);
  }
  return poll(on_frame, context);
}

bool WsClient::send_text(std::string_view text) {
  Impl& im = *impl_;
  return im.state == WsState::kOpen && !im.closing && im.send_frame(d::WsOpcode::kText, text);
}

bool WsClient::send_ping() {
  Impl& im = *impl_;
  return im.state == WsState::kOpen && !im.closing && im.send_frame(d::WsOpcode::kPing, {});
}

void WsClient::close(std::uint16_t code) {
  Impl& im = *impl_;
  if (im.state != WsState::kOpen || im.closing) return;
  const char payload[2] = {static_cast<char>(code >> 8), static_cast<char>(code & 0xff)};
  if (im.send_frame(d::WsOpcode::kClose, std::string_view(payload, 2))) im.closing = true;
}

WsState WsClient::state() const noexcept {
  return impl_->state;
}
const std::string& WsClient::error() const noexcept {
  return impl_->error;
}
const Features& WsClient::features() const noexcept {
  return impl_->features;
}
const WsStats& WsClient::stats() const noexcept {
  return impl_->stats;
}

}  // namespace be::net::uring
