#include "replay/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>

#include "core/file_read.hpp"
#include "core/json_config.hpp"

namespace be::replay {

namespace {

engine::FoldConfig backtest_fold(const engine::EngineConfig& config,
                                 std::span<const oms::PaperStartingBalance> balances,
                                 bool account_per_bot) {
  engine::FoldConfig fc = engine::fold_config(config, balances);
  fc.hold_sends = false;
  fc.paper.isolate_accounts = account_per_bot;
  return fc;
}

// The deployment's paper balances (account 0's), and with one account per bot the same for
// each bot's account.
std::vector<oms::PaperStartingBalance> backtest_balances(const engine::EngineConfig& config,
                                                         const engine::InstrumentTable& table,
                                                         std::size_t bots, bool account_per_bot) {
  const auto first = engine::paper_balances(config, table);
  if (!account_per_bot) return first;
  std::vector<oms::PaperStartingBalance> out;
  for (std::size_t a = 0; a < std::max<std::size_t>(bots, 1); ++a) {
    for (oms::PaperStartingBalance b : first) {
      b.account = AccountId{static_cast<std::uint32_t>(a)};
      out.push_back(b);
    }
  }
  return out;
}

}  // namespace

Expected<std::vector<std::string>, std::string> parse_bot_configs(std::string_view text,
                                                                  std::string_view source) {
  constexpr const char* kExpected = ": expected a bot config (a JSON object) or an array of them";
  auto doc = config::parse(text);
  if (!doc)
    return Unexpected(std::string(source) + ": " + doc.error() + " (" + (kExpected + 2) + ")");
  if (doc->kind == config::Value::Kind::kObject) return std::vector{config::to_json(*doc)};
  if (doc->kind != config::Value::Kind::kArray) return Unexpected(std::string(source) + kExpected);
  std::vector<std::string> bots;
  for (std::size_t i = 0; i < doc->items.size(); ++i) {
    if (doc->items[i].kind != config::Value::Kind::kObject) {
      return Unexpected(std::string(source) + ": item " + std::to_string(i) + kExpected);
    }
    bots.push_back(config::to_json(doc->items[i]));
  }
  return bots;
}

Expected<std::vector<std::string>, std::string> load_bot_configs(const std::string& path) {
  const auto text = read_file(path);
  if (!text) return Unexpected(text.error());
  return parse_bot_configs(*text, path);
}

std::vector<BotWithoutMarket> bots_without_market(const engine::EngineConfig& config,
                                                  const std::vector<std::string>& bots) {
  std::vector<BotWithoutMarket> out;
  for (std::size_t i = 0; i < bots.size(); ++i) {
    auto doc = config::parse(bots[i]);
    if (!doc || doc->kind != config::Value::Kind::kObject) continue;  // refused at creation
    auto text = [&doc](std::string_view key, std::string fallback) {
      const config::Value* v = doc->find(key);
      return v && v->kind == config::Value::Kind::kString ? v->text : fallback;
    };
    BotWithoutMarket bot{i, text("name", ""), text("venue", "binance"), text("symbol", "")};
    const bool defined = std::any_of(config.instruments.begin(), config.instruments.end(),
                                     [&bot](const engine::InstrumentSpec& s) {
                                       return s.venue == bot.venue && s.symbol == bot.symbol;
                                     });
    if (!defined) out.push_back(std::move(bot));
  }
  return out;
}

std::string describe(const BotWithoutMarket& bot, const engine::EngineConfig& config,
                     std::string_view what) {
  std::string s = "bot " + std::to_string(bot.index) + " \"" + bot.name + "\" trades " +
                  (bot.symbol.empty() ? std::string("no symbol") : bot.symbol) + " on " +
                  bot.venue + ", which " + std::string(what) + " does not contain; it has";
  if (config.instruments.empty()) return s + " no instrument";
  for (std::size_t i = 0; i < config.instruments.size(); ++i) {
    const engine::InstrumentSpec& spec = config.instruments[i];
    s += (i == 0 || spec.venue != config.instruments[i - 1].venue)
             ? (i ? "; " : " ") + spec.venue + ' '
             : std::string(", ");
    s += spec.symbol;
  }
  return s;
}

void Backtest::Answers::respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept {
  pending.push_back(Event::make(u, t, r));
}
void Backtest::Answers::respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept {
  pending.push_back(Event::make(b, t, r));
}

Backtest::Backtest(const engine::EngineConfig& config, std::vector<std::string> bots,
                   bool reporting)
    : Backtest(config, std::move(bots), BacktestOptions{reporting, false, {}}) {}

Backtest::Backtest(const engine::EngineConfig& config, std::vector<std::string> bots,
                   BacktestOptions options)
    : instruments_(config.instruments),
      balances_(backtest_balances(config, instruments_, bots.size(), options.account_per_bot)),
      bots_(std::move(bots)),
      fold_(backtest_fold(config, balances_, options.account_per_bot), answers_),
      report_(instruments_),
      options_(std::move(options)) {
  if (options_.reporting) register_bots();
}

bool Backtest::is_market(const Event& e) noexcept {
  if (e.derived()) return false;
  switch (e.header.type) {
    case EventType::kInstrumentDefined:
    case EventType::kTrade:
    case EventType::kQuote:
    case EventType::kBar:
    case EventType::kBookDelta:
    case EventType::kConnectivity:
    case EventType::kTimer:
      return true;
    default:
      return false;
  }
}

void Backtest::apply(const Event& input) {
  const auto records = fold_.apply(input, ++ordinal_);
  if (options_.reporting) report_.on_records(records, fold_);
  if (options_.on_records) options_.on_records(records, fold_);
}

void Backtest::drain_answers() {
  // The guard bounds a pathological ping-pong of answers causing answers; each answer is an
  // input like any other, applied in the order it was given.
  for (int guard = 0; guard < 100'000; ++guard) {
    for (const engine::VenueAction& a : fold_.actions()) {
      if (a.kind == engine::VenueAction::Kind::kLoopBackReject) {
        answers_.pending.push_back(Event::make(a.reject, fold_.strategy().engine_time(), 0));
      }
    }
    if (answers_.pending.empty()) return;
    const Event next = answers_.pending.front();
    answers_.pending.pop_front();
    apply(next);
  }
}

void Backtest::register_bots() {
  // Every bot is reported, traded or not; returns are measured against the paper balance of
  // the first bot's quote asset (the first instrument's when no bot has a known symbol).
  std::optional<std::size_t> first_instrument;
  for (std::size_t i = 0; i < bots_.size(); ++i) {
    auto doc = config::parse(bots_[i]);
    auto text = [&doc](std::string_view key) {
      const config::Value* v = doc ? doc->find(key) : nullptr;
      return v && v->kind == config::Value::Kind::kString ? v->text : std::string();
    };
    InstrumentId instrument = kNoInstrument;
    const std::string symbol = text("symbol");
    for (std::size_t k = 0; k < instruments_.size(); ++k) {
      if (instruments_.symbol(InstrumentId{static_cast<std::uint16_t>(k)}) == symbol) {
        instrument = InstrumentId{static_cast<std::uint16_t>(k)};
        if (!first_instrument) first_instrument = k;
        break;
      }
    }
    report_.add_bot(BotId{static_cast<std::uint32_t>(i)}, text("name"), symbol, instrument);
  }
  if (instruments_.size() == 0) return;
  const InstrumentDefined& def = instruments_.definition(first_instrument.value_or(0));
  const auto quote = instruments_.asset_index(std::string_view(
      def.quote_asset.data(), strnlen(def.quote_asset.data(), def.quote_asset.size())));
  for (const oms::PaperStartingBalance& b : balances_) {
    if (quote && index_of(b.asset) == *quote) {
      report_.set_capital(static_cast<double>(b.amount) /
                          std::pow(10.0, instruments_.asset_scale(*quote)));
    }
  }
}

void Backtest::create_bots(Nanos t) {
  std::uint32_t id = 0;
  std::uint64_t blob_id = 1'000'000;
  for (const std::string& json : bots_) {
    blob_text_.push_back(json);
    BlobRef ref;
    ref.blob_id = ++blob_id;
    ref.kind = 1;
    ref.size = static_cast<std::uint32_t>(blob_text_.back().size());
    ref.data = reinterpret_cast<const std::byte*>(blob_text_.back().data());
    apply(Event::make(ref, t, t));
    OperatorCommand c;
    c.kind = OperatorCommandKind::kCreateBot;
    c.bot = BotId{id};
    c.account = options_.account_per_bot ? id : 0;
    c.blob_id = ref.blob_id;
    apply(Event::make(c, t, t));
    c.kind = OperatorCommandKind::kStartBot;
    apply(Event::make(c, t, t));
    ++id;
  }
}

void Backtest::market(const Event& input) {
  apply(input);
  drain_answers();
  if (!bots_created_ && input.header.type == EventType::kInstrumentDefined &&
      index_of(input.as<InstrumentDefined>().instrument) + 1 == instruments_.size()) {
    bots_created_ = true;
    create_bots(input.header.event_time);
    drain_answers();
  }
}

Expected<engine::ReplayCounts, std::string> for_each_market_input(
    journal::Reader& reader, const std::function<void(const Event&)>& sink) {
  struct Market final : engine::ReplayObserver {
    const std::function<void(const Event&)>& sink;
    explicit Market(const std::function<void(const Event&)>& s) : sink(s) {}
    void on_record(const Event& e) override {
      if (Backtest::is_market(e)) sink(e);
    }
  } market(sink);
  engine::JournalReplayer replayer(reader, nullptr, {}, &market);
  auto replayed = replayer.run();
  if (!replayed) return Unexpected(replayed.error());
  return replayed->counts;
}

Expected<engine::ReplayCounts, std::string> feed_journal(journal::Reader& reader,
                                                         Backtest& backtest) {
  return for_each_market_input(reader, [&backtest](const Event& e) { backtest.market(e); });
}

std::optional<std::string> Backtest::write_report(const std::string& prefix) const {
  for (const auto& [suffix, text] :
       {std::pair{".json", report_json() + "\n"}, std::pair{".html", report_html()}}) {
    const std::string path = prefix + suffix;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return "cannot write " + path;
  }
  return std::nullopt;
}

}  // namespace be::replay
