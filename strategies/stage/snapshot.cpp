// The strategy stage, snapshots: the state hash and the snapshot walk the same fields
// (write_state) through core/state_io.hpp's Hasher and Writer; restore rebuilds every bot from
// its config, then loads its saved bytes. Control path: snapshot and restore allocate.
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/state_io.hpp"
#include "strategies/stage/stage_state.hpp"

namespace be::stage {

namespace {
constexpr std::uint8_t kSnapshotVersion = 2;  // 2: bot_ids_used_
}  // namespace

static_assert(std::is_trivially_copyable_v<BarAggregator>,
              "snapshots copy bar aggregators as bytes");

// Layout: version, counters, instruments (definition fields, aggregators as bytes), assets,
// free quote, feed health, condition engine, then each bot: id, config json, owner, state,
// slot fields, orders, timers, subscriptions, the bot's own save() bytes.

template <class W>
void StrategyStage::write_state(W& w) const {
  w.put(kSnapshotVersion);
  w.put(now_);
  w.put(input_ordinal_);
  w.put(bot_ids_used_);
  w.put(static_cast<std::uint32_t>(instruments_.size()));
  for (const Instrument& in : instruments_) {
    w.put(static_cast<std::uint8_t>(in.defined));
    if (!in.defined) continue;
    w.put(in.info.id), w.put(in.info.price_scale), w.put(in.info.qty_scale);
    w.put(in.info.tick_size), w.put(in.info.step_size), w.put(in.info.min_notional);
    w.put_string(in.symbol);
    w.put(in.venue), w.put(in.base), w.put(in.quote);
    for (const BarAggregator& a : in.bars) {
      // The open bar and its presence decide what is emitted next; the hash covers those
      // (the aggregator's padding bytes are not hashed).
      w.put(static_cast<std::uint8_t>(a.has_open_bar()));
      if (a.has_open_bar()) w.put(a.open_bar());
    }
  }
  w.put(static_cast<std::uint32_t>(assets_.size()));
  for (std::size_t a = 0; a < assets_.size(); ++a) {
    w.put_string(assets_.name(AssetId{static_cast<std::uint16_t>(a)}));
  }
  w.put(static_cast<std::uint32_t>(free_quote_.size()));
  for (std::int64_t q : free_quote_)
    w.put(q);
  health_.save(w);
  w.put(static_cast<std::uint32_t>(bots_.size()));
  for (const auto& [id, slot] : bots_) {
    w.put(id);
    w.put_string(slot->config_json);
    w.put(slot->owner), w.put(slot->state), w.put(slot->reason), w.put(slot->heartbeat);
    w.put(slot->inputs), w.put(slot->position), w.put(slot->open_buy_quote), w.put(slot->fills);
    w.put(slot->suppressed);
    w.put(static_cast<std::uint32_t>(slot->orders.size()));
    for (const TrackedOrder& o : slot->orders) {
      w.put(o.client_sequence), w.put(o.instrument), w.put(o.tag), w.put(o.side);
      w.put(o.price), w.put(o.quantity), w.put(o.filled);
    }
    for (const TimerSlot& timer : slot->timers) {
      w.put(timer.id), w.put(timer.armed), w.put(timer.deadline);
    }
    w.put(static_cast<std::uint32_t>(slot->subscriptions.size()));
    for (cond::SubscriptionId sub : slot->subscriptions) {
      w.put(sub);
      w.put(subscriptions_.at(sub).second);
    }
    std::vector<std::byte> bot_state;
    slot->bot->save(bot_state);
    w.put_bytes(bot_state);
  }
}

std::uint64_t StrategyStage::state_hash() const {
  state_io::Hasher w;
  write_state(w);
  w.put(conditions_.state_hash());
  return w.value();
}

std::vector<std::byte> StrategyStage::snapshot() const {
  std::vector<std::byte> out;
  state_io::Writer w(out);
  write_state(w);
  // Aggregators in full (their cursor and last close are private): as bytes.
  for (const Instrument& in : instruments_) {
    if (!in.defined) continue;
    for (const BarAggregator& a : in.bars) {
      w.put_bytes(std::as_bytes(std::span(&a, 1)));
    }
  }
  std::vector<std::byte> cond_bytes;
  conditions_.save(cond_bytes);
  w.put_bytes(cond_bytes);
  w.put(static_cast<std::uint32_t>(blobs_.size()));
  for (const auto& [id, text] : blobs_) {
    w.put(id);
    w.put_string(text);
  }
  return out;
}

std::optional<std::string> StrategyStage::restore(std::span<const std::byte> bytes) {
  timer_floor_ = std::numeric_limits<Nanos>::min();  // rescanned at the next input
  StrategyStage fresh(capacity_, *registry_);
  state_io::Reader r(bytes);
  std::uint8_t version = 0;
  if (!r.get(version) || version != kSnapshotVersion) return "strategy snapshot: unknown version";
  r.get(fresh.now_), r.get(fresh.input_ordinal_), r.get(fresh.bot_ids_used_);
  std::uint32_t n = 0;
  // Taken with another instrument capacity (engine.capacity changed): those beyond this
  // deployment's must be undefined.
  if (!r.get(n) || n > bytes.size()) return "strategy snapshot: truncated";
  for (std::uint32_t id = 0; id < n; ++id) {
    std::uint8_t defined = 0;
    r.get(defined);
    if (defined != 0 && id >= fresh.instruments_.size())
      return "strategy snapshot: instrument capacity";
    if (defined == 0) continue;
    Instrument& in = fresh.instruments_[id];
    in.defined = true;
    r.get(in.info.id), r.get(in.info.price_scale), r.get(in.info.qty_scale);
    r.get(in.info.tick_size), r.get(in.info.step_size), r.get(in.info.min_notional);
    in.symbol = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    r.get(in.venue), r.get(in.base), r.get(in.quote);
    for (std::size_t k = 0; k < in.bars.size(); ++k) {
      std::uint8_t open = 0;
      r.get(open);
      if (open) {
        Bar skipped;
        r.get(skipped);
      }
    }
  }
  if (!r.get(n)) return "strategy snapshot: truncated";
  for (std::uint32_t a = 0; a < n; ++a) {
    const std::string name = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    fresh.assets_.intern(name);
  }
  if (!r.get(n) || n > 65536) return "strategy snapshot: bad asset count";
  fresh.free_quote_.assign(n, 0);
  for (std::int64_t& q : fresh.free_quote_)
    r.get(q);
  if (!fresh.health_.load(r)) return "strategy snapshot: feed health";
  if (!r.get(n) || n > capacity_.bots) return "strategy snapshot: bot count";
  struct PendingSubs {
    BotId bot;
    std::vector<std::pair<cond::SubscriptionId, std::uint32_t>> subs;
  };
  std::vector<PendingSubs> pending;
  for (std::uint32_t b = 0; b < n; ++b) {
    BotId id{};
    r.get(id);
    const std::string json = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    auto built = fresh.build(json, id);
    if (!built) return "strategy snapshot: bot " + std::to_string(index_of(id)) + " config";
    auto slot = fresh.new_slot(std::move(*built), json);
    r.get(slot->owner), r.get(slot->state), r.get(slot->reason), r.get(slot->heartbeat);
    r.get(slot->inputs), r.get(slot->position), r.get(slot->open_buy_quote), r.get(slot->fills);
    r.get(slot->suppressed);
    std::uint32_t orders = 0;
    if (!r.get(orders) || orders > capacity_.orders_per_bot) return "strategy snapshot: orders";
    for (std::uint32_t k = 0; k < orders; ++k) {
      TrackedOrder o;
      r.get(o.client_sequence), r.get(o.instrument), r.get(o.tag), r.get(o.side);
      r.get(o.price), r.get(o.quantity), r.get(o.filled);
      slot->orders.push_back(o);
    }
    for (TimerSlot& timer : slot->timers) {
      r.get(timer.id), r.get(timer.armed), r.get(timer.deadline);
    }
    std::uint32_t subs = 0;
    if (!r.get(subs) || subs > 4096) return "strategy snapshot: subscriptions";
    PendingSubs ps{id, {}};
    for (std::uint32_t k = 0; k < subs; ++k) {
      cond::SubscriptionId sub = 0;
      std::uint32_t index = 0;
      r.get(sub), r.get(index);
      ps.subs.emplace_back(sub, index);
      slot->subscriptions.push_back(sub);
    }
    pending.push_back(std::move(ps));
    const auto bot_state = r.get_bytes();
    if (r.failed() || !slot->bot->load(bot_state)) {
      return "strategy snapshot: bot " + std::to_string(index_of(id)) + " state";
    }
    fresh.bots_[id] = std::move(slot);
  }
  fresh.index_slots();  // fresh.find() below must see them
  for (Instrument& in : fresh.instruments_) {
    if (!in.defined) continue;
    for (BarAggregator& a : in.bars) {
      const auto raw = r.get_bytes();
      if (r.failed() || raw.size() != sizeof(BarAggregator)) return "strategy snapshot: bars";
      std::memcpy(static_cast<void*>(&a), raw.data(), sizeof(BarAggregator));
    }
  }
  const auto cond_bytes = r.get_bytes();
  if (r.failed()) return "strategy snapshot: truncated";
  if (auto err = fresh.conditions_.restore(cond_bytes)) return "strategy snapshot: " + *err;
  for (const PendingSubs& ps : pending) {
    for (const auto& [sub, index] : ps.subs)
      fresh.subscriptions_[sub] = {ps.bot, index};
  }
  if (!r.get(n)) return "strategy snapshot: truncated";
  for (std::uint32_t k = 0; k < n; ++k) {
    const auto id = r.get<std::uint64_t>();
    std::string text = r.get_string();
    if (r.failed()) return "strategy snapshot: truncated";
    fresh.blobs_[id] = std::move(text);
  }
  if (r.failed() || !r.at_end()) return "strategy snapshot: trailing or missing bytes";
  // Commit: everything parsed.
  instruments_ = std::move(fresh.instruments_);
  assets_ = std::move(fresh.assets_);
  free_quote_ = std::move(fresh.free_quote_);
  health_ = std::move(fresh.health_);
  conditions_ = std::move(fresh.conditions_);
  bots_ = std::move(fresh.bots_);
  index_slots();
  relisten_all();
  subscriptions_ = std::move(fresh.subscriptions_);
  blobs_ = std::move(fresh.blobs_);
  now_ = fresh.now_;
  input_ordinal_ = fresh.input_ordinal_;
  bot_ids_used_ = fresh.bot_ids_used_;
  return std::nullopt;
}

}  // namespace be::stage
