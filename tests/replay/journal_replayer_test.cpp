// engine::JournalReplayer without an Engine: a fold records a short run (a grid bot on a
// seeded random walk, the paper venue's answers fed back as inputs, a StateHash every 100
// inputs), the test writes it as a journal, healthy or with one planted divergence, and the
// replayer must find none in the healthy one and, in each planted one, the right kind of
// difference at the planted record's sequence.
#include "engine/journal_replayer.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "engine/format.hpp"
#include "engine/snapshot_format.hpp"
#include "journal/writer.hpp"
#include "tests/journal/journal_test_util.hpp"
#include "tests/support/queued_answers.hpp"

namespace be::engine {
namespace {

constexpr std::int64_t kUnit = 100'000'000;  // 1.0 at scale 8
constexpr Nanos kStart = 1'795'000'000'000'000'000;
constexpr int kMarketInputs = 600;
constexpr int kHashEvery = 100;  // inputs between StateHash records

constexpr const char* kDeployment = R"({
  "engine": {"journal": "async"},
  "venues": [{"name": "binance"}],
  "instruments": [{"venue": "binance", "symbol": "BTCUSDT", "base": "BTC", "quote": "USDT",
                   "price_scale": 8, "qty_scale": 8, "tick_size": 0.01, "step_size": 0.00001,
                   "min_notional": 5}],
  "paper": {"taker_fee_bps": 10, "maker_fee_bps": 2, "latency_us": 200,
            "balances": {"USDT": "100000", "BTC": "1"}}
})";
constexpr const char* kGridBot = R"({"name":"grid","symbol":"BTCUSDT","timeframe":"1m",
  "strategy":{"type":"grid","parameters":{"lower":49500,"upper":50500,"grids":20,
  "spacing":"arithmetic","quantity_per_grid":0.001}}})";

using journal::test::TempDir;  // removed with everything in it

EngineConfig deployment() {
  auto parsed = parse_engine_config(kDeployment);
  EXPECT_TRUE(parsed.has_value());
  return parsed ? *parsed : EngineConfig{};
}

std::unique_ptr<Fold> fresh_fold(const EngineConfig& config, oms::VenueResponses& responses) {
  const InstrumentTable instruments(config.instruments);
  return std::make_unique<Fold>(fold_config(config, paper_balances(config, instruments)),
                                responses);
}

// A run as the engine journals it: each input, then what the fold derived from it.
struct Recording {
  std::deque<std::string> blob_text;  // what the BlobRef inputs point at
  std::vector<Event> records;         // in journal order; sequences stamped when written
  std::uint64_t state_hash = 0;
  std::size_t snapshot_index = 0;  // a StateHash record's index, with the fold's snapshot then
  std::vector<std::byte> snapshot;
  // Every StateHash record's index with the fold's snapshot then (the engine's retention test).
  std::vector<std::pair<std::size_t, std::vector<std::byte>>> snapshots;
};

const Recording& recording() {
  static const Recording r = [] {
    Recording out;
    const EngineConfig config = deployment();
    // The paper venue's answers, applied as inputs right after their cause; its
    // connectivity reports are not inputs here.
    be::test::QueuedAnswers answers(/*with_connectivity=*/false);
    auto fold = fresh_fold(config, answers);
    SequenceNumber ordinal = 0;
    auto apply = [&](const Event& input) {
      answers.queue.push_back(input);
      while (!answers.queue.empty()) {
        const Event next = answers.queue.front();
        answers.queue.pop_front();
        for (const Event& record : fold->apply(next, ++ordinal))
          out.records.push_back(record);
        for (const VenueAction& a : fold->actions()) {
          if (a.kind == VenueAction::Kind::kLoopBackReject) {
            const Nanos t = fold->strategy().engine_time();
            answers.queue.push_back(Event::make(a.reject, t, t));
          }
        }
      }
    };
    auto blob = [&](std::string text, std::uint32_t kind, std::uint64_t id) {
      out.blob_text.push_back(std::move(text));
      BlobRef ref;
      ref.blob_id = id;
      ref.kind = kind;
      ref.size = static_cast<std::uint32_t>(out.blob_text.back().size());
      ref.data = reinterpret_cast<const std::byte*>(out.blob_text.back().data());
      return Event::make(ref, kStart, kStart);
    };
    apply(blob(config.source_text, kEngineConfigBlobKind, 1));
    const InstrumentTable instruments(config.instruments);
    for (std::size_t i = 0; i < instruments.size(); ++i)
      apply(Event::make(instruments.definition(i), kStart, kStart));
    Connectivity up;
    up.venue = VenueId{0};
    up.state = ConnectivityState::kConnected;
    apply(Event::make(up, kStart, kStart));
    const Event bot = blob(kGridBot, 1, 2);
    apply(bot);
    OperatorCommand command;
    command.kind = OperatorCommandKind::kCreateBot;
    command.bot = BotId{0};
    command.blob_id = 2;
    apply(Event::make(command, kStart, kStart));
    command.kind = OperatorCommandKind::kStartBot;
    apply(Event::make(command, kStart, kStart));

    std::mt19937_64 rng(7);
    std::int64_t price = 50'000 * kUnit;
    for (int i = 1; i <= kMarketInputs; ++i) {
      const Nanos now = kStart + i * 50'000'000LL;
      if (i % 2 == 0) {
        price += std::uniform_int_distribution<int>(-30, 30)(rng) * kUnit;
        Trade t;
        t.instrument = InstrumentId{0};
        t.price = price;
        t.quantity = kUnit / 10;
        t.aggressor = i % 4 == 0 ? Side::kBuy : Side::kSell;
        t.trade_id = static_cast<std::uint64_t>(i);
        apply(Event::make(t, now, now));
      } else {
        Quote q;
        q.instrument = InstrumentId{0};
        q.bid_price = price - kUnit / 100;
        q.ask_price = price + kUnit / 100;
        q.bid_quantity = q.ask_quantity = kUnit;
        apply(Event::make(q, now, now));
      }
      if (i % kHashEvery == 0) {  // as Engine::Impl::take_snapshot journals it
        Event e = Event::make(fold->state_hash_record(), now, 0);
        e.header.flags = kFlagDerived;
        out.records.push_back(e);
        out.snapshots.emplace_back(out.records.size() - 1, fold->snapshot());
        if (i == kMarketInputs - kHashEvery) {  // orders and fills before it, a hash after
          out.snapshot_index = out.records.size() - 1;
          out.snapshot = fold->snapshot();
        }
      }
    }
    out.state_hash = fold->hashes().combined;
    return out;
  }();
  return r;
}

void write_journal(const std::string& dir, const std::vector<Event>& records) {
  journal::WriterOptions options;
  options.durability = journal::Durability::kNone;
  auto writer = journal::JournalWriter<>::open(dir, options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message;
  SequenceNumber sequence = 0;
  for (Event e : records) {
    e.header.sequence = ++sequence;
    journal::AppendStatus status;
    while ((status = (*writer)->try_append(e)) == journal::AppendStatus::kFull) {
    }
    ASSERT_EQ(status, journal::AppendStatus::kOk);
  }
  ASSERT_TRUE((*writer)->close().ok());
}

// Indexes into a recording: where to plant.
bool is_input(const Event& e) {
  return !e.derived();
}
bool is_compared(const Event& e) {
  return e.derived() && e.header.type != EventType::kStateHash;
}

// The first derived record of an input with at least two, of different types, after it.
std::size_t first_pair_of_types(const std::vector<Event>& r) {
  for (std::size_t i = 1; i + 1 < r.size(); ++i) {
    if (is_compared(r[i]) && is_compared(r[i + 1]) && r[i].header.type != r[i + 1].header.type)
      return i;
  }
  return 0;
}

std::size_t first_compared(const std::vector<Event>& r, EventType type) {
  for (std::size_t i = 0; i < r.size(); ++i)
    if (is_compared(r[i]) && r[i].header.type == type) return i;
  return 0;
}

// The last derived record of an input that another input follows.
std::size_t last_derived_before_input(const std::vector<Event>& r) {
  for (std::size_t i = 1; i + 1 < r.size(); ++i)
    if (is_compared(r[i]) && is_input(r[i + 1])) return i;
  return 0;
}

struct Replayed {
  ReplayResult result;
  std::uint64_t observed = 0;     // records the observer saw
  std::uint64_t divergences = 0;  // divergences the observer saw
  std::uint64_t fold_hash = 0;
};

struct Counting final : ReplayObserver {
  std::uint64_t records = 0, divergences = 0;
  void on_record(const Event&) override { ++records; }
  void on_divergence(const ReplayDivergence&) override { ++divergences; }
};

Replayed replay(const std::vector<Event>& records, JournalReplayer::Options options = {}) {
  TempDir dir;
  write_journal(dir.path(), records);
  Replayed out;
  auto reader = journal::Reader::open(dir.path());
  EXPECT_TRUE(reader.has_value());
  if (!reader) return out;
  oms::DiscardResponses drop;
  auto fold = fresh_fold(deployment(), drop);
  Counting counting;
  JournalReplayer replayer(**reader, fold.get(), options, &counting);
  auto result = replayer.run();
  EXPECT_TRUE(result.has_value()) << result.error();
  if (!result) return out;
  out.result = *result;
  out.observed = counting.records;
  out.divergences = counting.divergences;
  out.fold_hash = fold->hashes().combined;
  return out;
}

TEST(JournalReplayerTest, shouldFindNoDivergenceInAHealthyJournal) {
  const Recording& r = recording();
  std::uint64_t derived = 0, hashes = 0, inputs = 0;
  for (const Event& e : r.records) {
    derived += e.derived() ? 1 : 0;
    hashes += e.header.type == EventType::kStateHash ? 1 : 0;
    inputs += e.derived() ? 0 : 1;
  }
  // The workload is worth replaying: the bot ordered and was filled.
  ASSERT_GT(first_compared(r.records, EventType::kOrderNew), 0u);
  ASSERT_GT(first_compared(r.records, EventType::kFillApplied), 0u);
  ASSERT_EQ(hashes, std::uint64_t{kMarketInputs / kHashEvery});

  const Replayed got = replay(r.records);
  EXPECT_FALSE(got.result.first_divergence.has_value());
  EXPECT_EQ(got.result.counts.mismatches, 0u);
  EXPECT_EQ(got.result.counts.records, r.records.size());
  EXPECT_EQ(got.result.counts.inputs, inputs);
  EXPECT_EQ(got.result.counts.derived, derived);
  EXPECT_EQ(got.result.counts.compared, derived - hashes);
  EXPECT_EQ(got.result.counts.hashes_checked, hashes);
  EXPECT_EQ(got.observed, r.records.size());
  EXPECT_EQ(got.divergences, 0u);
  EXPECT_EQ(got.fold_hash, r.state_hash);
}

// Plants one divergence and expects it, first and only, at the planted record's sequence.
void expect_divergence(const std::vector<Event>& planted, ReplayDifference what,
                       std::size_t index) {
  const Replayed got = replay(planted);
  ASSERT_TRUE(got.result.first_divergence.has_value()) << to_string(what);
  const ReplayDivergence& d = *got.result.first_divergence;
  EXPECT_EQ(d.what, what) << to_string(d.what);
  EXPECT_EQ(d.sequence, index + 1);
  EXPECT_EQ(got.result.counts.mismatches, 1u);
  EXPECT_EQ(got.divergences, 1u);
}

TEST(JournalReplayerTest, shouldReportADerivedRecordOfAnotherTypeAtItsSequence) {
  std::vector<Event> planted = recording().records;
  const std::size_t at = first_pair_of_types(planted);
  ASSERT_GT(at, 0u);
  std::swap(planted[at], planted[at + 1]);  // two derived records out of order
  const Replayed got = replay(planted);
  ASSERT_TRUE(got.result.first_divergence.has_value());
  EXPECT_EQ(got.result.first_divergence->what, ReplayDifference::kType);
  EXPECT_EQ(got.result.first_divergence->sequence, at + 1);
  EXPECT_EQ(got.result.first_divergence->journaled.header.type, planted[at].header.type);
  EXPECT_EQ(got.result.first_divergence->replayed.header.type, planted[at + 1].header.type);
  EXPECT_EQ(got.result.counts.mismatches, 2u);  // both records of the swapped pair
}

TEST(JournalReplayerTest, shouldReportOtherFlagsAtTheirSequence) {
  std::vector<Event> planted = recording().records;
  const std::size_t at = first_compared(planted, EventType::kOrderNew);
  ASSERT_GT(at, 0u);
  planted[at].header.flags ^= kFlagHeld;
  expect_divergence(planted, ReplayDifference::kFlags, at);
}

TEST(JournalReplayerTest, shouldReportAnotherPayloadAtItsSequence) {
  std::vector<Event> planted = recording().records;
  const std::size_t at = first_compared(planted, EventType::kFillApplied);
  ASSERT_GT(at, 0u);
  planted[at].payload[0] ^= std::byte{1};
  expect_divergence(planted, ReplayDifference::kPayload, at);
}

TEST(JournalReplayerTest, shouldReportAnotherStateHashAtItsSequence) {
  for (const bool combined : {true, false}) {
    std::vector<Event> planted = recording().records;
    const std::size_t at = recording().snapshot_index;
    StateHash h = planted[at].as<StateHash>();
    (combined ? h.combined : h.risk) ^= 1;  // each hash is compared, not only the combined one
    std::memcpy(planted[at].payload.data(), &h, sizeof h);
    expect_divergence(planted, ReplayDifference::kStateHash, at);
  }
  std::vector<Event> planted = recording().records;
  StateHash h = planted[recording().snapshot_index].as<StateHash>();
  h.combined ^= 1;
  std::memcpy(planted[recording().snapshot_index].payload.data(), &h, sizeof h);
  JournalReplayer::Options derived_only;
  derived_only.compare_state_hashes = false;  // recovery's after refusing a snapshot
  const Replayed got = replay(planted, derived_only);
  EXPECT_FALSE(got.result.first_divergence.has_value());
  EXPECT_EQ(got.result.counts.hashes_checked, 0u);
  EXPECT_GT(got.result.counts.compared, 0u);
}

TEST(JournalReplayerTest, shouldReportAJournaledRecordTheReplayDidNotDerive) {
  std::vector<Event> planted = recording().records;
  const std::size_t last = last_derived_before_input(planted);
  ASSERT_GT(last, 0u);
  planted.insert(planted.begin() + static_cast<std::ptrdiff_t>(last) + 1, planted[last]);
  expect_divergence(planted, ReplayDifference::kMissing, last + 1);
}

TEST(JournalReplayerTest, shouldReportRecordsTheJournalLacksAtTheNextInputUnlessToleratingCuts) {
  std::vector<Event> planted = recording().records;
  const std::size_t last = last_derived_before_input(planted);
  ASSERT_GT(last, 0u);
  const Event lost = planted[last];
  planted.erase(planted.begin() + static_cast<std::ptrdiff_t>(last));
  {
    const Replayed got = replay(planted);
    ASSERT_TRUE(got.result.first_divergence.has_value());
    const ReplayDivergence& d = *got.result.first_divergence;
    EXPECT_EQ(d.what, ReplayDifference::kExtra);
    EXPECT_EQ(d.sequence, last + 1);  // the next input, now where the lost record was
    EXPECT_EQ(d.extra, 1u);
    EXPECT_EQ(d.replayed.header.type, lost.header.type);
  }
  JournalReplayer::Options tolerant;
  tolerant.tolerate_cut_inputs = true;  // recovery's: a crash cuts an input's records
  const Replayed got = replay(planted, tolerant);
  EXPECT_FALSE(got.result.first_divergence.has_value());
  EXPECT_EQ(got.fold_hash, recording().state_hash);
}

TEST(JournalReplayerTest, shouldCountEveryDivergenceOrStopAtTheFirst) {
  std::vector<Event> planted = recording().records;
  const std::size_t flags_at = first_compared(planted, EventType::kOrderNew);
  const std::size_t hash_at = recording().snapshot_index;
  ASSERT_LT(flags_at, hash_at);
  planted[flags_at].header.flags ^= kFlagHeld;
  StateHash h = planted[hash_at].as<StateHash>();
  h.orders ^= 1;
  std::memcpy(planted[hash_at].payload.data(), &h, sizeof h);

  const Replayed all = replay(planted);
  EXPECT_EQ(all.result.counts.mismatches, 2u);
  EXPECT_EQ(all.divergences, 2u);
  ASSERT_TRUE(all.result.first_divergence.has_value());
  EXPECT_EQ(all.result.first_divergence->sequence, flags_at + 1);
  EXPECT_EQ(all.result.counts.records, planted.size());

  JournalReplayer::Options stop;
  stop.stop_at_divergence = true;
  const Replayed first = replay(planted, stop);
  EXPECT_EQ(first.result.counts.mismatches, 1u);
  EXPECT_EQ(first.result.counts.records, flags_at + 1);
  EXPECT_EQ(first.result.first_divergence->what, ReplayDifference::kFlags);

  JournalReplayer::Options count_only;
  count_only.compare = false;  // a plain replay: nothing compared, nothing diverges
  const Replayed plain = replay(planted, count_only);
  EXPECT_FALSE(plain.result.first_divergence.has_value());
  EXPECT_EQ(plain.result.counts.compared, 0u);
  EXPECT_EQ(plain.result.counts.hashes_checked, 0u);
  EXPECT_EQ(plain.fold_hash, recording().state_hash);
}

TEST(JournalReplayerTest, shouldReplayTheTailAfterASnapshotOnly) {
  const Recording& r = recording();
  std::vector<Event> planted = r.records;
  const std::size_t before = first_compared(planted, EventType::kOrderNew);
  ASSERT_LT(before, r.snapshot_index);
  planted[before].header.flags ^= kFlagHeld;  // before the snapshot: not replayed
  TempDir dir;
  write_journal(dir.path(), planted);
  auto reader = journal::Reader::open(dir.path());
  ASSERT_TRUE(reader.has_value());
  oms::DiscardResponses drop;
  auto fold = fresh_fold(deployment(), drop);
  ASSERT_FALSE(fold->restore(r.snapshot).has_value());
  JournalReplayer replayer(**reader, fold.get(), {});
  const SequenceNumber snapshot_sequence = r.snapshot_index + 1;
  const auto tail = replayer.run(snapshot_sequence + 1);
  ASSERT_TRUE(tail.has_value()) << tail.error();
  EXPECT_FALSE(tail->first_divergence.has_value());
  EXPECT_EQ(tail->counts.records, planted.size() - snapshot_sequence);
  EXPECT_GT(tail->counts.hashes_checked, 0u);
  EXPECT_EQ(fold->hashes().combined, r.state_hash);

  // A range: through the record before the next input, nothing after it.
  JournalReplayer head(**reader, nullptr, {});
  const auto first_ten = head.run(1, 10);
  ASSERT_TRUE(first_ten.has_value());
  EXPECT_EQ(first_ten->counts.records, 10u);
  EXPECT_EQ(first_ten->counts.inputs, 0u);  // no fold: read and decoded only
}

TEST(JournalReplayerTest, shouldReadTheDeploymentTheJournalRecorded) {
  TempDir dir;
  write_journal(dir.path(), recording().records);
  auto reader = journal::Reader::open(dir.path());
  ASSERT_TRUE(reader.has_value());
  const auto config = read_journal_config(**reader);
  ASSERT_TRUE(config.has_value()) << config.error();
  ASSERT_TRUE(config->has_value());
  EXPECT_EQ((*config)->source_text, deployment().source_text);
  ASSERT_EQ((*config)->instruments.size(), 1u);

  TempDir none;
  const std::vector<Event> no_config(recording().records.begin() + 1, recording().records.end());
  write_journal(none.path(), no_config);
  auto without = journal::Reader::open(none.path());
  ASSERT_TRUE(without.has_value());
  const auto missing = read_journal_config(**without);
  ASSERT_TRUE(missing.has_value());
  EXPECT_FALSE(missing->has_value());
}

// As the engine writes it, with retention: small segments, a snapshot (in the engine's format,
// naming the deployment) at every StateHash, the newest two kept, older segments archived.
void write_retired_journal(const std::string& dir, const std::string& archive) {
  const Recording& r = recording();
  journal::WriterOptions options;
  options.durability = journal::Durability::kNone;
  options.group_max_records = 16;
  options.segments.max_bytes = 32 * 1024;
  options.retention.keep_snapshots = 2;
  options.retention.archive_dir = archive;
  auto writer = journal::JournalWriter<>::open(dir, options);
  ASSERT_TRUE(writer.has_value()) << writer.error().message;
  std::size_t next_snapshot = 0;
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    Event e = r.records[i];
    e.header.sequence = i + 1;
    while ((*writer)->try_append(e) == journal::AppendStatus::kFull) {
    }
    if (next_snapshot < r.snapshots.size() && r.snapshots[next_snapshot].first == i) {
      const auto bytes =
          engine_snapshot(r.snapshots[next_snapshot].second, {}, deployment().source_text);
      ASSERT_TRUE((*writer)->write_snapshot(i + 1, bytes, e.as<StateHash>().combined).ok());
      ++next_snapshot;
    }
  }
  ASSERT_TRUE((*writer)->close().ok());
  EXPECT_GT((*writer)->counters()["segments_archived"], 1u);
}

struct PlannedReplay {
  ReplayStart start;
  ReplayResult result;
  std::uint64_t fold_hash = 0;
};

// What `botengine replay --verify` does: plan, restore when told, replay the rest comparing.
PlannedReplay replay_as_planned(journal::Reader& reader) {
  PlannedReplay out;
  auto start = plan_replay(reader);
  EXPECT_TRUE(start.has_value()) << start.error();
  if (!start) return out;
  out.start = *start;
  oms::DiscardResponses drop;
  auto fold = fresh_fold(start->config, drop);
  if (start->snapshot != 0) {
    const auto restored = restore_snapshot(reader, start->snapshot, *fold);
    EXPECT_TRUE(restored.has_value()) << restored.error();
  }
  JournalReplayer::Options options;
  options.stop_at_divergence = true;
  JournalReplayer replayer(reader, fold.get(), options);
  auto result = replayer.run(start->snapshot + 1);
  EXPECT_TRUE(result.has_value()) << result.error();
  if (result) out.result = *result;
  out.fold_hash = fold->hashes().combined;
  return out;
}

TEST(JournalReplayerTest, shouldReplayARetiredJournalFromItsOldestSnapshotOrFromTheArchive) {
  TempDir dir;
  const std::string archive = dir.path() + "/archive";
  const std::string journal = dir.path() + "/journal";
  write_retired_journal(journal, archive);
  const Recording& r = recording();

  // Without the archive: the config blob and the first records are gone; the replay starts
  // at the oldest snapshot kept, with the deployment that snapshot names, and still ends in
  // the recorded state with every later derived record and hash compared.
  auto live = journal::Reader::open(journal);
  ASSERT_TRUE(live.has_value()) << live.error().message;
  const PlannedReplay tail = replay_as_planned(**live);
  EXPECT_GT(tail.start.first_record, 1u);
  ASSERT_GT(tail.start.snapshot, 0u);
  EXPECT_GE(tail.start.snapshot + 1, tail.start.first_record);
  EXPECT_EQ(tail.start.config.source_text, deployment().source_text);
  EXPECT_FALSE(tail.result.first_divergence.has_value());
  EXPECT_GT(tail.result.counts.compared, 0u);
  EXPECT_GT(tail.result.counts.hashes_checked, 0u);
  EXPECT_EQ(tail.result.counts.records, r.records.size() - tail.start.snapshot);
  EXPECT_EQ(tail.fold_hash, r.state_hash);

  // With the archive: the whole journal from record 1, decompressed segment by segment.
  auto whole =
      journal::Reader::open(journal, journal::ReaderOptions{archive, dir.path() + "/scratch"});
  ASSERT_TRUE(whole.has_value()) << whole.error().message;
  const PlannedReplay all = replay_as_planned(**whole);
  EXPECT_EQ(all.start.first_record, 1u);
  EXPECT_EQ(all.start.snapshot, 0u);
  EXPECT_FALSE(all.result.first_divergence.has_value());
  EXPECT_EQ(all.result.counts.records, r.records.size());
  EXPECT_EQ(all.fold_hash, r.state_hash);
}

TEST(JournalReplayerTest, shouldRefuseAJournalWhoseStartIsGoneWithoutASnapshotAfterIt) {
  // Records from 50 on, no config blob, no snapshot: nothing to start a replay from.
  TempDir dir;
  journal::WriterOptions options;
  options.durability = journal::Durability::kNone;
  auto writer = journal::JournalWriter<>::open(dir.path(), options);
  ASSERT_TRUE(writer.has_value());
  const Recording& r = recording();
  for (std::size_t i = 49; i < 200; ++i) {
    Event e = r.records[i];
    e.header.sequence = i + 1;
    while ((*writer)->try_append(e) == journal::AppendStatus::kFull) {
    }
  }
  ASSERT_TRUE((*writer)->close().ok());
  auto reader = journal::Reader::open(dir.path());
  ASSERT_TRUE(reader.has_value());
  const auto start = plan_replay(**reader);
  ASSERT_FALSE(start.has_value());
  EXPECT_NE(start.error().find("records before 50 were retired"), std::string::npos)
      << start.error();
  EXPECT_NE(start.error().find("--archive"), std::string::npos);
}

TEST(EngineSnapshotFormat, shouldCarryTheDeploymentAndStillReadVersionOne) {
  const std::vector<std::byte> fold{std::byte{1}, std::byte{2}, std::byte{3}};
  const std::vector<std::byte> history{std::byte{9}};
  const auto v2 = engine_snapshot(fold, history, "{\"engine\":{}}");
  const SnapshotParts parts = split_snapshot(v2);
  ASSERT_TRUE(parts.ok);
  EXPECT_EQ(parts.fold.size(), 3u);
  EXPECT_EQ(parts.history.size(), 1u);
  EXPECT_EQ(parts.deployment, "{\"engine\":{}}");
  // Version 1, as earlier builds wrote it: magic, version, fold length, fold, history.
  std::vector<std::byte> v1(16);
  std::memcpy(v1.data(), kSnapshotMagic.data(), 4);
  const std::uint32_t one = 1;
  const std::uint64_t fold_size = fold.size();
  std::memcpy(v1.data() + 4, &one, 4);
  std::memcpy(v1.data() + 8, &fold_size, 8);
  v1.insert(v1.end(), fold.begin(), fold.end());
  v1.insert(v1.end(), history.begin(), history.end());
  const SnapshotParts old = split_snapshot(v1);
  ASSERT_TRUE(old.ok);
  EXPECT_EQ(old.fold.size(), 3u);
  EXPECT_EQ(old.history.size(), 1u);
  EXPECT_TRUE(old.deployment.empty());
  // Lengths past the end are refused, never read.
  auto bad = v2;
  const std::uint64_t huge = 1u << 30;
  std::memcpy(bad.data() + 16, &huge, 8);
  EXPECT_FALSE(split_snapshot(bad).ok);
}

}  // namespace
}  // namespace be::engine
