// The Binance mock on the simulator's port (sim_venue.hpp).
#include "sim/binance/sim_venue.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

#include "core/fixed_point.hpp"
#include "net/server/server.hpp"
#include "sim/binance/venue_faults.hpp"
#include "sim/binance/ws_api.hpp"

namespace be::binance::mock {

namespace srv = net::server;

namespace {

srv::Response json_answer(int status, std::string body) {
  return srv::Response{status, "application/json;charset=UTF-8", std::move(body), {}};
}

srv::Response json_error(int status, std::string_view message) {
  std::string body = "{\"error\":\"";
  sim::append_json_escaped(body, message);
  return json_answer(status, body + "\"}");
}

// The apiKey a WebSocket API request carries, or "".
std::string api_key_in(std::string_view frame) {
  const auto call = parse_ws_api_request(frame);
  const auto key = call ? call->params.get("apiKey") : std::nullopt;
  return key ? std::string(*key) : std::string();
}

}  // namespace

// A WebSocket API connection of a venue with several accounts: driven by the connection
// handler of the account its first apiKey names (the first account's until then). Every
// callback runs on the connection's strand, so `inner_` needs no lock.
class MockVenue::WsRouter final : public srv::WsHandler {
 public:
  explicit WsRouter(MockVenue& venue) : venue_(venue) {}

  void on_start(const std::shared_ptr<srv::WebSocket>& ws) override { ws_ = ws; }
  void on_message(srv::WebSocket& ws, std::string_view text) override {
    MockExchange* keyed = venue_.account_with_key(api_key_in(text));
    // Bound at the first request; re-bound only while no key has chosen (a session belongs
    // to one account).
    if (!inner_ || (keyed != nullptr && !bound_by_key_ && keyed != bound_)) {
      if (inner_) inner_->on_closed(ws);
      if (!bind(keyed != nullptr ? *keyed : venue_.exchange())) return;
    }
    bound_by_key_ = bound_by_key_ || keyed != nullptr;
    inner_->on_message(ws, text);
  }
  void on_closed(srv::WebSocket& ws) override {
    if (inner_) inner_->on_closed(ws);
    inner_.reset();
  }

 private:
  bool bind(MockExchange& exchange) {
    srv::Request request;
    request.method = "GET";
    request.target = "/ws-api/v3";
    auto upgrade = exchange.handler().upgrade(request);
    inner_ = std::move(upgrade.handler);
    bound_ = &exchange;
    const auto ws = ws_.lock();
    if (!ws) return false;  // the connection is already gone
    if (!inner_) {          // the account refuses handshakes (an armed fault): as a refused upgrade
      ws->close_abrupt();
      return false;
    }
    inner_->on_start(ws);
    return true;
  }

  MockVenue& venue_;
  // Weak: the connection owns this handler, so a strong pointer back would be a cycle that
  // outlives a server stopped before the connection's close was seen (ASan reports the leak).
  std::weak_ptr<srv::WebSocket> ws_;
  std::shared_ptr<srv::WsHandler> inner_;
  MockExchange* bound_ = nullptr;
  bool bound_by_key_ = false;
};

// REST by X-MBX-APIKEY, the WebSocket API through WsRouter, and the control routes.
class MockVenue::Router final : public srv::Handler {
 public:
  explicit Router(MockVenue& venue) : venue_(venue) {}

  srv::Response handle(const srv::Request& req) override {
    const auto path = req.path();
    if (path == "/sim/exchange/fault") return fault(req);
    if (path == "/sim/exchange/accounts") {
      if (req.method != "GET") return json_error(405, "use GET");
      std::string body = "{\"accounts\":{";
      for (const auto& a : venue_.accounts_) {
        body += (body.size() > 13 ? ",\"" : "\"") + a.name + "\":" + a.exchange->state_json();
      }
      return json_answer(200, body + "}}");
    }
    if (path.starts_with("/sim/")) return json_error(404, "unknown path");
    MockExchange* keyed = venue_.account_with_key(req.header("X-MBX-APIKEY"));
    return (keyed != nullptr ? *keyed : venue_.exchange()).handler().handle(req);
  }

  srv::Upgrade upgrade(const srv::Request& req) override {
    if (venue_.accounts_.size() == 1) return venue_.exchange().handler().upgrade(req);
    srv::Upgrade answer;
    answer.handler = std::make_shared<WsRouter>(venue_);
    answer.options.idle_timeout = std::chrono::milliseconds(0);
    answer.options.read_message_max = 64u << 10;
    return answer;
  }

 private:
  srv::Response fault(const srv::Request& req) {
    if (req.method != "POST") return json_error(405, "use POST");
    auto parsed = parse_venue_fault(req.body);
    if (!parsed) return json_error(400, parsed.error());
    int affected = 0, accounts = 0;
    for (const auto& a : venue_.accounts_) {
      if (!parsed->account.empty() && a.name != parsed->account) continue;
      affected += a.exchange->inject(*parsed);
      ++accounts;
    }
    if (accounts == 0) return json_error(404, "no account named " + parsed->account);
    return json_answer(200, "{\"ok\":true,\"fault\":\"" + std::string(to_string(parsed->kind)) +
                                "\",\"accounts\":" + std::to_string(accounts) +
                                ",\"affected\":" + std::to_string(affected) + "}");
  }

  MockVenue& venue_;
};

MockVenue::MockVenue(MockConfig config, const IngressClock& wall_clock)
    : MockVenue(std::vector<VenueAccount>{{"default", std::move(config)}}, wall_clock) {}

MockVenue::MockVenue(std::vector<VenueAccount> accounts, const IngressClock& wall_clock)
    : router_(std::make_unique<Router>(*this)) {
  for (auto& a : accounts) {
    if (account(a.name) != nullptr) continue;
    accounts_.push_back(Account{std::move(a.name),
                                std::make_unique<MockExchange>(std::move(a.config), wall_clock)});
  }
  if (accounts_.empty()) {
    accounts_.push_back(
        Account{"default", std::make_unique<MockExchange>(MockConfig{}, wall_clock)});
  }
  // Binance counts request weight per IP, and every client of the simulator is on one.
  for (auto& a : accounts_)
    a.exchange->share_ip_weight(*accounts_.front().exchange);
}

MockVenue::~MockVenue() = default;

MockExchange* MockVenue::account(std::string_view name) {
  for (auto& a : accounts_)
    if (a.name == name) return a.exchange.get();
  return nullptr;
}

MockExchange* MockVenue::account_with_key(std::string_view api_key) {
  for (auto& a : accounts_)
    if (a.exchange->has_api_key(api_key)) return a.exchange.get();
  return nullptr;
}

void MockVenue::stop() {
  for (auto& a : accounts_)
    a.exchange->stop();
}

bool MockVenue::serves_path(std::string_view path) const {
  return path.starts_with("/api/") || path.starts_with("/sapi/") ||
         path.starts_with("/sim/exchange/");
}

bool MockVenue::serves_upgrade(std::string_view target) const {
  return accounts_.front().exchange->owns_upgrade(target);
}

net::server::Handler& MockVenue::handler() {
  return *router_;
}

void MockVenue::on_trade(std::string_view symbol, std::int64_t price, std::int64_t qty) {
  for (auto& a : accounts_)
    a.exchange->on_trade(symbol, price, qty);
}

void MockVenue::on_quote(std::string_view symbol, std::int64_t bid, std::int64_t ask) {
  for (auto& a : accounts_)
    a.exchange->on_quote(symbol, bid, ask);
}

bool split_symbol(std::string_view symbol, MockSymbol& out) {
  static constexpr std::array<std::string_view, 10> kQuotes{"USDT", "FDUSD", "USDC", "BUSD", "TUSD",
                                                            "EUR",  "TRY",   "BTC",  "ETH",  "BNB"};
  std::string upper(symbol);
  for (char& c : upper)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const auto quote : kQuotes) {
    if (upper.size() > quote.size() && std::string_view(upper).ends_with(quote)) {
      out.symbol = upper;
      out.base = upper.substr(0, upper.size() - quote.size());
      out.quote = std::string(quote);
      return true;
    }
  }
  return false;
}

Expected<std::vector<MockBalance>, std::string> parse_balances(std::string_view list) {
  std::vector<MockBalance> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view item = list.substr(0, comma);
    const auto eq = item.find('=');
    const auto amount = eq == std::string_view::npos ? parse_decimal("", kScale)
                                                     : parse_decimal(item.substr(eq + 1), kScale);
    if (eq == 0 || eq == std::string_view::npos || !amount || amount.value() < 0) {
      return Unexpected{"not ASSET=AMOUNT: '" + std::string(item) + "'"};
    }
    std::string asset(item.substr(0, eq));
    for (char& c : asset)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(MockBalance{std::move(asset), amount.value(), 0});
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

Expected<bool, std::string> read_keys_file(const std::string& path, MockConfig& config) {
  std::ifstream in(path);
  if (!in) return Unexpected{"--exchange-keys: cannot read " + path};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("api_key=")) config.api_key = line.substr(8);
    if (line.starts_with("secret=")) config.secret = line.substr(7);
  }
  if (config.api_key.empty() || config.secret.empty()) {
    return Unexpected{"--exchange-keys: " + path + " needs an api_key= and a secret= line"};
  }
  return true;
}

std::string account_name_of(std::string_view keys_path) {
  const auto slash = keys_path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? keys_path : keys_path.substr(slash + 1);
  name = name.substr(0, name.find('.'));
  return name.empty() ? std::string("default") : std::string(name);
}

std::vector<MockSymbol> symbols_in(const std::vector<std::string>& streams) {
  std::vector<MockSymbol> out;
  for (const auto& stream : streams) {
    const auto at = stream.find('@');
    MockSymbol s;
    if (at == std::string::npos || !split_symbol(std::string_view(stream).substr(0, at), s)) {
      continue;
    }
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.symbol == s.symbol; })) {
      continue;
    }
    // 0.01 in fiat-like quotes (BTCUSDT's tick); 1e-8 when the quote is a coin.
    if (s.quote == "BTC" || s.quote == "ETH" || s.quote == "BNB") {
      s.tick_size = 1;
      s.min_notional = 10'000;  // 0.0001
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace be::binance::mock
