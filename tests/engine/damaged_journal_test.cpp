// Damaged journals and snapshots: `run` (Engine::open, what it calls), `journal verify` and
// `replay --verify` (the real binary) agree on every one: each names the same damage, and
// none of them calls a journal good that another refuses.
#include <gtest/gtest.h>

#include <lmdb.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <vector>

#include "engine/engine.hpp"
#include "engine/journal_check.hpp"
#include "tests/engine/engine_fixture.hpp"
#include "tests/support/botengine_cli.hpp"
#include "tests/support/journal_paths.hpp"

namespace be::engine {
namespace {

using namespace test_support;

constexpr std::uint64_t kMarker = 0x0DDBA11CAFEF00DULL;

using Cli = be::test::CliResult;
Cli botengine(const std::string& args) {
  return be::test::run_botengine(args);
}

// A journal with a DCA bot trading, several snapshots, and one marked trade in the middle.
struct RecordedJournal {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  std::string journal = (dir.path / "journal").string();
  std::uint64_t hash = 0;

  RecordedJournal() {
    config.snapshot_every_inputs = 150;
    config.idle = "yield";
    auto engine = open_engine(config);
    if (!engine || !engine->start()) return;
    Market market(11, wall_clock_now());
    EXPECT_TRUE(start_trading(*engine, market, {kDcaBot}));
    EXPECT_TRUE(offer_market(*engine, market, 400));
    Trade marked;
    marked.instrument = InstrumentId{0};
    marked.price = 50'000 * kUnit;
    marked.quantity = kUnit / 100;
    marked.trade_id = kMarker;
    EXPECT_TRUE(engine->offer_event(Event::make(marked, wall_clock_now(), wall_clock_now())));
    EXPECT_TRUE(offer_market(*engine, market, 400));
    EXPECT_EQ(engine->stop(), "");
    hash = engine->state_hash();
  }
  std::string segment() const { return be::test::head_segment(journal); }
  std::string data_file() const { return segment() + "/data.mdb"; }
};

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
void write_bytes(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every copy of the marked trade, not the first found: LMDB copies a page on write, so the
// file may also hold stale copies in free pages, and which copy comes first depends on how
// the group commits fell (under TSan the first was a stale one, and the journal stayed sound).
bool flip_marked_trade(const std::string& path) {
  auto bytes = read_bytes(path);
  std::array<char, 8> pattern;
  std::memcpy(pattern.data(), &kMarker, 8);
  int flipped = 0;
  for (auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
       it != bytes.end(); it = std::search(it + 8, bytes.end(), pattern.begin(), pattern.end())) {
    *(it - 3) ^= 0x40;  // the trade's quantity: the record's CRC no longer matches
    ++flipped;
  }
  if (flipped == 0) return false;
  write_bytes(path, bytes);
  return true;
}

// Flips a byte inside the snapshot frame `index` snapshots from the newest (0 = newest),
// through LMDB itself: the frame stays where it is, only its CRC fails. Returns its sequence.
SequenceNumber damage_snapshot(const std::string& dir, int index) {
  MDB_env* env = nullptr;
  SequenceNumber damaged = 0;
  if (mdb_env_create(&env) != 0) return 0;
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  if (mdb_env_open(env, dir.c_str(), 0, 0644) == 0) {
    MDB_txn* txn = nullptr;
    MDB_dbi dbi = 0;
    MDB_cursor* cursor = nullptr;
    if (mdb_txn_begin(env, nullptr, 0, &txn) == 0 && mdb_dbi_open(txn, "snapshots", 0, &dbi) == 0 &&
        mdb_cursor_open(txn, dbi, &cursor) == 0) {
      MDB_val key, value;
      int rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST);
      for (int i = 0; rc == 0 && i < index; ++i)
        rc = mdb_cursor_get(cursor, &key, &value, MDB_PREV);
      if (rc == 0) {
        std::vector<char> copy(static_cast<char*>(value.mv_data),
                               static_cast<char*>(value.mv_data) + value.mv_size);
        copy[copy.size() / 2] ^= 0x10;
        std::uint64_t be_key = 0;
        std::memcpy(&be_key, key.mv_data, sizeof be_key);
        damaged = __builtin_bswap64(be_key);
        MDB_val k = key, v{copy.size(), copy.data()};
        mdb_cursor_close(cursor);
        cursor = nullptr;
        if (mdb_put(txn, dbi, &k, &v, 0) != 0) damaged = 0;
      }
      if (cursor != nullptr) mdb_cursor_close(cursor);
      if (mdb_txn_commit(txn) != 0) damaged = 0;
    } else if (txn != nullptr) {
      mdb_txn_abort(txn);
    }
  }
  mdb_env_close(env);
  return damaged;
}

std::string run_open(const EngineConfig& config, std::vector<std::string>* warnings = nullptr) {
  auto e = Engine::open(config);
  if (!e) return e.error();
  if (warnings != nullptr) *warnings = (*e)->recovery().warnings;
  return {};
}

// `journal verify` and `replay --verify` both refuse the journal (exit 1), naming `what`.
void expect_tools_refuse(const std::string& journal, const std::string& what) {
  for (const std::string command : {"journal verify ", "replay --verify "}) {
    const Cli cli = botengine(command + journal);
    EXPECT_EQ(cli.exit_code, 1) << command << cli.output;
    EXPECT_NE(cli.output.find(what), std::string::npos) << command << what << "\n" << cli.output;
  }
}

TEST(DamagedJournal, ACrcBrokenRecordInTheMiddleIsRefusedByAllThree) {
  REQUIRE_BOTENGINE();
  RecordedJournal j;
  ASSERT_NE(j.hash, 0u);
  ASSERT_TRUE(flip_marked_trade(j.data_file()));
  const std::string refused = run_open(j.config);
  EXPECT_NE(refused.find("cannot be trusted"), std::string::npos) << refused;
  // All three name the same record.
  const std::size_t at = refused.find("sequence ");
  ASSERT_NE(at, std::string::npos) << refused;
  const std::string sequence =
      refused.substr(at, refused.find_first_not_of("0123456789", at + 9) - at);
  expect_tools_refuse(j.journal, sequence);
}

// A damaged snapshot, the newest (0) or an older one (1): run opens (the newest falls back to
// an older snapshot plus the journal, to the same state) and warns naming it; the tools refuse.
TEST(DamagedJournal, ADamagedSnapshotIsReportedByAllThreeAndTheNewestFallsBack) {
  REQUIRE_BOTENGINE();
  for (const int from_newest : {0, 1}) {
    SCOPED_TRACE(from_newest == 0 ? "the newest snapshot" : "an older snapshot");
    RecordedJournal j;
    ASSERT_NE(j.hash, 0u);
    const SequenceNumber damaged = damage_snapshot(j.segment(), from_newest);
    ASSERT_NE(damaged, 0u);
    std::vector<std::string> warnings;
    EXPECT_EQ(run_open(j.config, &warnings), "") << "an older snapshot and the tail restore";
    ASSERT_FALSE(warnings.empty()) << "run must not extend it in silence";
    // The newest is the first snapshot recovery tries, an older one the last it checks.
    const std::string& warning = from_newest == 0 ? warnings.front() : warnings.back();
    EXPECT_NE(warning.find(std::to_string(damaged)), std::string::npos) << warning;
    if (from_newest == 0) {
      auto reopened = open_engine(j.config);
      ASSERT_TRUE(reopened);
      EXPECT_EQ(reopened->recovery().state_hash, j.hash) << "the same state from further back";
      EXPECT_LT(reopened->recovery().snapshot_position, damaged);
    }
    expect_tools_refuse(j.journal, std::to_string(damaged));
  }
}

// Deletes every event and snapshot after `sequence` through LMDB, as a kill between the group
// commit holding an input and the one holding its derived records leaves the journal.
bool cut_after(const std::string& dir, SequenceNumber sequence) {
  MDB_env* env = nullptr;
  bool ok = false;
  if (mdb_env_create(&env) != 0) return false;
  mdb_env_set_maxdbs(env, 8);
  mdb_env_set_mapsize(env, std::size_t{1} << 30);
  MDB_txn* txn = nullptr;
  if (mdb_env_open(env, dir.c_str(), 0, 0644) == 0 && mdb_txn_begin(env, nullptr, 0, &txn) == 0) {
    ok = true;
    for (const char* name : {"events", "snapshots"}) {
      MDB_dbi dbi = 0;
      MDB_cursor* cursor = nullptr;
      if (mdb_dbi_open(txn, name, 0, &dbi) != 0 || mdb_cursor_open(txn, dbi, &cursor) != 0) {
        ok = false;
        break;
      }
      MDB_val key, value;
      for (int rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST); rc == 0;
           rc = mdb_cursor_get(cursor, &key, &value, MDB_LAST)) {
        std::uint64_t be_key = 0;
        std::memcpy(&be_key, key.mv_data, sizeof be_key);
        if (__builtin_bswap64(be_key) <= sequence) break;
        if (mdb_cursor_del(cursor, 0) != 0) {
          ok = false;
          break;
        }
      }
      mdb_cursor_close(cursor);
    }
    if (!ok || mdb_txn_commit(txn) != 0) {
      if (!ok) mdb_txn_abort(txn);
      ok = false;
    }
  }
  mdb_env_close(env);
  return ok;
}

// The defect (found by the crash soak, scripts/soak-crash.sh): a kill after the group commit
// holding a command but before the one holding its derived records left them out for good;
// the restarted engine appended its next input right after, and `replay --verify` (and a
// from-scratch replay) then found the command's records missing in the middle of the journal.
// Now recovery re-derives them and open() appends them before anything else.
TEST(DamagedJournal, AnInputWhoseDerivedRecordsAKillCutOffIsCompletedAtOpen) {
  REQUIRE_BOTENGINE();
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.idle = "yield";
  config.snapshot_every_inputs = 1'000'000'000;  // the final snapshot only, cut below
  SequenceNumber start_command = 0;
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const CommandResult dca = engine->create_bot(UserId{1}, kDcaBot);
    ASSERT_EQ(dca.status, CommandStatus::kAccepted) << dca.message;
    const CommandResult start =
        engine->bot_command(UserId{1}, false, dca.bot, OperatorCommandKind::kStartBot);
    ASSERT_EQ(start.status, CommandStatus::kAccepted) << start.message;
    start_command = start.sequence;
    EXPECT_EQ(engine->stop(), "");
  }
  const std::string journal = (dir.path / "journal").string();
  ASSERT_TRUE(cut_after(be::test::head_segment(journal), start_command));
  config.notifications_after = start_command;  // the notifier had delivered up to the start
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    const std::uint64_t completed = engine->recovery().completed_records;
    EXPECT_GT(completed, 0u) << "the start's bot status changes";
    // The bot-status notification among the completed records was never offered: it is now.
    std::mutex m;
    std::vector<std::pair<SequenceNumber, NotificationKind>> delivered;
    engine->set_notification_handler([&](SequenceNumber seq, Nanos, const Notification& n) {
      std::lock_guard lock(m);
      delivered.emplace_back(seq, n.kind);
    });
    ASSERT_TRUE(engine->start().has_value());
    Market market(3, wall_clock_now());
    EXPECT_TRUE(offer_market(*engine, market, 50));
    EXPECT_EQ(engine->stop(), "");
    std::lock_guard lock(m);
    const auto among_completed = [&](const auto& d) {
      return d.first > start_command && d.first <= start_command + completed &&
             d.second == NotificationKind::kBotStatus;
    };
    EXPECT_TRUE(std::any_of(delivered.begin(), delivered.end(), among_completed));
  }
  EXPECT_EQ(replay_from_scratch(config).derived_mismatches, 0u);
  const Cli replay = botengine("replay --verify " + journal);
  EXPECT_EQ(replay.exit_code, 0) << replay.output;
}

TEST(DamagedJournal, ZeroedMetaPagesAndATruncatedFileAreRefusedByAllThree) {
  REQUIRE_BOTENGINE();
  for (const bool truncate : {false, true}) {
    RecordedJournal j;
    ASSERT_NE(j.hash, 0u);
    auto bytes = read_bytes(j.data_file());
    ASSERT_GT(bytes.size(), 3u * 4096);
    if (truncate) {
      bytes.resize(bytes.size() / 2);
    } else {
      std::fill(bytes.begin(), bytes.begin() + 2 * 4096, 0);
    }
    write_bytes(j.data_file(), bytes);
    const std::string refused = run_open(j.config);
    EXPECT_NE(refused, "") << (truncate ? "truncated" : "zeroed meta pages");
    EXPECT_NE(botengine("journal verify " + j.journal).exit_code, 0);
    EXPECT_NE(botengine("replay --verify " + j.journal).exit_code, 0);
  }
}

// The checkpoint: a journal checked once is not checked again before what was appended since,
// and a journal that ends before its checkpoint lost records.
TEST(DamagedJournal, AJournalShorterThanItsCheckpointIsRefused) {
  RecordedJournal j;
  ASSERT_NE(j.hash, 0u);
  ASSERT_EQ(run_open(j.config), "");  // checks everything and writes the checkpoint
  std::ifstream in(j.journal + "/verified");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NE(text.find("through "), std::string::npos) << text;
  // Another journal in its place (a restore from an older backup, say): fresh but shorter.
  const fs::path saved = j.dir.path / "verified.saved";
  fs::copy_file(j.journal + "/verified", saved);
  fs::remove_all(j.journal);
  {
    EngineConfig small = j.config;
    auto e = open_engine(small);
    ASSERT_TRUE(e);
    ASSERT_TRUE(e->start().has_value());
    EXPECT_EQ(e->stop(), "");
  }
  // Its instance differs: checked whole, not refused.
  fs::copy_file(saved, j.journal + "/verified", fs::copy_options::overwrite_existing);
  std::vector<std::string> warnings;
  EXPECT_EQ(run_open(j.config, &warnings), "");
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.front().find("another journal"), std::string::npos) << warnings.front();
  // The same instance cut short (its checkpoint is further on than its end): refused.
  std::ifstream cur(j.journal + "/verified");
  std::string current((std::istreambuf_iterator<char>(cur)), std::istreambuf_iterator<char>());
  const std::size_t inst = current.find("instance ") + 9;
  const std::string instance = current.substr(inst, current.find('\n', inst) - inst);
  ASSERT_TRUE(write_checkpoint(j.journal, {instance, 99'999'999}));
  const std::string refused = run_open(j.config);
  EXPECT_NE(refused.find("records were lost"), std::string::npos) << refused;
  // A damaged checkpoint is not trusted: everything is checked, with a warning.
  std::ofstream(j.journal + "/verified", std::ios::app) << "garbage\n";
  warnings.clear();
  EXPECT_EQ(run_open(j.config, &warnings), "");
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(warnings.front().find("damaged"), std::string::npos) << warnings.front();
}

}  // namespace
}  // namespace be::engine
