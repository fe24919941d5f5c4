// The backtest loop shared by `botengine replay --bots` over a journal and over a capture:
// recorded market inputs go through the engine's fold (engine/fold.hpp, the code
// `botengine run` uses) with bots of the caller's choice instead of the recorded ones; the
// paper venue inside the fold answers in process and its answers are applied as inputs right
// after their cause, in the order given, so a run is a pure function of its inputs.
//
//   market input --> Fold::apply --> records --> ReportBuilder (with bots)
//                        |
//                        '-- paper venue answers, loop-back rejects --> Fold::apply (FIFO)
//
// The fold is the deployment's (engine::fold_config) except that sends are never held: durable
// mode waits for a journal a backtest does not write, and the recorded release timers number
// the recorded run's inputs, not these.
//
// Bots are created (a kBlob with the config, then kCreateBot and kStartBot commands, ids 0, 1,
// ... in list order) right after the deployment's last instrument is defined, at that
// input's event time, like a journal that defines its instruments first.
//
// Thread-safety: none; one thread. Lifetime: self-contained (owns the fold and the bot
// configs' text the fold's blob inputs point at). Allocates (answer queue, report): a replay
// tool, not the live hot path.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"
#include "engine/journal_replayer.hpp"
#include "journal/reader.hpp"
#include "replay/report.hpp"

namespace be::replay {

// Reads bot configs: a JSON array of configs, or one config object (every example in
// examples/bots is one), each re-serialized as one JSON text. Errors: the file cannot be read,
// is not JSON, or is neither an object nor an array of objects; the message names the file.
Expected<std::vector<std::string>, std::string> load_bot_configs(const std::string& path);
// The same, from text already in memory; `source` names it in errors.
Expected<std::vector<std::string>, std::string> parse_bot_configs(std::string_view text,
                                                                  std::string_view source);

// A bot whose venue and symbol the deployment (the journal's, or the capture's derived or
// given one) does not define: it can never trade, and its config would be refused when the
// backtest creates it, so the CLI names it instead of writing an empty report in silence.
struct BotWithoutMarket {
  std::size_t index = 0;  // in the bot list, = its BotId in the backtest
  std::string name, venue, symbol;
};
std::vector<BotWithoutMarket> bots_without_market(const engine::EngineConfig& config,
                                                  const std::vector<std::string>& bots);
// "bot 0 \"btc grid\" trades BTCUSDT on binance, which the capture does not contain; it has
// binance ETHBTC, LTCBTC" (`what`: "the capture", "the journal").
std::string describe(const BotWithoutMarket& bot, const engine::EngineConfig& config,
                     std::string_view what);

struct BacktestOptions {
  // Build the report (a backtest, even of an empty bot list); false: the market only moves
  // the fold (a plain capture replay, or a sweep that keeps its own figures).
  bool reporting = false;
  // Bot i trades on paper account i, opened with the deployment's paper balances, and the
  // paper venue shares no traded quantity between accounts (PaperConfig::isolate_accounts):
  // what a sweep needs so that no configuration's money, limits or fills touch another's.
  // false: every bot on account 0, as `replay --bots`.
  bool account_per_bot = false;
  // Called with every input's records (Fold::apply's), after the report has seen them.
  std::function<void(std::span<const Event>, const engine::Fold&)> on_records;
};

class Backtest {
 public:
  // `reporting`: see BacktestOptions.
  Backtest(const engine::EngineConfig& config, std::vector<std::string> bots, bool reporting);
  Backtest(const engine::EngineConfig& config, std::vector<std::string> bots,
           BacktestOptions options);
  Backtest(const Backtest&) = delete;
  Backtest& operator=(const Backtest&) = delete;

  // Whether a recorded input is market data (or reference data, or time) a backtest replays;
  // commands, venue answers and derived records are the recorded bots' business.
  static bool is_market(const Event& e) noexcept;

  // Applies one market input, then every answer it causes.
  void market(const Event& input);

  std::uint64_t inputs() const noexcept { return ordinal_; }
  bool reporting() const noexcept { return options_.reporting; }
  const engine::Fold& fold() const noexcept { return fold_; }
  const engine::InstrumentTable& instruments() const noexcept { return instruments_; }

  // The report (replay/report.hpp): deterministic for the same inputs and bots.
  std::string report_json() const { return report_.json(fold_); }
  std::string report_html() const { return report_.html(fold_); }
  // Writes PREFIX.json and PREFIX.html; nullopt on success, else what failed.
  std::optional<std::string> write_report(const std::string& prefix) const;

 private:
  struct Answers final : oms::VenueResponses {
    std::deque<Event> pending;
    void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override;
    void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override;
    void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
  };

  void apply(const Event& input);
  void drain_answers();
  void create_bots(Nanos t);
  void register_bots();

  engine::InstrumentTable instruments_;  // before report_: it keeps a pointer
  std::vector<oms::PaperStartingBalance> balances_;
  std::vector<std::string> bots_;
  std::deque<std::string> blob_text_;  // what the fold's BlobRef inputs point at
  Answers answers_;
  engine::Fold fold_;
  engine::ReportBuilder report_;
  SequenceNumber ordinal_ = 0;
  BacktestOptions options_;
  bool bots_created_ = false;
};

// The journal's market inputs (Backtest::is_market), in order, to `sink`, through the one
// journal replay loop (engine/journal_replayer.hpp, without a fold of its own). Errors: the
// reader's, or a record this build cannot decode.
Expected<engine::ReplayCounts, std::string> for_each_market_input(
    journal::Reader& reader, const std::function<void(const Event&)>& sink);

// A backtest over a recorded run: the journal's market inputs (Backtest::is_market), in
// order, to `backtest`, through the one journal replay loop (engine/journal_replayer.hpp,
// without a fold of its own: the recorded bots are not replayed). Errors: the reader's, or a
// record this build cannot decode.
Expected<engine::ReplayCounts, std::string> feed_journal(journal::Reader& reader,
                                                         Backtest& backtest);

}  // namespace be::replay
