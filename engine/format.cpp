#include "engine/format.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <optional>

#include "core/civil_time.hpp"
#include "core/codes.hpp"
#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "core/order_intent.hpp"
#include "engine/engine.hpp"
#include "oms/order.hpp"
#include "oms/order_state_machine.hpp"
#include "risk/types.hpp"

namespace be::engine {

InstrumentTable::InstrumentTable(const std::vector<InstrumentSpec>& specs) {
  std::vector<std::string> venues;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const InstrumentSpec& s = specs[i];
    InstrumentDefined d;
    d.instrument = InstrumentId{static_cast<std::uint32_t>(i)};
    std::size_t v = 0;
    while (v < venues.size() && venues[v] != s.venue)
      ++v;
    if (v == venues.size()) venues.push_back(s.venue);
    d.venue = VenueId{static_cast<std::uint16_t>(v)};
    d.price_scale = s.price_scale;
    d.qty_scale = s.qty_scale;
    std::strncpy(d.symbol.data(), s.symbol.c_str(), d.symbol.size() - 1);
    std::strncpy(d.base_asset.data(), s.base.c_str(), d.base_asset.size() - 1);
    std::strncpy(d.quote_asset.data(), s.quote.c_str(), d.quote_asset.size() - 1);
    d.tick_size = s.tick_size;
    d.step_size = s.step_size;
    d.min_notional = s.min_notional;
    defs_.push_back(d);
    for (auto [name, scale] :
         {std::pair{s.base, int{s.qty_scale}}, std::pair{s.quote, int{s.price_scale}}}) {
      if (!asset_index(name)) {
        assets_.push_back(name);
        asset_scales_.push_back(scale);
      }
    }
  }
}

const InstrumentDefined* InstrumentTable::find(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  return i < defs_.size() ? &defs_[i] : nullptr;
}
std::string InstrumentTable::symbol(InstrumentId id) const {
  const auto* d = find(id);
  return d ? std::string(d->symbol_view()) : std::string();
}
int InstrumentTable::price_scale(InstrumentId id) const noexcept {
  const auto* d = find(id);
  return d ? d->price_scale : 8;
}
int InstrumentTable::qty_scale(InstrumentId id) const noexcept {
  const auto* d = find(id);
  return d ? d->qty_scale : 8;
}
std::optional<std::size_t> InstrumentTable::asset_index(std::string_view name) const noexcept {
  for (std::size_t a = 0; a < assets_.size(); ++a)
    if (assets_[a] == name) return a;
  return std::nullopt;
}

std::string price_text(const InstrumentTable& t, InstrumentId id, std::int64_t value) {
  return decimal_to_string(value, t.price_scale(id));
}
std::string qty_text(const InstrumentTable& t, InstrumentId id, std::int64_t value) {
  return decimal_to_string(value, t.qty_scale(id));
}
std::string_view side_text(Side side) noexcept {
  return to_string(side);
}

namespace {

// Every item opens {"seq":N,"time":"<RFC 3339>","time_ns":"<ns>","type":...}: the one time
// spelling of core/civil_time.hpp, so a JavaScript client holds the time exactly.
std::string head(const Event& e, std::string_view type) {
  std::string s = "{\"seq\":" + std::to_string(e.header.sequence) + ',';
  append_time_fields(s, "time", e.header.event_time);
  s += ",\"type\":\"";
  s += type;
  s += '"';
  return s;
}

std::string client_id(BotId bot, SequenceNumber seq) {
  char buf[oms::kClientOrderIdMaxChars + 1] = {};
  const std::size_t n = oms::format_client_order_id(oms::ClientOrderId{bot, seq}, buf);
  return std::string(buf, n);
}

// What every order record opens with: the head, its bot and its client order id.
std::string order_head(const Event& e, std::string_view type, BotId bot, SequenceNumber seq) {
  std::string s = head(e, type);
  s += ",\"bot\":" + std::to_string(index_of(bot)) + ",\"client_order_id\":\"" +
       client_id(bot, seq) + "\"";
  return s;
}

void append_symbol_and_side(std::string& s, const InstrumentTable& t, InstrumentId instrument,
                            Side side) {
  s += ",\"symbol\":";
  config::append_json_string(s, t.symbol(instrument));
  s += ",\"side\":\"";
  s += side_text(side);
  s += '"';
}

}  // namespace

std::string stream_json(const Event& e, const InstrumentTable& t) {
  std::string s;
  switch (e.header.type) {
    case EventType::kTrade: {
      const auto p = e.as<Trade>();
      s = head(e, "price");
      s += ",\"symbol\":";
      config::append_json_string(s, t.symbol(p.instrument));
      s += ",\"price\":\"" + price_text(t, p.instrument, p.price) + "\",\"quantity\":\"" +
           qty_text(t, p.instrument, p.quantity) + "\"}";
      return s;
    }
    case EventType::kConnectivity: {
      const auto p = e.as<Connectivity>();
      // An account's order channel is that account's business (its AccountView), not the feed.
      if (p.channel != ConnectivityChannel::kMarketData) return s;
      s = head(e, "feed");
      s += ",\"venue\":" + std::to_string(index_of(p.venue)) + ",\"state\":\"";
      s += to_string(p.state);
      s += "\"}";
      return s;
    }
    case EventType::kOrderNew: {
      const auto p = e.as<OrderNew>();
      s = order_head(e, "order", p.bot, p.client_sequence);
      append_symbol_and_side(s, t, p.instrument, p.side);
      s += ",\"order_type\":\"";
      s += p.order_type == static_cast<std::uint8_t>(OrderType::kMarket) ? "market" : "limit";
      s += "\",\"price\":\"" + price_text(t, p.instrument, p.price) + "\",\"quantity\":\"" +
           qty_text(t, p.instrument, p.quantity) + "\"}";
      return s;
    }
    case EventType::kOrderUpdate: {
      const auto p = e.as<OrderUpdate>();
      if (p.event >= oms::kOrderEventCount) return {};
      s = order_head(e, "order_update", p.bot, p.client_sequence);
      s += ",\"event\":\"";
      s += oms::to_string(static_cast<oms::OrderEvent>(p.event));
      s += "\",\"reason\":" + std::to_string(p.reason) + "}";
      return s;
    }
    case EventType::kFillApplied: {
      const auto p = e.as<FillApplied>();
      s = order_head(e, "fill", p.bot, p.client_sequence);
      append_symbol_and_side(s, t, p.instrument, p.side);
      s += ",\"price\":\"" + price_text(t, p.instrument, p.price) + "\",\"quantity\":\"" +
           qty_text(t, p.instrument, p.quantity) + "\",\"fee\":\"" +
           price_text(t, p.instrument, p.fee) + "\",\"position\":\"" +
           qty_text(t, p.instrument, p.position_after) + "\"}";
      return s;
    }
    case EventType::kSignal: {
      const auto p = e.as<Signal>();
      char values[96];
      std::snprintf(values, sizeof values, ",\"lhs\":%.10g,\"rhs\":%.10g}", p.lhs, p.rhs);
      s = head(e, "signal");
      s += ",\"bot\":" + std::to_string(index_of(p.bot)) +
           ",\"condition\":" + std::to_string(p.condition_index) + values;
      return s;
    }
    case EventType::kBotStatus: {
      const auto p = e.as<BotStatus>();
      s = head(e, "bot_status");
      s += ",\"bot\":" + std::to_string(index_of(p.bot)) + ",\"from\":\"";
      s += to_string(p.from);
      s += "\",\"to\":\"";
      s += to_string(p.to);
      s += "\"}";
      return s;
    }
    case EventType::kRiskReject: {
      const auto p = e.as<risk::RiskReject>();
      s = head(e, "risk_reject");
      s += ",\"bot\":" + std::to_string(index_of(p.bot)) + ",\"reason\":\"";
      s += risk::to_string(p.reason);
      s += "\",\"limit\":" + std::to_string(p.limit) +
           ",\"observed\":" + std::to_string(p.observed) + "}";
      return s;
    }
    case EventType::kNotification: {
      const auto p = e.as<Notification>();
      // Trades, bot status and risk rejects have their own stream items; these add the
      // protective exits, kill switches and errors.
      if (p.kind == NotificationKind::kTrade || p.kind == NotificationKind::kBotStatus ||
          p.kind == NotificationKind::kRiskReject) {
        return {};
      }
      s = head(e, to_string(p.kind));
      s += ",\"bot\":" + (p.bot == kNoBot ? std::string("null") : std::to_string(index_of(p.bot))) +
           ",\"code\":" + std::to_string(p.code) + "}";
      return s;
    }
    default:
      return {};
  }
}

BotId stream_owner(const Event& e) noexcept {
  switch (e.header.type) {
    case EventType::kOrderNew:
      return e.as<OrderNew>().bot;
    case EventType::kOrderUpdate:
      return e.as<OrderUpdate>().bot;
    case EventType::kFillApplied:
      return e.as<FillApplied>().bot;
    case EventType::kSignal:
      return e.as<Signal>().bot;
    case EventType::kBotStatus:
      return e.as<BotStatus>().bot;
    case EventType::kRiskReject:
      return e.as<risk::RiskReject>().bot;
    case EventType::kNotification:
      return e.as<Notification>().bot;
    default:
      return kNoBot;
  }
}

}  // namespace be::engine
