// The strategy stage: construction, the input dispatch and the queries. The jobs it
// dispatches to live beside it (stage_state.hpp lists the files).
#include "strategies/stage/strategy_stage.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/blobs.hpp"
#include "strategies/stage/stage_state.hpp"

namespace be::stage {

StrategyStage::StrategyStage(StrategyCapacity capacity, const bots::BotRegistry& registry)
    : capacity_(capacity),
      registry_(&registry),
      instruments_(capacity.instruments),
      venue_names_(capacity.venues),
      health_(capacity.instruments, capacity.venues),
      slot_of_(capacity.bots, nullptr),
      view_versions_(capacity.bots),
      listeners_(capacity.instruments) {}

StrategyStage::~StrategyStage() = default;

const bots::InstrumentInfo* StrategyStage::instrument(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  if (i >= instruments_.size() || !instruments_[i].defined) return nullptr;
  return &instruments_[i].info;
}

std::string_view StrategyStage::symbol(InstrumentId id) const noexcept {
  const auto i = index_of(id);
  if (i >= instruments_.size() || !instruments_[i].defined) return {};
  return instruments_[i].symbol;
}

std::string_view StrategyStage::venue_name(VenueId id) const noexcept {
  const auto i = index_of(id);
  return i < venue_names_.size() ? std::string_view(venue_names_[i]) : std::string_view{};
}

StrategyStage::BotSlot* StrategyStage::find(BotId bot) noexcept {
  if (index_of(bot) < slot_of_.size()) return slot_of_[index_of(bot)];
  auto it = bots_.find(bot);
  return it == bots_.end() ? nullptr : it->second.get();
}

void StrategyStage::index_slots() {
  std::fill(slot_of_.begin(), slot_of_.end(), nullptr);
  for (auto& [id, slot] : bots_)
    if (index_of(id) < slot_of_.size()) slot_of_[index_of(id)] = slot.get();
  view_versions_.bump_all();  // whatever the read model showed before the restore is stale
}

void StrategyStage::listen(BotSlot& slot) {
  const auto i = index_of(slot.instrument);
  if (i >= listeners_.size()) return;  // its instrument is not in the tables: never runs
  auto& list = listeners_[i];
  const BotId id = slot.bot->id();
  list.insert(std::lower_bound(list.begin(), list.end(), id,
                               [](const BotSlot* s, BotId b) { return s->bot->id() < b; }),
              &slot);
}

void StrategyStage::unlisten(const BotSlot& slot) {
  const auto i = index_of(slot.instrument);
  if (i >= listeners_.size()) return;
  auto& list = listeners_[i];
  list.erase(std::remove(list.begin(), list.end(), &slot), list.end());
}

void StrategyStage::relisten_all() {
  for (auto& list : listeners_)
    list.clear();
  for (auto& [id, slot] : bots_)
    listen(*slot);
}
const StrategyStage::BotSlot* StrategyStage::find(BotId bot) const noexcept {
  if (index_of(bot) < slot_of_.size()) return slot_of_[index_of(bot)];
  auto it = bots_.find(bot);
  return it == bots_.end() ? nullptr : it->second.get();
}
bool StrategyStage::has_bot(BotId bot) const noexcept {
  return find(bot) != nullptr;
}
BotState StrategyStage::state_of(BotId bot) const noexcept {
  const BotSlot* s = find(bot);
  return s == nullptr ? BotState::kDeleted : s->state;
}

// ---- Inputs ------------------------------------------------------------------------------

void StrategyStage::on_input(const Event& input, Outbox& out) {
  ++stats_["inputs"];
  input_ordinal_ = input.header.sequence;
  intents_this_input_ = 0;
  const Nanos t = input.header.event_time;
  if (t > now_) {
    now_ = t;
    fire_timers(now_, out);
  }
  switch (input.header.type) {
    case EventType::kInstrumentDefined:
      define(input.as<InstrumentDefined>());
      break;
    case EventType::kTrade:
      on_trade(input.as<Trade>(), t, out);
      break;
    case EventType::kQuote:
      on_quote(input.as<Quote>(), out);
      break;
    case EventType::kBar:
      on_bar_input(input.as<Bar>(), out);
      break;
    case EventType::kConnectivity:
      // The feed's connection only: an account's order channel is the order stage's.
      if (const auto c = input.as<Connectivity>(); c.channel == ConnectivityChannel::kMarketData)
        health_.apply(c, t);
      break;
    case EventType::kOrderUpdate:
      on_order_update(input.as<OrderUpdate>(), t, out);
      break;
    case EventType::kBalanceUpdate: {
      const auto b = input.as<BalanceUpdate>();
      if (index_of(b.account) == 0 && index_of(b.asset) < free_quote_.size()) {
        free_quote_[index_of(b.asset)] = b.free;
      }
      break;
    }
    case EventType::kOperatorCommand:
      on_command(input.as<OperatorCommand>(), t, out);
      break;
    case EventType::kBlob:
      keep_blob(blobs_, input.as<BlobRef>());
      break;
    case EventType::kTimer:
      on_clock_tick(out);  // event time moved (above); bars of a quiet market close
      break;
    default:
      break;  // derived records never reach a fold
  }
}

// ---- Read model ----------------------------------------------------------------------------

std::vector<BotSummary> StrategyStage::describe() const {
  std::vector<BotSummary> all;
  all.reserve(bots_.size());
  for (const auto& [id, slot] : bots_) {
    if (auto one = describe(id)) all.push_back(std::move(*one));
  }
  return all;
}

std::optional<BotSummary> StrategyStage::describe(BotId bot) const {
  const BotSlot* slot = find(bot);
  if (slot == nullptr) return std::nullopt;
  BotSummary s;
  s.id = bot;
  s.owner = slot->owner;
  s.name = slot->config.name;
  s.type = std::string(slot->bot->type_name());
  s.venue = slot->config.venue;
  s.symbol = slot->config.symbol;
  s.config_json = slot->config_json;
  s.instrument = slot->instrument;
  s.state = slot->state;
  s.reason = slot->reason;
  s.failure = std::string(slot->bot->failure());
  s.heartbeat = slot->heartbeat;
  s.inputs = slot->inputs;
  s.position = slot->position;
  s.open_orders = static_cast<std::uint32_t>(slot->orders.size());
  s.fills = slot->fills;
  s.suppressed_intents = slot->suppressed;
  for (cond::SubscriptionId sub : slot->subscriptions) {
    if (auto c = conditions_.condition_of(sub)) {
      if (auto st = conditions_.condition_stats(*c)) s.conditions.push_back(st->canonical);
    }
  }
  return s;
}

}  // namespace be::stage
