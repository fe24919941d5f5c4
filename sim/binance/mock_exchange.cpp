// The Binance mock's socket side: REST and the WebSocket API (/ws-api/v3, user data by
// subscription) as a Handler on the one server scaffold (net/server), the faults, the request
// log and the tests' waits. The venue itself (matching, ledger, REST and WS API routes) is
// exchange.hpp's and ws_api.hpp's.
#include "sim/binance/mock_exchange.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>

#include "net/server/server.hpp"
#include "sim/binance/exchange.hpp"
#include "sim/binance/venue_faults.hpp"
#include "sim/binance/ws_api.hpp"

namespace be::binance::mock {

namespace srv = net::server;

struct MockExchange::Impl final : srv::Handler {
  Impl(MockConfig c, const IngressClock& w) : exchange(std::move(c), w) {
    // User-data events go to every WebSocket API session with a subscription.
    exchange.publish = [this](const std::string& text) {
      if (stale()) return;  // lost, as on a link that went quiet
      for (auto& [id, stream] : streams) {
        if (stream.session->subscription) {
          stream.ws->send(subscription_frame(*stream.session->subscription, text));
        }
      }
    };
  }

  mutable std::mutex mutex;
  mutable std::condition_variable cv;  // the tests' waits
  Exchange exchange;

  // Faults.
  int fail_count = 0;
  FaultMode fail_mode = FaultMode::kServerErrorBeforeProcessing;
  std::string fail_filter;
  std::chrono::milliseconds fail_delay{0};
  std::chrono::milliseconds response_delay{0};
  Nanos stale_until = 0;  // monotonic; WebSocket API connections send nothing before it

  bool stale() const { return monotonic_now() < stale_until; }

  std::vector<RequestLogEntry> log;
  int stream_connections = 0;
  std::uint64_t next_stream = 1;
  bool running = false;

  std::optional<srv::Server> server;
  // WebSocket API connections by id; after the server, so they go before its io_context.
  struct Stream {
    std::shared_ptr<srv::WebSocket> ws;
    WsApiSession* session;  // the connection handler's, valid until its on_closed
  };
  std::map<std::uint64_t, Stream> streams;

  // Applies an armed fault to this request. Mutex held.
  std::optional<FaultMode> take_fault(const std::string& key) {
    if (fail_count <= 0) return std::nullopt;
    if (!fail_filter.empty() && fail_filter != key) return std::nullopt;
    --fail_count;
    return fail_mode;
  }

  srv::Response handle(const srv::Request& req) override {
    std::lock_guard lock(mutex);
    const std::string key = std::string(req.method) + " " + std::string(req.path());
    const auto fault = take_fault(key);
    std::string method, path;
    Answer a;
    std::chrono::milliseconds delay{0};
    if (fault == FaultMode::kServerErrorBeforeProcessing) {
      method = std::string(req.method);
      path = std::string(req.path());
      a = {500, error_body(-1000, "An unknown error occurred while processing the request.")};
    } else {
      a = exchange.dispatch(req.method, req.target, req.body, req.header("X-MBX-APIKEY"), method,
                            path);
      if (fault == FaultMode::kServerErrorAfterProcessing) {
        a = {500, error_body(-1000, "An unknown error occurred while processing the request.")};
      } else if (fault == FaultMode::kTimeoutAfterProcessing) {
        a.drop_connection = true;
        delay = fail_delay;
      }
    }
    log.push_back(RequestLogEntry{
        monotonic_now(), method, path, a.drop_connection ? 0 : a.status, a.retry_after_s,
        std::string(req.target) + "\n" + std::string(req.header("X-MBX-APIKEY")) + "\n" +
            std::string(req.body)});
    if (delay.count() == 0) delay = std::chrono::milliseconds(a.hold_ms);
    if (delay.count() == 0) delay = response_delay;
    cv.notify_all();

    srv::Response res{a.status, "application/json;charset=UTF-8", std::move(a.body), {}};
    res.headers.push_back({"X-MBX-USED-WEIGHT-1M", std::to_string(exchange.used_weight())});
    if (a.order_counts) {
      res.headers.push_back({"X-MBX-ORDER-COUNT-10S", std::to_string(exchange.orders_10s)});
      res.headers.push_back({"X-MBX-ORDER-COUNT-1D", std::to_string(exchange.orders_1d)});
    }
    if (a.retry_after_s > 0)
      res.headers.push_back({"Retry-After", std::to_string(a.retry_after_s)});
    res.close = !req.keep_alive;
    res.delay = delay;
    res.drop = a.drop_connection;
    return res;
  }

  srv::Upgrade upgrade(const srv::Request& req) override;
  class WsApiConnection;
};

// One WebSocket API connection: registered before the handshake is answered, so an event
// pushed (or a drop asked for) right after the client sees the handshake is not missed.
// Requests are answered in order on the connection's strand; armed faults apply to
// "WS <method>" (before processing: 500 -1000; after: 500 once done; timeout: done, no
// answer, the connection cut).
class MockExchange::Impl::WsApiConnection final : public srv::WsHandler {
 public:
  explicit WsApiConnection(Impl& mock) : mock_(mock) {}

  void on_start(const std::shared_ptr<srv::WebSocket>& ws) override {
    std::lock_guard lock(mock_.mutex);
    id_ = mock_.next_stream++;
    session_.connected_ms = mock_.exchange.now_ms();
    mock_.streams[id_] = Stream{ws, &session_};
    ++mock_.stream_connections;
    mock_.cv.notify_all();
  }
  void on_message(srv::WebSocket& ws, std::string_view text) override {
    std::lock_guard lock(mock_.mutex);
    const auto request = parse_ws_api_request(text);
    if (!request) {
      ws.send(ws_api_error(mock_.exchange, "null", 400, -1000, "Malformed request."));
      return;
    }
    const auto fault = mock_.take_fault("WS " + request->method);
    std::string answer;
    if (fault == FaultMode::kServerErrorBeforeProcessing) {
      answer = ws_api_error(mock_.exchange, request->id_json, 500, -1000,
                            "An unknown error occurred while processing the request.");
    } else {
      answer = ws_api_answer(mock_.exchange, session_, *request);
      if (fault == FaultMode::kServerErrorAfterProcessing) {
        answer = ws_api_error(mock_.exchange, request->id_json, 500, -1000,
                              "An unknown error occurred while processing the request.");
      }
    }
    const bool drop = fault == FaultMode::kTimeoutAfterProcessing;
    const bool silent = drop || mock_.stale();
    mock_.log.push_back(RequestLogEntry{monotonic_now(), "WS", request->method,
                                        silent ? 0 : status_of(answer), retry_after_of(answer),
                                        std::string(text)});
    mock_.cv.notify_all();
    if (silent && !drop) return;
    if (drop) {
      ws.close_abrupt();
      return;
    }
    ws.send(std::move(answer));
  }
  void on_closed(srv::WebSocket&) override {
    std::lock_guard lock(mock_.mutex);
    mock_.streams.erase(id_);
    mock_.cv.notify_all();
  }

 private:
  // The answer's status and Retry-After (seconds, from data.retryAfter) for the request log.
  static int status_of(std::string_view answer) {
    const auto at = answer.find("\"status\":");
    return at == std::string_view::npos ? 0 : std::atoi(answer.data() + at + 9);
  }
  std::int64_t retry_after_of(std::string_view answer) const {
    const auto at = answer.find("\"retryAfter\":");
    if (at == std::string_view::npos) return 0;
    const std::int64_t until = std::atoll(answer.data() + at + 13);
    return std::max<std::int64_t>(1, (until - mock_.exchange.now_ms() + 999) / 1000);
  }

  Impl& mock_;
  std::uint64_t id_ = 0;
  WsApiSession session_;
};

srv::Upgrade MockExchange::Impl::upgrade(const srv::Request& req) {
  srv::Upgrade answer;
  std::lock_guard lock(mutex);
  // Only the WebSocket API serves user data now: /ws/<listenKey> has no key to name.
  if (req.path() != "/ws-api/v3") {
    answer.refusal = srv::Response{400,
                                   "application/json;charset=UTF-8",
                                   error_body(-1125, "This listenKey does not exist."),
                                   {},
                                   true};
    return answer;
  }
  if (take_fault("GET /ws-api/v3")) {
    answer.refusal = srv::Response{
        503, "application/json;charset=UTF-8", error_body(-1000, "Service unavailable."), {}, true};
    return answer;
  }
  answer.handler = std::make_shared<WsApiConnection>(*this);
  answer.options.idle_timeout = std::chrono::milliseconds(0);
  answer.options.read_message_max = 64u << 10;
  return answer;
}

MockExchange::MockExchange(MockConfig config, const IngressClock& wall_clock)
    : impl_(std::make_unique<Impl>(std::move(config), wall_clock)) {}

MockExchange::~MockExchange() {
  stop();
}

Expected<std::uint16_t, std::string> MockExchange::start() {
  auto& s = *impl_;
  srv::ServerOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.io_threads = 1;
  options.max_body_bytes = 1u << 20;
  options.idle_timeout = std::chrono::minutes(5);
  s.server.emplace(std::move(options), s);
  auto port = s.server->start();
  if (!port) return Unexpected("mock exchange cannot listen on 127.0.0.1: " + port.error());
  std::lock_guard lock(s.mutex);
  s.running = true;
  return port;
}

void MockExchange::stop() noexcept {
  auto& s = *impl_;
  {
    std::lock_guard lock(s.mutex);
    // An abrupt end, like a venue going away: no close frames.
    for (auto& [id, stream] : s.streams)
      stream.ws->close_abrupt();
    if (!s.running) {  // mounted: the connections belong to the other server
      s.streams.clear();
      return;
    }
    s.running = false;
  }
  s.server->stop(std::chrono::milliseconds(1000));
  std::lock_guard lock(s.mutex);
  s.streams.clear();
  s.cv.notify_all();
}

std::string MockExchange::rest_url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->server ? impl_->server->port() : 0);
}
std::string MockExchange::ws_url() const {
  return "ws://127.0.0.1:" + std::to_string(impl_->server ? impl_->server->port() : 0);
}
std::string MockExchange::ws_api_url() const {
  return ws_url() + "/ws-api/v3";
}

net::server::Handler& MockExchange::handler() {
  return *impl_;
}

// Impl::upgrade's rule: the WebSocket API's path.
bool MockExchange::owns_upgrade(std::string_view target) const {
  return target.substr(0, target.find('?')) == "/ws-api/v3";
}

void MockExchange::on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.on_trade(symbol, price, qty);
}

void MockExchange::on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.on_quote(symbol, bid, ask);
}

void MockExchange::set_market_price(std::string_view symbol, std::int64_t price) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.symbols[std::string(symbol)].market_price = price;
}

int MockExchange::cross(std::string_view symbol, std::int64_t price, std::int64_t quantity) {
  std::lock_guard lock(impl_->mutex);
  return impl_->exchange.cross(symbol, price, quantity);
}

void MockExchange::set_clock_offset_ms(std::int64_t offset) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.clock_offset_ms = offset;
}

void MockExchange::share_ip_weight(MockExchange& other) {
  if (&other == this) return;
  std::shared_ptr<Exchange::IpWeight> shared;
  {
    std::lock_guard lock(other.impl_->mutex);
    shared = other.impl_->exchange.ip;
  }
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.ip = std::move(shared);
}

void MockExchange::set_weight_limit(std::int64_t limit) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.config.weight_limit = limit;
}

void MockExchange::fail_next(int count, FaultMode mode, std::string_view method_path,
                             std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->fail_count = count;
  impl_->fail_mode = mode;
  impl_->fail_filter = std::string(method_path);
  impl_->fail_delay = delay;
}

void MockExchange::delay_responses(std::chrono::milliseconds delay) {
  std::lock_guard lock(impl_->mutex);
  impl_->response_delay = delay;
}

void MockExchange::drop_user_streams() {
  std::lock_guard lock(impl_->mutex);
  for (auto& [id, stream] : impl_->streams)
    stream.ws->close_abrupt();
}

int MockExchange::inject(const VenueFault& f) {
  std::lock_guard lock(impl_->mutex);
  auto& ex = impl_->exchange;
  int affected = 0;
  switch (f.kind) {
    case VenueFault::Kind::kRejectOrders:
      ex.faults.reject_orders = f.count;
      ex.faults.reject_code = f.code;
      ex.faults.reject_msg = f.msg;
      break;
    case VenueFault::Kind::kRateLimit:
      ex.faults.rate_limited = f.count;
      ex.faults.rate_status = f.status;
      ex.faults.rate_retry_after_s = f.retry_after_s;
      break;
    case VenueFault::Kind::kDropUserStreams:
      for (auto& [id, stream] : impl_->streams)
        stream.ws->close_abrupt(), ++affected;
      break;
    case VenueFault::Kind::kStale:
      impl_->stale_until = monotonic_now() + f.ms * 1'000'000;
      affected = static_cast<int>(impl_->streams.size());
      break;
    case VenueFault::Kind::kClockSkew:
      ex.clock_offset_ms = f.ms;
      break;
    case VenueFault::Kind::kCancelOrder:
      affected = ex.venue_cancel(f.symbol, f.client_order_id);
      break;
    case VenueFault::Kind::kFillBeforeAck:
      ex.faults.fill_on_entry = f.count;
      ex.faults.fill_hold_ms = f.ms;
      break;
  }
  impl_->cv.notify_all();
  return affected;
}

bool MockExchange::has_api_key(std::string_view api_key) const {
  std::lock_guard lock(impl_->mutex);
  return !api_key.empty() && impl_->exchange.config.api_key == api_key;
}

std::string MockExchange::state_json() const {
  std::lock_guard lock(impl_->mutex);
  const auto& ex = impl_->exchange;
  std::string out = "{\"balances\":{";
  bool first = true;
  for (const auto& [asset, b] : ex.balances) {
    out += std::string(first ? "" : ",") + "\"" + asset + "\":{\"free\":\"" + dec(b.free) +
           "\",\"locked\":\"" + dec(b.locked) + "\"}";
    first = false;
  }
  out += "},\"orders\":[";
  first = true;
  for (const auto& o : ex.orders) {
    out += std::string(first ? "" : ",") + "{\"symbol\":\"" + o.symbol +
           "\",\"orderId\":" + std::to_string(o.order_id) + ",\"clientOrderId\":\"" + o.client_id +
           "\",\"side\":\"" + (o.buy ? "BUY" : "SELL") + "\",\"type\":\"" + o.type +
           "\",\"status\":\"" + o.status + "\",\"price\":\"" + dec(o.price) + "\",\"origQty\":\"" +
           dec(o.qty) + "\",\"executedQty\":\"" + dec(o.executed) + "\"}";
    first = false;
  }
  out += "],\"received\":{";
  first = true;
  for (const auto& [client_id, n] : ex.received_by_client) {
    out += std::string(first ? "" : ",") + "\"" + client_id + "\":" + std::to_string(n);
    first = false;
  }
  return out + "}}";
}

void MockExchange::push_raw(std::string_view text) {
  std::lock_guard lock(impl_->mutex);
  impl_->exchange.publish(std::string(text));
}

MockBalance MockExchange::balance(std::string_view asset) const {
  std::lock_guard lock(impl_->mutex);
  const auto& balances = impl_->exchange.balances;
  const auto it = balances.find(std::string(asset));
  return it == balances.end() ? MockBalance{std::string(asset), 0, 0} : it->second;
}

int MockExchange::orders_received(std::string_view client_order_id) const {
  std::lock_guard lock(impl_->mutex);
  const auto& counts = impl_->exchange.received_by_client;
  const auto it = counts.find(std::string(client_order_id));
  return it == counts.end() ? 0 : it->second;
}

int MockExchange::orders_created(std::string_view client_order_id) const {
  std::lock_guard lock(impl_->mutex);
  const auto& counts = impl_->exchange.created_by_client;
  const auto it = counts.find(std::string(client_order_id));
  return it == counts.end() ? 0 : it->second;
}

int MockExchange::user_stream_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stream_connections;
}

int MockExchange::open_user_streams() const {
  std::lock_guard lock(impl_->mutex);
  return static_cast<int>(impl_->streams.size());
}

std::vector<RequestLogEntry> MockExchange::request_log() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}

bool MockExchange::wait_for_user_streams(int connections, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout,
                            [&] { return impl_->stream_connections >= connections; });
}

bool MockExchange::wait_for_requests(std::string_view method, std::string_view path, int status,
                                     int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] {
    return std::count_if(impl_->log.begin(), impl_->log.end(), [&](const RequestLogEntry& e) {
             return e.method == method && e.path == path && e.status == status;
           }) >= count;
  });
}

}  // namespace be::binance::mock
