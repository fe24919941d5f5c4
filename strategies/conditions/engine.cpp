#include "strategies/conditions/engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <utility>

#include "core/state_io.hpp"

namespace be::cond {

struct ConditionEngine::Indicator {
  std::string spec;  // canonical
  ta::AnyIndicator instance;
  std::uint32_t refs = 0;
  bool ready = false;

  explicit Indicator(const ta::IndicatorSpec& s) : spec(s.text), instance(s) {}
};

struct ConditionEngine::Condition {
  ConditionId id = 0;
  std::string canonical;
  std::uint64_t hash = 0;
  ConditionDef def;
  Key* key = nullptr;
  Indicator* lhs = nullptr;  // set when the operand is an indicator
  Indicator* rhs = nullptr;
  bool has_previous = false;
  double previous_lhs = 0;
  double previous_rhs = 0;
  std::uint64_t evaluations = 0;
  std::uint64_t triggers = 0;
  std::vector<Subscriber> subscribers;  // ascending subscription id
};

struct ConditionEngine::Key {
  InstrumentId instrument{};
  std::uint32_t timeframe = 0;
  bool has_last = false;
  Nanos last_open_time = 0;
  std::vector<std::unique_ptr<Indicator>> indicators;  // ascending spec
  std::vector<Condition*> conditions;                  // ascending id
};

namespace {

constexpr std::uint32_t kStateMagic = 0x444E4F43;  // "COND"
constexpr std::uint16_t kStateVersion = 1;
constexpr double kUndefined = std::numeric_limits<double>::quiet_NaN();

bool key_less(InstrumentId ai, std::uint32_t at, InstrumentId bi, std::uint32_t bt) noexcept {
  return index_of(ai) != index_of(bi) ? index_of(ai) < index_of(bi) : at < bt;
}

double price(std::int64_t value, int price_scale) noexcept {
  return ta::to_double(value, price_scale);
}

// The project's writer and hasher (core/state_io.hpp), plus indicators: the snapshot holds
// their saved bytes, the hash takes each one's own state_hash (a digest of those bytes)
// instead, so hashing writes nothing.
struct StateWriter : state_io::Writer {
  explicit StateWriter(std::vector<std::byte>& out) : state_io::Writer(out), out_(&out) {}
  void put_indicator(const ta::AnyIndicator& ind) {
    const std::size_t n = ind.state_size();
    put(static_cast<std::uint32_t>(n));
    const std::size_t at = out_->size();
    out_->resize(at + n);
    ind.save(std::span<std::byte>(out_->data() + at, n));
  }

 private:
  std::vector<std::byte>* out_;
};
struct StateHasher : state_io::Hasher {
  void put_indicator(const ta::AnyIndicator& ind) noexcept { put(ind.state_hash()); }
};

template <class W>
void write_operand(W& w, const Operand& o) {
  w.put(static_cast<std::uint8_t>(o.kind));
  w.put(o.constant);
  w.put_string(o.kind == OperandKind::kIndicator ? std::string_view(o.spec.text) : "");
  w.put(o.output);
}

std::optional<Operand> read_operand(state_io::Reader& r) {
  Operand o;
  o.kind = static_cast<OperandKind>(r.get<std::uint8_t>());
  o.constant = r.get<double>();
  const std::string spec = r.get_string();
  o.output = r.get<std::uint8_t>();
  if (!r.ok()) return std::nullopt;
  if (o.kind == OperandKind::kIndicator) {
    auto built = indicator_operand(spec);
    if (!built) return std::nullopt;
    built->output = o.output;
    return *built;
  }
  return o;
}

}  // namespace

ConditionEngine::ConditionEngine() = default;
ConditionEngine::~ConditionEngine() = default;
ConditionEngine::ConditionEngine(ConditionEngine&&) noexcept = default;
ConditionEngine& ConditionEngine::operator=(ConditionEngine&&) noexcept = default;

ConditionEngine::Key* ConditionEngine::find_key(InstrumentId instrument,
                                                std::uint32_t timeframe) const noexcept {
  const auto it = std::lower_bound(keys_.begin(), keys_.end(), 0, [&](const auto& k, int) {
    return key_less(k->instrument, k->timeframe, instrument, timeframe);
  });
  if (it == keys_.end() || (*it)->instrument != instrument || (*it)->timeframe != timeframe) {
    return nullptr;
  }
  return it->get();
}

ConditionEngine::Key& ConditionEngine::key_for(InstrumentId instrument, std::uint32_t timeframe) {
  if (Key* k = find_key(instrument, timeframe)) return *k;
  const auto it = std::lower_bound(keys_.begin(), keys_.end(), 0, [&](const auto& k, int) {
    return key_less(k->instrument, k->timeframe, instrument, timeframe);
  });
  auto key = std::make_unique<Key>();
  key->instrument = instrument;
  key->timeframe = timeframe;
  return **keys_.insert(it, std::move(key));
}

ConditionEngine::Indicator* ConditionEngine::acquire_indicator(Key& key,
                                                               const ta::IndicatorSpec& spec) {
  auto it = std::lower_bound(key.indicators.begin(), key.indicators.end(), spec.text,
                             [](const auto& ind, const std::string& s) { return ind->spec < s; });
  if (it == key.indicators.end() || (*it)->spec != spec.text) {
    it = key.indicators.insert(it, std::make_unique<Indicator>(spec));
  }
  ++(*it)->refs;
  return it->get();
}

void ConditionEngine::release_indicator(Key& key, Indicator* indicator) {
  if (indicator == nullptr || --indicator->refs != 0) return;
  std::erase_if(key.indicators, [&](const auto& ind) { return ind.get() == indicator; });
}

ConditionEngine::Condition& ConditionEngine::create_condition(const ConditionDef& def,
                                                              std::string canonical,
                                                              ConditionId id) {
  auto c = std::make_unique<Condition>();
  c->id = id;
  c->hash = condition_hash(canonical);
  c->canonical = std::move(canonical);
  c->def = def;
  Key& key = key_for(def.instrument, def.timeframe_seconds);
  c->key = &key;
  if (def.lhs.kind == OperandKind::kIndicator) c->lhs = acquire_indicator(key, def.lhs.spec);
  if (def.rhs.kind == OperandKind::kIndicator) c->rhs = acquire_indicator(key, def.rhs.spec);
  const auto pos = std::lower_bound(key.conditions.begin(), key.conditions.end(), id,
                                    [](const Condition* x, ConditionId v) { return x->id < v; });
  key.conditions.insert(pos, c.get());
  by_text_.emplace(c->canonical, id);
  Condition& out = *c;
  conditions_.emplace(id, std::move(c));
  return out;
}

void ConditionEngine::destroy_condition(Condition& c) {
  Key& key = *c.key;
  release_indicator(key, c.lhs);
  release_indicator(key, c.rhs);
  std::erase(key.conditions, &c);
  if (key.conditions.empty()) {
    std::erase_if(keys_, [&](const auto& k) { return k.get() == &key; });
  }
  by_text_.erase(c.canonical);
  conditions_.erase(c.id);  // destroys c
}

Expected<SubscriptionId, std::string> ConditionEngine::subscribe(BotId bot,
                                                                 const ConditionDef& def) {
  if (auto problem = validate(def)) return Unexpected{*problem};
  std::string text = canonical_text(def);
  Condition* c = nullptr;
  if (auto it = by_text_.find(text); it != by_text_.end()) {
    c = conditions_.at(it->second).get();
  } else {
    c = &create_condition(def, std::move(text), next_condition_id_++);
  }
  const SubscriptionId id = next_subscription_id_++;
  c->subscribers.push_back({id, bot});
  subscriptions_.emplace(id, SubscriptionRecord{bot, c->id});
  return id;
}

bool ConditionEngine::unsubscribe(SubscriptionId subscription) {
  const auto it = subscriptions_.find(subscription);
  if (it == subscriptions_.end()) return false;
  Condition& c = *conditions_.at(it->second.condition);
  subscriptions_.erase(it);
  std::erase_if(c.subscribers, [&](const Subscriber& s) { return s.subscription == subscription; });
  if (c.subscribers.empty()) destroy_condition(c);
  return true;
}

std::size_t ConditionEngine::unsubscribe_bot(BotId bot) {
  std::vector<SubscriptionId> mine;
  for (const auto& [id, rec] : subscriptions_) {
    if (rec.bot == bot) mine.push_back(id);
  }
  for (SubscriptionId id : mine)
    unsubscribe(id);
  return mine.size();
}

void ConditionEngine::on_bar(const Bar& bar, int price_scale, int qty_scale,
                             TriggerSink& sink) noexcept {
  if (bar.closed == 0) {
    ++stats_.bars_partial;
    return;
  }
  if (price_scale < 0 || price_scale > 18 || qty_scale < 0 || qty_scale > 18) {
    ++stats_.bars_bad_scale;  // pow10 would read past its table
    return;
  }
  Key* key = find_key(bar.instrument, bar.interval_seconds);
  if (key == nullptr) {
    ++stats_.bars_unwatched;
    return;
  }
  if (key->has_last && bar.open_time <= key->last_open_time) {
    ++stats_.bars_late;
    return;
  }
  key->has_last = true;
  key->last_open_time = bar.open_time;
  ++stats_.bars;

  for (const auto& ind : key->indicators) {
    ind->ready = ind->instance.update(bar, price_scale, qty_scale);
  }
  stats_.indicator_updates += key->indicators.size();

  const auto value = [&](const Operand& o, const Indicator* ind) noexcept {
    switch (o.kind) {
      case OperandKind::kConstant:
        return o.constant;
      case OperandKind::kIndicator:
        return ind->ready ? ind->instance.output(o.output) : kUndefined;
      case OperandKind::kClose:
        return price(bar.close, price_scale);
      case OperandKind::kOpen:
        return price(bar.open, price_scale);
      case OperandKind::kHigh:
        return price(bar.high, price_scale);
      case OperandKind::kLow:
        return price(bar.low, price_scale);
    }
    return kUndefined;
  };

  for (Condition* c : key->conditions) {
    ++c->evaluations;
    const double l = value(c->def.lhs, c->lhs);
    const double r = value(c->def.rhs, c->rhs);
    bool holds = false;
    if (std::isnan(l) || std::isnan(r)) {
      c->has_previous = false;
    } else {
      switch (c->def.op) {
        case Op::kAbove:
          holds = l > r;
          break;
        case Op::kBelow:
          holds = l < r;
          break;
        case Op::kCrossesAbove:
          holds = c->has_previous && c->previous_lhs <= c->previous_rhs && l > r;
          break;
        case Op::kCrossesBelow:
          holds = c->has_previous && c->previous_lhs >= c->previous_rhs && l < r;
          break;
      }
      c->has_previous = true;
      c->previous_lhs = l;
      c->previous_rhs = r;
    }
    if (!holds) continue;
    ++c->triggers;
    ++stats_.triggers;
    Trigger t;
    t.condition = c->id;
    t.instrument = bar.instrument;
    t.timeframe_seconds = bar.interval_seconds;
    t.bar_open_time = bar.open_time;
    t.lhs = l;
    t.rhs = r;
    for (const Subscriber& s : c->subscribers) {
      t.subscription = s.subscription;
      t.bot = s.bot;
      sink.on_trigger(t);
    }
    stats_.deliveries += c->subscribers.size();
  }
  stats_.evaluations += key->conditions.size();
}

std::size_t ConditionEngine::condition_count() const noexcept {
  return conditions_.size();
}

std::size_t ConditionEngine::indicator_count() const noexcept {
  std::size_t n = 0;
  for (const auto& k : keys_)
    n += k->indicators.size();
  return n;
}

std::optional<ConditionId> ConditionEngine::condition_of(SubscriptionId subscription) const {
  const auto it = subscriptions_.find(subscription);
  if (it == subscriptions_.end()) return std::nullopt;
  return it->second.condition;
}

std::optional<ConditionStats> ConditionEngine::condition_stats(ConditionId id) const {
  const auto it = conditions_.find(id);
  if (it == conditions_.end()) return std::nullopt;
  const Condition& c = *it->second;
  return ConditionStats{c.id, c.canonical, c.hash, c.subscribers, c.evaluations, c.triggers};
}

std::vector<ConditionStats> ConditionEngine::all_condition_stats() const {
  std::vector<ConditionStats> out;
  out.reserve(conditions_.size());
  for (const auto& [id, c] : conditions_)
    out.push_back(*condition_stats(id));
  return out;
}

// ---- Snapshot -------------------------------------------------------------------------------
//
//   u32 magic "COND" | u16 version | u32 next condition id | u64 next subscription id
//   | EngineStats (9 x u64)
//   | u32 keys     x { u32 instrument, u32 timeframe, u8 has_last, i64 last_open_time,
//                      u32 indicators x { string spec, bytes indicator state } }
//   | u32 conditions x { u32 id, u32 instrument, u32 timeframe, u8 op, operand lhs, operand rhs,
//                        u8 has_previous, f64 previous_lhs, f64 previous_rhs,
//                        u64 evaluations, u64 triggers }          (ascending id)
//   | u32 subscriptions x { u64 id, u32 bot, u32 condition }        (ascending id)
//   operand = u8 kind, f64 constant, string canonical spec ("" unless indicator), u8 output
//   string / bytes = u32 length + bytes. Native endianness: read back by the same binary.

template <class W>
void ConditionEngine::write_state(W& w) const {
  w.put(kStateMagic);
  w.put(kStateVersion);
  w.put(next_condition_id_);
  w.put(next_subscription_id_);
  w.put(stats_);
  w.put(static_cast<std::uint32_t>(keys_.size()));
  for (const auto& k : keys_) {
    w.put(index_of(k->instrument));
    w.put(k->timeframe);
    w.put(static_cast<std::uint8_t>(k->has_last));
    w.put(k->last_open_time);
    w.put(static_cast<std::uint32_t>(k->indicators.size()));
    for (const auto& ind : k->indicators) {
      w.put_string(ind->spec);
      w.put_indicator(ind->instance);
    }
  }
  w.put(static_cast<std::uint32_t>(conditions_.size()));
  for (const auto& [id, c] : conditions_) {
    w.put(id);
    w.put(index_of(c->def.instrument));
    w.put(c->def.timeframe_seconds);
    w.put(static_cast<std::uint8_t>(c->def.op));
    write_operand(w, c->def.lhs);
    write_operand(w, c->def.rhs);
    w.put(static_cast<std::uint8_t>(c->has_previous));
    w.put(c->previous_lhs);
    w.put(c->previous_rhs);
    w.put(c->evaluations);
    w.put(c->triggers);
  }
  w.put(static_cast<std::uint32_t>(subscriptions_.size()));
  for (const auto& [id, rec] : subscriptions_) {
    w.put(id);
    w.put(index_of(rec.bot));
    w.put(rec.condition);
  }
}

void ConditionEngine::save(std::vector<std::byte>& out) const {
  StateWriter w{out};
  write_state(w);
}

std::uint64_t ConditionEngine::state_hash() const noexcept {
  StateHasher h;
  write_state(h);
  return h.value();
}

std::optional<std::string> ConditionEngine::restore(std::span<const std::byte> in) {
  state_io::Reader r{in};
  if (r.get<std::uint32_t>() != kStateMagic || r.get<std::uint16_t>() != kStateVersion) {
    return "condition state: not a condition engine snapshot of this version";
  }
  ConditionEngine e;
  e.next_condition_id_ = r.get<ConditionId>();
  e.next_subscription_id_ = r.get<SubscriptionId>();
  e.stats_ = r.get<EngineStats>();

  const auto fail = [](std::string what) -> std::optional<std::string> {
    return "condition state: " + what;
  };

  // Keys and their indicator states are read first and applied after the conditions have
  // rebuilt the keys and indicator instances they need.
  struct SavedIndicator {
    std::string spec;
    std::span<const std::byte> state;
  };
  struct SavedKey {
    InstrumentId instrument{};
    std::uint32_t timeframe = 0;
    bool has_last = false;
    Nanos last_open_time = 0;
    std::vector<SavedIndicator> indicators;
  };
  std::vector<SavedKey> keys;
  const auto key_count = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < key_count && r.ok(); ++i) {
    SavedKey k;
    k.instrument = InstrumentId{r.get<std::uint32_t>()};
    k.timeframe = r.get<std::uint32_t>();
    k.has_last = r.get<std::uint8_t>() != 0;
    k.last_open_time = r.get<Nanos>();
    const auto n = r.get<std::uint32_t>();
    for (std::uint32_t j = 0; j < n && r.ok(); ++j) {
      SavedIndicator ind;
      ind.spec = r.get_string();
      ind.state = r.get_bytes();
      k.indicators.push_back(std::move(ind));
    }
    keys.push_back(std::move(k));
  }
  if (!r.ok()) return fail("truncated in the indicator section");

  const auto condition_count = r.get<std::uint32_t>();
  for (std::uint32_t i = 0; i < condition_count && r.ok(); ++i) {
    const auto id = r.get<ConditionId>();
    ConditionDef def;
    def.instrument = InstrumentId{r.get<std::uint32_t>()};
    def.timeframe_seconds = r.get<std::uint32_t>();
    def.op = static_cast<Op>(r.get<std::uint8_t>());
    auto lhs = read_operand(r);
    auto rhs = read_operand(r);
    if (!r.ok()) break;
    if (!lhs || !rhs) return fail("condition " + std::to_string(id) + " has a bad operand");
    def.lhs = std::move(*lhs);
    def.rhs = std::move(*rhs);
    if (auto problem = validate(def)) {
      return fail("condition " + std::to_string(id) + ": " + *problem);
    }
    std::string text = canonical_text(def);
    if (id == 0 || id >= e.next_condition_id_ || e.conditions_.count(id) != 0 ||
        e.by_text_.count(text) != 0) {
      return fail("condition " + std::to_string(id) + " is duplicated or out of range");
    }
    Condition& c = e.create_condition(def, std::move(text), id);
    c.has_previous = r.get<std::uint8_t>() != 0;
    c.previous_lhs = r.get<double>();
    c.previous_rhs = r.get<double>();
    c.evaluations = r.get<std::uint64_t>();
    c.triggers = r.get<std::uint64_t>();
  }
  if (!r.ok()) return fail("truncated in the condition section");

  const auto subscription_count = r.get<std::uint32_t>();
  SubscriptionId previous = 0;
  for (std::uint32_t i = 0; i < subscription_count && r.ok(); ++i) {
    const auto id = r.get<SubscriptionId>();
    const BotId bot{r.get<std::uint32_t>()};
    const auto condition = r.get<ConditionId>();
    if (!r.ok()) break;
    const auto it = e.conditions_.find(condition);
    if (id <= previous || id >= e.next_subscription_id_ || it == e.conditions_.end()) {
      return fail("subscription " + std::to_string(id) + " is out of order or names no condition");
    }
    previous = id;
    it->second->subscribers.push_back({id, bot});
    e.subscriptions_.emplace(id, SubscriptionRecord{bot, condition});
  }
  if (!r.ok()) return fail("truncated in the subscription section");
  if (!r.at_end()) return fail("trailing bytes");
  for (const auto& [id, c] : e.conditions_) {
    if (c->subscribers.empty()) {
      return fail("condition " + std::to_string(id) + " has no subscriber");
    }
  }

  if (keys.size() != e.keys_.size()) return fail("the keys do not match the conditions");
  for (std::size_t i = 0; i < keys.size(); ++i) {
    Key& live = *e.keys_[i];
    const SavedKey& saved = keys[i];
    if (live.instrument != saved.instrument || live.timeframe != saved.timeframe ||
        live.indicators.size() != saved.indicators.size()) {
      return fail("the keys do not match the conditions");
    }
    live.has_last = saved.has_last;
    live.last_open_time = saved.last_open_time;
    for (std::size_t j = 0; j < saved.indicators.size(); ++j) {
      Indicator& ind = *live.indicators[j];
      if (ind.spec != saved.indicators[j].spec) return fail("indicator " + ind.spec + " missing");
      const auto err = ind.instance.restore(saved.indicators[j].state);
      if (err != ta::StateError::kNone) {
        return fail("indicator " + ind.spec + ": " + std::string(ta::to_string(err)));
      }
      ind.ready = ind.instance.ready();
    }
  }
  *this = std::move(e);
  return std::nullopt;
}

}  // namespace be::cond
