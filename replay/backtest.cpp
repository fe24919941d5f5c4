#include "replay/backtest.hpp"

#include <algorithm>
#include <fstream>
#include <span>
#include <sstream>

#include "core/json_config.hpp"

namespace be::replay {

namespace {

engine::FoldConfig backtest_fold(const engine::EngineConfig& config,
                                 std::span<const oms::PaperStartingBalance> balances) {
  engine::FoldConfig fc = engine::fold_config(config, balances);
  fc.hold_sends = false;
  return fc;
}

}  // namespace

Expected<std::string, std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected("cannot open " + path);
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unexpected("cannot read " + path);
  return std::move(text).str();
}

Expected<std::vector<std::string>, std::string> load_bot_configs(const std::string& path) {
  const auto text = read_text_file(path);
  if (!text) return Unexpected(text.error());
  auto doc = config::parse(*text);
  if (!doc || doc->kind != config::Value::Kind::kArray) {
    return Unexpected(path + ": expected a JSON array of bot configs");
  }
  std::vector<std::string> bots;
  for (const config::Value& b : doc->items)
    bots.push_back(config::to_json(b));
  return bots;
}

void Backtest::Answers::respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept {
  pending.push_back(Event::make(u, t, r));
}
void Backtest::Answers::respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept {
  pending.push_back(Event::make(b, t, r));
}

Backtest::Backtest(const engine::EngineConfig& config, std::vector<std::string> bots,
                   bool reporting)
    : instruments_(config.instruments),
      balances_(engine::paper_balances(config, instruments_)),
      bots_(std::move(bots)),
      fold_(backtest_fold(config, balances_), answers_),
      report_(instruments_),
      reporting_(reporting) {}

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
  if (reporting_) report_.on_records(records, fold_);
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

Expected<engine::ReplayCounts, std::string> feed_journal(journal::Reader& reader,
                                                         Backtest& backtest) {
  struct Market final : engine::ReplayObserver {
    Backtest& backtest;
    explicit Market(Backtest& b) : backtest(b) {}
    void on_record(const Event& e) override {
      if (Backtest::is_market(e)) backtest.market(e);
    }
  } market(backtest);
  engine::JournalReplayer replayer(reader, nullptr, {}, &market);
  auto replayed = replayer.run();
  if (!replayed) return Unexpected(replayed.error());
  return replayed->counts;
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
