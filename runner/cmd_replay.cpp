// `botengine replay DIR`: runs a journal's inputs through the engine's fold on one thread as
// fast as the CPU allows (the same code `botengine run` uses).
//   --verify      re-derive every output and compare it, and the periodic state hashes, with
//                 the journal; print the first divergent record with both versions
//   --bots FILE   a backtest: the journal's market inputs with the bots in FILE (a JSON array
//                 of bot configs) instead of the recorded ones; the paper venue answers in
//                 process; writes --report PREFIX.json and PREFIX.html (equity curve)
// docs/CLI.md is the reference; exit codes: 0 ok, 1 divergence or bad journal, 2 usage.
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/fixed_point.hpp"
#include "core/json_config.hpp"
#include "journal/reader.hpp"
#include "runner/cli.hpp"
#include "runner/engine/engine.hpp"
#include "runner/engine/fold.hpp"
#include "runner/engine/format.hpp"
#include "runner/engine/report.hpp"

namespace be::cli {

namespace {

constexpr const char* kUsage =
    "usage: botengine replay DIR [--verify] [--bots FILE --report PREFIX] [--quiet]\n"
    "  DIR             a journal directory (e.g. ./data/journal)\n"
    "  --verify        compare every re-derived output and state hash with the journal\n"
    "  --bots FILE     backtest: replay the recorded market with these bot configs\n"
    "  --report PREFIX write PREFIX.json and PREFIX.html (with --bots)\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "botengine replay: %s\n%s", why.c_str(), kUsage);
  return kExitUsage;
}

struct Collect final : oms::VenueResponses {
  std::deque<Event> pending;
  bool enabled = false;
  void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override {
    if (enabled) pending.push_back(Event::make(u, t, r));
  }
  void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override {
    if (enabled) pending.push_back(Event::make(b, t, r));
  }
  void connectivity(VenueId, ConnectivityState, Nanos) noexcept override {}
};

std::string hex(std::span<const std::byte> bytes) {
  std::string s;
  char b[3];
  for (std::byte x : bytes) {
    std::snprintf(b, sizeof b, "%02x", static_cast<unsigned>(x));
    s += b;
  }
  return s;
}

bool is_market(EventType t) {
  return t == EventType::kInstrumentDefined || t == EventType::kTrade || t == EventType::kQuote ||
         t == EventType::kBar || t == EventType::kBookDelta || t == EventType::kConnectivity ||
         t == EventType::kTimer;
}

}  // namespace

int run_replay(Args args) {
  std::string dir, bots_file, report_prefix;
  bool verify = false, quiet = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return kExitOk;
    } else if (a == "--verify") {
      verify = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--bots" && i + 1 < args.size()) {
      bots_file = std::string(args[++i]);
    } else if (a == "--report" && i + 1 < args.size()) {
      report_prefix = std::string(args[++i]);
    } else if (!a.empty() && a[0] != '-' && dir.empty()) {
      dir = std::string(a);
    } else {
      return usage("unknown argument " + std::string(a));
    }
  }
  if (dir.empty()) return usage("which journal? give its directory");
  if (!bots_file.empty() && verify)
    return usage("--verify checks a replay of the recorded bots; drop --bots");
  if (!report_prefix.empty() && bots_file.empty()) return usage("--report needs --bots");

  auto reader = journal::Reader::open(dir);
  if (!reader) {
    std::fprintf(stderr, "botengine replay: %s\n", reader.error().message.c_str());
    return kExitFailure;
  }
  // The deployment config is the journal's first blob of kind kEngineConfigBlobKind.
  engine::EngineConfig config;
  journal::RecordView view;
  for (int k = 0; k < 16; ++k) {
    if ((*reader)->next(view) != journal::ReadStatus::kRecord) break;
    if (view.type == EventType::kBlob && view.blob_kind == engine::kEngineConfigBlobKind) {
      const std::string_view text(reinterpret_cast<const char*>(view.payload.data()),
                                  view.payload.size());
      auto parsed = engine::parse_engine_config(text);
      if (!parsed) {
        std::fprintf(stderr, "botengine replay: the journal's config: %s\n",
                     config::format_errors(parsed.error()).c_str());
        return kExitFailure;
      }
      config = std::move(*parsed);
      break;
    }
  }
  (*reader)->seek(1);
  const engine::InstrumentTable instruments(config.instruments);
  std::vector<oms::PaperStartingBalance> balances;
  for (const auto& [asset, text] : config.balances) {
    if (auto idx = instruments.asset_index(asset)) {
      if (auto amount = parse_decimal(text, instruments.asset_scale(*idx))) {
        balances.push_back({AccountId{0}, AssetId{static_cast<std::uint16_t>(*idx)}, *amount});
      }
    }
  }
  engine::FoldConfig fc = config.fold;
  fc.paper.starting_balances = balances;
  fc.paper.instruments = std::max<std::uint32_t>(
      fc.paper.instruments, static_cast<std::uint32_t>(config.instruments.size()));
  Collect responses;
  responses.enabled = !bots_file.empty();
  engine::Fold fold(fc, responses);

  std::vector<std::string> backtest_bots;
  if (!bots_file.empty()) {
    std::ifstream in(bots_file);
    std::stringstream s;
    s << in.rdbuf();
    auto doc = config::parse(s.str());
    if (!in || !doc || doc->kind != config::Value::Kind::kArray) {
      std::fprintf(stderr, "botengine replay: %s: expected a JSON array of bot configs\n",
                   bots_file.c_str());
      return kExitFailure;
    }
    for (const config::Value& b : doc->items)
      backtest_bots.push_back(config::to_json(b));
  }

  const auto started = std::chrono::steady_clock::now();
  SequenceNumber ordinal = 0;
  std::uint64_t inputs = 0, derived = 0, compared = 0, hashes_checked = 0;
  std::vector<Event> produced;
  std::size_t next_produced = 0;
  engine::ReportBuilder report(instruments);
  bool bots_created = false;
  std::deque<std::string> blob_store;
  auto apply = [&](const Event& e) {
    const auto records = fold.apply(e, ++ordinal);
    ++inputs;
    produced.assign(records.begin() + 1, records.end());
    next_produced = 0;
    if (!bots_file.empty()) report.on_records(records, fold);
  };
  auto create_backtest_bots = [&](Nanos t) {
    std::uint32_t id = 0;
    std::uint64_t blob_id = 1'000'000;
    for (const std::string& json : backtest_bots) {
      blob_store.push_back(json);
      BlobRef ref;
      ref.blob_id = ++blob_id;
      ref.kind = 1;
      ref.size = static_cast<std::uint32_t>(blob_store.back().size());
      ref.data = reinterpret_cast<const std::byte*>(blob_store.back().data());
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
  };
  auto drain_responses = [&]() {
    // Paper venue answers and local rejects come back as inputs right after their cause, in
    // the order given: deterministic, like the journal would have them.
    for (int guard = 0; guard < 100'000; ++guard) {
      for (const engine::VenueAction& a : fold.actions()) {
        if (a.kind == engine::VenueAction::Kind::kLoopBackReject) {
          responses.pending.push_back(Event::make(a.reject, fold.strategy().engine_time(), 0));
        }
      }
      if (responses.pending.empty()) return;
      const Event next = responses.pending.front();
      responses.pending.pop_front();
      apply(next);
    }
  };

  for (;;) {
    const auto status = (*reader)->next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) {
      std::fprintf(stderr, "botengine replay: %s\n", (*reader)->error().message.c_str());
      return kExitFailure;
    }
    Event e;
    if (auto err = journal::decode(view, e); !err.ok()) {
      std::fprintf(stderr, "botengine replay: %s\n", err.message.c_str());
      return kExitFailure;
    }
    if (!bots_file.empty()) {
      // Backtest: only the market (and reference data, time) from the recording.
      if (!is_market(e.header.type) || e.derived()) continue;
      apply(e);
      drain_responses();
      if (!bots_created && e.header.type == EventType::kInstrumentDefined &&
          index_of(e.as<InstrumentDefined>().instrument) + 1 == instruments.size()) {
        create_backtest_bots(e.header.event_time);
        drain_responses();
        bots_created = true;
      }
      continue;
    }
    if (!e.derived()) {
      if (verify && next_produced < produced.size()) {
        std::printf("divergence before journal record %" PRIu64
                    ": the replay derived %zu more record(s) for the previous input, first: %s\n",
                    view.sequence, produced.size() - next_produced,
                    std::string(to_string(produced[next_produced].header.type)).c_str());
        return kExitFailure;
      }
      apply(e);
      continue;
    }
    ++derived;
    if (!verify) continue;
    if (e.header.type == EventType::kStateHash) {
      const auto recorded = e.as<StateHash>();
      const engine::StateHashes mine = fold.hashes();
      ++hashes_checked;
      if (recorded.combined != mine.combined) {
        std::printf("state hash divergence at journal record %" PRIu64 " (input %" PRIu64
                    "):\n  journal: strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                    "\n  replay:  strategy %016" PRIx64 " risk %016" PRIx64 " orders %016" PRIx64
                    "\n",
                    view.sequence, ordinal, recorded.strategy, recorded.risk, recorded.orders,
                    mine.strategy, mine.risk, mine.orders);
        return kExitFailure;
      }
      continue;
    }
    if (next_produced >= produced.size()) {
      std::printf("divergence at journal record %" PRIu64
                  ": the journal has a derived %s the "
                  "replay did not produce\n  journal: %s\n",
                  view.sequence, std::string(to_string(e.header.type)).c_str(),
                  hex(e.payload).c_str());
      return kExitFailure;
    }
    const Event& mine = produced[next_produced++];
    ++compared;
    if (mine.header.type != e.header.type || mine.header.flags != e.header.flags ||
        std::memcmp(mine.payload.data(), e.payload.data(), e.payload.size()) != 0) {
      std::printf("divergence at journal record %" PRIu64 " (input %" PRIu64
                  ")\n  journal: %s flags %u %s\n"
                  "  replay:  %s flags %u %s\n",
                  view.sequence, ordinal, std::string(to_string(e.header.type)).c_str(),
                  e.header.flags, hex(e.payload).c_str(),
                  std::string(to_string(mine.header.type)).c_str(), mine.header.flags,
                  hex(mine.payload).c_str());
      return kExitFailure;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!quiet) {
    std::printf("replayed %" PRIu64 " inputs (%" PRIu64
                " derived records in the journal) in %.3f s: "
                "%.0f inputs/s\n",
                inputs, derived, seconds,
                seconds > 0 ? static_cast<double>(inputs) / seconds : 0.0);
    std::printf("state hash %016" PRIx64 "\n", fold.hashes().combined);
  }
  if (verify) {
    std::printf("verified: %" PRIu64 " derived records and %" PRIu64
                " state hashes match the journal\n",
                compared, hashes_checked);
  }
  if (!bots_file.empty()) {
    const std::string json = report.json(fold);
    if (!quiet) std::printf("%s\n", json.c_str());
    if (!report_prefix.empty()) {
      std::ofstream(report_prefix + ".json") << json << "\n";
      std::ofstream(report_prefix + ".html") << report.html(fold);
      std::printf("report: %s.json, %s.html\n", report_prefix.c_str(), report_prefix.c_str());
    }
  }
  return kExitOk;
}

}  // namespace be::cli
