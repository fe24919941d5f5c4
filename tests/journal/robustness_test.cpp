// Damaged journals are refused with a clear error naming the sequence (where there is one)
// and the reason, never a crash: through the library and through `botengine journal`.
#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <vector>

#include "journal/format.hpp"
#include "journal/journal.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "tests/journal/journal_test_util.hpp"
#include "tests/support/botengine_cli.hpp"

namespace be::journal {
namespace {

using test::make_event;
using test::TempDir;

constexpr std::uint64_t kMarker = 0x0DDBA11CAFEF00DULL;

// A journal of `n` records; record `marked` is a Trade whose trade_id is kMarker.
void write_journal(const std::string& dir, SequenceNumber n, SequenceNumber marked = 0) {
  auto w = JournalWriter<>::open(dir, {.durability = Durability::kNone});
  ASSERT_TRUE(w) << w.error().message;
  for (SequenceNumber s = 1; s <= n; ++s) {
    Event e = make_event(s);
    if (s == marked) {
      Trade t;
      t.trade_id = kMarker;
      e = Event::make(t, 1, 2);
      e.header.sequence = s;
    }
    while ((*w)->try_append(e) == AppendStatus::kFull)
      sched_yield();
  }
  ASSERT_TRUE((*w)->close().ok());
}

std::vector<char> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<char>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Finds the marked trade's bytes in data.mdb and flips `mask` at `offset` from them.
bool flip_near_marker(const std::string& path, std::ptrdiff_t offset, char mask) {
  auto bytes = read_file(path);
  std::array<char, 8> pattern;
  std::memcpy(pattern.data(), &kMarker, 8);
  auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  if (it == bytes.end()) return false;
  *(it + offset) ^= mask;
  write_file(path, bytes);
  return true;
}

// Reads every record; returns the error that stopped it (kOk when none).
Error read_all(const std::string& dir) {
  auto r = Reader::open(dir);
  if (!r) return r.error();
  RecordView v;
  ReadStatus st;
  while ((st = (*r)->next(v)) == ReadStatus::kRecord) {
  }
  return st == ReadStatus::kError ? (*r)->error() : Error{};
}

// `botengine journal ARGS`, the real binary.
be::test::CliResult run_cli(const std::string& args) {
  return be::test::run_botengine("journal " + args);
}

TEST(JournalOpen, shouldReportAMissingJournal) {
  TempDir dir;
  auto r = Reader::open(dir.sub("nothing"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kNotFound);
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos) << r.error().message;
}

TEST(JournalOpen, shouldFindTheMarkedRecordAndRejectItsFlippedByteNamingTheSequence) {
  TempDir dir;
  write_journal(dir.path(), 500, 321);
  ASSERT_TRUE(read_all(dir.path()).ok());
  ASSERT_TRUE(
      flip_near_marker(test::head_data_file(dir.path()), -3, 0x40));  // the trade's quantity

  const Error e = read_all(dir.path());
  EXPECT_EQ(e.code, Errc::kCorrupt);
  EXPECT_EQ(e.sequence, 321u);
  EXPECT_NE(e.message.find("sequence 321"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("CRC32C mismatch"), std::string::npos) << e.message;
}

TEST(JournalOpen, shouldRefuseATruncatedDataFile) {
  TempDir dir;
  write_journal(dir.path(), 3000);
  struct stat st {};
  const std::string file = test::head_data_file(dir.path());
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  ASSERT_EQ(::truncate(file.c_str(), st.st_size / 2), 0);
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTruncated);
  EXPECT_NE(r.error().message.find("truncated"), std::string::npos) << r.error().message;
  auto w = JournalWriter<>::open(dir.path(), {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kTruncated);
}

TEST(JournalOpen, shouldRefuseAFileTruncatedInsideItsMetaPages) {
  TempDir dir;
  write_journal(dir.path(), 10);
  const std::string file = test::head_data_file(dir.path());
  for (off_t size : {off_t{5000}, off_t{100}, off_t{0}}) {  // shrinking only
    ASSERT_EQ(::truncate(file.c_str(), size), 0);
    auto r = Reader::open(dir.path());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTruncated) << size << ": " << r.error().message;
  }
}

TEST(JournalOpen, shouldStartAfreshOnAnEmptyDataFileOnlyWhenCreating) {
  TempDir dir;
  write_file(dir.sub("data.mdb"), {});  // a writer killed inside its first mdb_env_open
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTruncated);
  auto w = JournalWriter<>::open(dir.path(), {.durability = Durability::kNone});
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)->try_append(make_event(1)), AppendStatus::kOk);
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ(test::check_journal(dir.path()), 1u);
}

TEST(JournalOpen, shouldRefuseRandomBytesAsForeign) {
  TempDir dir;
  std::mt19937_64 rng(7);
  std::vector<char> junk(64 * 1024);
  for (auto& c : junk)
    c = static_cast<char>(rng());
  write_file(dir.sub("data.mdb"), junk);
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kForeign);
  EXPECT_NE(r.error().message.find("not an LMDB data file"), std::string::npos);
  auto w = JournalWriter<>::open(dir.path(), {});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kForeign);
}

void make_plain_lmdb(const std::string& dir) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 4);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "other", MDB_CREATE, &dbi), 0);
  MDB_val k{3, const_cast<char*>("key")};
  MDB_val v{5, const_cast<char*>("value")};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(JournalOpen, shouldRefuseAnLmdbEnvironmentWithoutOurMeta) {
  TempDir dir;
  make_plain_lmdb(dir.path());
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kForeign);
  EXPECT_NE(r.error().message.find("not a botengine journal"), std::string::npos);
  auto w = JournalWriter<>::open(dir.path(), {});  // and never adopts it
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::kForeign);
}

// Opens `db` in a raw write transaction of the segment in `dir` and runs fn(txn, dbi).
template <class Fn>
void with_raw_txn(const std::string& dir, const char* db, Fn fn) {
  test::with_raw_lmdb(dir, [&](MDB_txn* txn) {
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, db, 0, &dbi), 0);
    fn(txn, dbi);
  });
}

TEST(JournalOpen, shouldRefuseAnotherSchemaVersion) {
  TempDir dir;
  write_journal(dir.path(), 10);
  with_raw_txn(test::head_segment(dir.path()), "meta", [](MDB_txn* txn, MDB_dbi dbi) {
    const std::uint32_t other = kSchemaVersion + 6;
    std::array<std::byte, kFrameOverhead + 4> frame{};
    const std::string_view key = "schema_version";
    encode_frame(std::as_bytes(std::span(key)), kMetaFrameType, 1,
                 std::as_bytes(std::span(&other, 1)), frame.data());
    MDB_val k{key.size(), const_cast<char*>(key.data())};
    MDB_val v{frame.size(), frame.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  });
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kSchemaMismatch);
  EXPECT_NE(r.error().message.find("schema version 7"), std::string::npos) << r.error().message;
}

TEST(JournalOpen, shouldReportASequenceGapNamingTheMissingSequence) {
  TempDir dir;
  write_journal(dir.path(), 100);
  with_raw_txn(test::head_segment(dir.path()), "events", [](MDB_txn* txn, MDB_dbi dbi) {
    SeqKey key = seq_key(42);
    MDB_val k{8, key.data()};
    ASSERT_EQ(mdb_del(txn, dbi, &k, nullptr), 0);
  });
  const Error e = read_all(dir.path());
  EXPECT_EQ(e.code, Errc::kGap);
  EXPECT_EQ(e.sequence, 42u);
  EXPECT_NE(e.message.find("sequence 42: missing"), std::string::npos) << e.message;
  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r);
  (*r)->seek(42);  // asking for the missing one is a gap too
  RecordView v;
  EXPECT_EQ((*r)->next(v), ReadStatus::kError);
  EXPECT_EQ((*r)->error().code, Errc::kGap);
}

TEST(JournalOpen, shouldCatchARecordMovedUnderAnotherKey) {
  TempDir dir;
  write_journal(dir.path(), 20);
  with_raw_txn(test::head_segment(dir.path()), "events", [](MDB_txn* txn, MDB_dbi dbi) {
    SeqKey k7 = seq_key(7);
    SeqKey k8 = seq_key(8);
    MDB_val k{8, k7.data()};
    MDB_val v;
    ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
    std::vector<std::byte> copy(static_cast<std::byte*>(v.mv_data),
                                static_cast<std::byte*>(v.mv_data) + v.mv_size);
    MDB_val k2{8, k8.data()};
    MDB_val v2{copy.size(), copy.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &k2, &v2, 0), 0);
  });
  const Error e = read_all(dir.path());
  EXPECT_EQ(e.code, Errc::kCorrupt);
  EXPECT_EQ(e.sequence, 8u);
}

TEST(JournalCli, shouldInspectVerifyAndDumpAHealthyJournal) {
  REQUIRE_BOTENGINE();
  TempDir dir;
  write_journal(dir.path(), 90);
  const be::test::CliResult inspect = run_cli("inspect " + dir.path());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_NE(inspect.output.find("records      90"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("trade              10"), std::string::npos) << inspect.output;
  EXPECT_NE(inspect.output.find("blob               10"), std::string::npos) << inspect.output;
  const be::test::CliResult verify = run_cli("verify " + dir.path());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  EXPECT_NE(verify.output.find("ok: 90 records, sequences 1..90"), std::string::npos);
  const be::test::CliResult dump = run_cli("dump " + dir.path() + " --from 10 --limit 2");
  EXPECT_EQ(dump.exit_code, 0) << dump.output;
  const Trade t = make_event(10).as<Trade>();
  EXPECT_NE(dump.output.find("{\"seq\":10,\"type\":\"trade\""), std::string::npos) << dump.output;
  EXPECT_NE(dump.output.find("\"price\":" + std::to_string(t.price)), std::string::npos);
  EXPECT_NE(dump.output.find("{\"seq\":11,\"type\":\"quote\""), std::string::npos);
  EXPECT_EQ(std::count(dump.output.begin(), dump.output.end(), '\n'), 2);
}

TEST(JournalCli, shouldExitOneNamingTheSequenceForDamagedJournals) {
  REQUIRE_BOTENGINE();
  TempDir dir;
  write_journal(dir.path(), 200, 77);
  ASSERT_TRUE(flip_near_marker(test::head_data_file(dir.path()), 0, 0x01));
  be::test::CliResult r = run_cli("verify " + dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("sequence 77: CRC32C mismatch"), std::string::npos) << r.output;

  TempDir truncated;
  write_journal(truncated.path(), 3000);
  ASSERT_EQ(::truncate(test::head_data_file(truncated.path()).c_str(), 3 * 4096), 0);
  r = run_cli("inspect " + truncated.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;

  TempDir foreign;
  write_file(foreign.sub("data.mdb"), std::vector<char>(20000, 'x'));
  r = run_cli("dump " + foreign.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not an LMDB data file"), std::string::npos) << r.output;

  TempDir plain;
  make_plain_lmdb(plain.path());
  r = run_cli("verify " + plain.path());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not a botengine journal"), std::string::npos) << r.output;
}

TEST(JournalCli, shouldExitTwoOnUsageErrorsAndHelpPerSubcommand) {
  REQUIRE_BOTENGINE();
  EXPECT_EQ(run_cli("").exit_code, 2);
  EXPECT_EQ(run_cli("frobnicate /tmp").exit_code, 2);
  EXPECT_EQ(run_cli("verify").exit_code, 2);
  EXPECT_EQ(run_cli("dump /a /b").exit_code, 2);
  EXPECT_EQ(run_cli("dump /a --limit x").exit_code, 2);
  for (const char* sub : {"inspect", "verify", "dump"}) {
    const be::test::CliResult r = run_cli(std::string(sub) + " --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.output.find(std::string("botengine journal ") + sub), std::string::npos);
  }
}

}  // namespace
}  // namespace be::journal
