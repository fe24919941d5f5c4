// Journal segments (docs/JOURNAL.md "Segments"): rolling by size and age, reading back across
// segment boundaries, a journal written before segments, a missing or damaged segment, a crash
// at each step of a roll, and a reader following another process's journal across rolls.
#include <lmdb.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "journal/format.hpp"
#include "journal/journal.hpp"
#include "journal/layout.hpp"
#include "journal/reader.hpp"
#include "tests/journal/journal_test_util.hpp"

namespace be::journal {
namespace {

using test::check_journal;
using test::make_event;
using test::TempDir;

constexpr std::uint64_t kSmallSegment = 64 * 1024;  // a few hundred records per segment

OpenOptions writing(std::uint64_t max_bytes = kSmallSegment) {
  OpenOptions o;
  o.mode = OpenMode::kReadWriteCreate;
  o.durability = Durability::kNone;
  o.initial_map_size = std::size_t{1} << 20;
  o.segments.max_bytes = max_bytes;
  return o;
}

// Commits make_event(from..to) in groups of `group`.
Error append(Journal& j, SequenceNumber from, SequenceNumber to, std::size_t group = 50) {
  std::vector<Event> batch;
  for (SequenceNumber s = from; s <= to; ++s) {
    batch.push_back(make_event(s));
    if (batch.size() == group || s == to) {
      if (Error e = j.commit_group(batch); !e.ok()) return e;
      batch.clear();
    }
  }
  return {};
}

// A journal in `dir` of `segments_wanted` or more segments holding 1..returned sequence.
SequenceNumber write_segmented(const std::string& dir, std::size_t segments_wanted) {
  auto j = Journal::open(dir, writing());
  EXPECT_TRUE(j) << j.error().message;
  if (!j) return 0;
  SequenceNumber last = 0;
  while ((*j)->segments().size() < segments_wanted) {
    EXPECT_TRUE(append(**j, last + 1, last + 100).ok());
    last += 100;
  }
  return last;
}

// A journal as builds before segments wrote it: <dir>/data.mdb with the three databases and
// only the three original meta keys (raw LMDB, the format docs/JOURNAL.md describes).
void write_legacy_journal(const std::string& dir, SequenceNumber n) {
  std::filesystem::create_directories(dir);
  test::with_raw_lmdb(dir, [&](MDB_txn* txn) {
    MDB_dbi meta, events, snapshots;
    ASSERT_EQ(mdb_dbi_open(txn, "meta", MDB_CREATE, &meta), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "events", MDB_CREATE, &events), 0);
    ASSERT_EQ(mdb_dbi_open(txn, "snapshots", MDB_CREATE, &snapshots), 0);
    const auto put_meta = [&](std::string_view key, std::span<const std::byte> value) {
      std::vector<std::byte> frame(kFrameOverhead + value.size());
      encode_frame(std::as_bytes(std::span(key)), kMetaFrameType, 1, value, frame.data());
      MDB_val k{key.size(), const_cast<char*>(key.data())};
      MDB_val v{frame.size(), frame.data()};
      ASSERT_EQ(mdb_put(txn, meta, &k, &v, 0), 0);
    };
    const std::uint32_t schema = kSchemaVersion;
    const Nanos created = 1'700'000'000'000'000'000;
    const std::string id = "0123456789abcdef0123456789abcdef";
    put_meta("schema_version", std::as_bytes(std::span(&schema, 1)));
    put_meta("instance_id", std::as_bytes(std::span(id)));
    put_meta("created_ns", std::as_bytes(std::span(&created, 1)));
    for (SequenceNumber s = 1; s <= n; ++s) {
      const Event e = make_event(s);
      const SeqKey key = seq_key(s);
      std::vector<std::byte> frame(event_frame_size(e));
      encode_event(key, e, frame.data());
      MDB_val k{key.size(), const_cast<std::byte*>(key.data())};
      MDB_val v{frame.size(), frame.data()};
      ASSERT_EQ(mdb_put(txn, events, &k, &v, MDB_APPEND), 0);
    }
  });
}

TEST(JournalSegments, shouldRollAcrossSeveralSegmentsAndReadThemBackContiguously) {
  TempDir dir;
  const SequenceNumber last = write_segmented(dir.path(), 4);
  auto live = list_live_segments(dir.path());
  ASSERT_TRUE(live);
  ASSERT_GE(live->size(), 4u);
  // Each segment is named by its first record, right after the previous segment's last.
  auto j = Journal::open(dir.path(), {});
  ASSERT_TRUE(j) << j.error().message;
  const auto& segs = (*j)->segments();
  EXPECT_EQ(segs.front().first_record, 1u);
  for (std::size_t i = 1; i < segs.size(); ++i) {
    EXPECT_EQ(segs[i].path.first, segs[i - 1].last_record + 1);
    EXPECT_EQ(segs[i].first_record, segs[i].path.first);
    EXPECT_EQ(segs[i].path.path, segments_dir(dir.path()) + "/" + segment_name(segs[i].path.first));
  }
  EXPECT_EQ((*j)->last_sequence_at_open(), last);
  EXPECT_EQ(check_journal(dir.path()), last);
  // Seeking into the middle of a later segment, and onto a segment's first record.
  EXPECT_EQ(check_journal(dir.path(), segs[2].path.first + 7), last);
  EXPECT_EQ(check_journal(dir.path(), segs[1].path.first), last);
  EXPECT_EQ((*j)->counters()["live_segments"], segs.size());
}

TEST(JournalSegments, shouldContinueTheLastSequenceAcrossReopenAndRoll) {
  TempDir dir;
  const SequenceNumber last = write_segmented(dir.path(), 3);
  {
    auto j = Journal::open(dir.path(), writing());
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_EQ((*j)->last_sequence_at_open(), last);
    const std::size_t before = (*j)->segments().size();
    ASSERT_TRUE(append(**j, last + 1, last + 1000).ok());
    EXPECT_GT((*j)->segments().size(), before);
    EXPECT_GT((*j)->counters()["rolls"], 0u);
    const Error wrong = append(**j, last + 5, last + 5);
    EXPECT_EQ(wrong.code, Errc::kInvalidArgument) << wrong.message;
  }
  EXPECT_EQ(check_journal(dir.path()), last + 1000);
}

TEST(JournalSegments, shouldRollByAgeOnTheGivenClock) {
  TempDir dir;
  ManualClock clock(1'000'000'000'000);
  OpenOptions o = writing(0);  // never by size
  o.segments.max_age_s = 60;
  o.segments.clock = &clock;
  auto j = Journal::open(dir.path(), o);
  ASSERT_TRUE(j) << j.error().message;
  ASSERT_TRUE(append(**j, 1, 10).ok());
  clock.advance(59'000'000'000);
  ASSERT_TRUE(append(**j, 11, 20).ok());
  EXPECT_EQ((*j)->segments().size(), 1u);
  clock.advance(1'000'000'000);
  ASSERT_TRUE(append(**j, 21, 30).ok());  // rolls first: 21 opens the second segment
  ASSERT_EQ((*j)->segments().size(), 2u);
  EXPECT_EQ((*j)->segments()[1].path.first, 21u);
  EXPECT_EQ((*j)->segments()[1].first_record, 21u);
  j->reset();
  EXPECT_EQ(check_journal(dir.path()), 30u);
}

TEST(JournalSegments, shouldOpenAndExtendAJournalWrittenBeforeSegments) {
  TempDir dir;
  write_legacy_journal(dir.path(), 500);
  EXPECT_EQ(check_journal(dir.path()), 500u);
  {
    auto j = Journal::open(dir.path(), writing(16 * 1024));
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_EQ((*j)->meta().instance_id, "0123456789abcdef0123456789abcdef");
    EXPECT_EQ((*j)->last_sequence_at_open(), 500u);
    ASSERT_EQ((*j)->segments().size(), 1u);
    EXPECT_TRUE((*j)->segments()[0].path.legacy);
    // Already past the roll limit: the next write seals data.mdb and goes into segments/.
    ASSERT_TRUE(append(**j, 501, 700).ok());
    ASSERT_GE((*j)->segments().size(), 2u);
    EXPECT_EQ((*j)->segments()[0].last_record, 500u);
    EXPECT_EQ((*j)->segments()[1].path.first, 501u);
  }
  EXPECT_TRUE(std::filesystem::exists(dir.sub("data.mdb")));
  EXPECT_TRUE(std::filesystem::exists(segments_dir(dir.path()) + "/" + segment_name(501)));
  EXPECT_EQ(check_journal(dir.path()), 700u);
  EXPECT_EQ(check_journal(dir.path(), 499), 700u);  // across the legacy boundary
  {
    // Under the limit, a legacy journal takes the next writes itself.
    TempDir roomy;
    write_legacy_journal(roomy.path(), 100);
    auto j = Journal::open(roomy.path(), writing(std::uint64_t{1} << 20));
    ASSERT_TRUE(j) << j.error().message;
    ASSERT_TRUE(append(**j, 101, 200).ok());
    ASSERT_EQ((*j)->segments().size(), 1u);
    EXPECT_EQ((*j)->segments()[0].last_record, 200u);
    j->reset();
    EXPECT_EQ(check_journal(roomy.path()), 200u);
  }
  auto data = check_data_file(dir.path());
  EXPECT_TRUE(data) << data.error().message;
}

TEST(JournalSegments, shouldRefuseAMissingMiddleSegmentNamingTheFirstMissingSequence) {
  TempDir dir;
  write_segmented(dir.path(), 4);
  auto live = list_live_segments(dir.path());
  ASSERT_TRUE(live);
  ASSERT_GE(live->size(), 4u);
  const SequenceNumber missing = (*live)[1].first;
  std::filesystem::remove_all((*live)[1].path);
  for (OpenMode mode : {OpenMode::kReadOnly, OpenMode::kReadWrite}) {
    OpenOptions o = writing();
    o.mode = mode;
    auto j = Journal::open(dir.path(), o);
    ASSERT_FALSE(j);
    EXPECT_EQ(j.error().code, Errc::kGap);
    EXPECT_EQ(j.error().sequence, missing);
    EXPECT_NE(j.error().message.find("sequence " + std::to_string(missing) + ": missing"),
              std::string::npos)
        << j.error().message;
  }
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kGap);
}

TEST(JournalSegments, shouldRefuseADamagedSegmentNamingIt) {
  TempDir dir;
  write_segmented(dir.path(), 4);
  auto live = list_live_segments(dir.path());
  ASSERT_TRUE(live);
  const std::string victim = (*live)[2].path + "/data.mdb";
  struct stat st {};
  ASSERT_EQ(::stat(victim.c_str(), &st), 0);
  ASSERT_EQ(::truncate(victim.c_str(), st.st_size / 2), 0);
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kTruncated);
  EXPECT_NE(r.error().message.find(victim), std::string::npos) << r.error().message;
  auto data = check_data_file(dir.path());
  ASSERT_FALSE(data);
  EXPECT_NE(data.error().message.find(victim), std::string::npos) << data.error().message;
}

TEST(JournalSegments, shouldRefuseACorruptRecordInASealedSegmentNamingSegmentAndSequence) {
  TempDir dir;
  write_segmented(dir.path(), 3);
  auto live = list_live_segments(dir.path());
  ASSERT_TRUE(live);
  const SequenceNumber target = (*live)[1].first + 3;
  test::with_raw_lmdb((*live)[1].path, [&](MDB_txn* txn) {
    MDB_dbi dbi;
    ASSERT_EQ(mdb_dbi_open(txn, "events", 0, &dbi), 0);
    SeqKey key = seq_key(target);
    MDB_val k{8, key.data()};
    MDB_val v;
    ASSERT_EQ(mdb_get(txn, dbi, &k, &v), 0);
    std::vector<std::byte> copy(static_cast<std::byte*>(v.mv_data),
                                static_cast<std::byte*>(v.mv_data) + v.mv_size);
    copy[kFrameHeaderSize + 9] ^= std::byte{0x10};  // inside event_time
    MDB_val v2{copy.size(), copy.data()};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v2, 0), 0);
  });
  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r) << r.error().message;
  RecordView view;
  ReadStatus st;
  while ((st = (*r)->next(view)) == ReadStatus::kRecord) {
  }
  ASSERT_EQ(st, ReadStatus::kError);
  const Error& e = (*r)->error();
  EXPECT_EQ(e.code, Errc::kCorrupt);
  EXPECT_EQ(e.sequence, target);
  EXPECT_NE(e.message.find((*live)[1].path), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("sequence " + std::to_string(target) + ": CRC32C mismatch"),
            std::string::npos)
      << e.message;
}

TEST(JournalSegments, shouldRefuseASegmentOfAnotherJournal) {
  TempDir dir;
  TempDir other;
  write_segmented(dir.path(), 3);
  write_segmented(other.path(), 3);
  auto mine = list_live_segments(dir.path());
  auto theirs = list_live_segments(other.path());
  ASSERT_TRUE(mine && theirs);
  ASSERT_EQ((*mine)[1].first, (*theirs)[1].first);  // same shape, another instance id
  std::filesystem::remove_all((*mine)[1].path);
  std::filesystem::copy((*theirs)[1].path, (*mine)[1].path);
  auto r = Reader::open(dir.path());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kCorrupt);
  EXPECT_NE(r.error().message.find("belongs to journal"), std::string::npos) << r.error().message;
}

// ---- a crash at each step of a roll ------------------------------------------------------

int g_kill_at_step = 0;
void kill_at_step(int step) {
  if (step == g_kill_at_step) ::raise(SIGKILL);
}

// Writes groups of 50 into a small-segment journal, reporting each committed group's last
// sequence, until the roll hook kills it.
[[noreturn]] void roll_crash_child(const std::string& dir, int step, int out_fd) {
  g_kill_at_step = step;
  OpenOptions o = writing();
  o.durability = Durability::kSync;
  o.segments.roll_step_hook = &kill_at_step;
  auto j = Journal::open(dir, o);
  if (!j) ::_exit(10);
  for (SequenceNumber s = 1; s < 1'000'000; s += 50) {
    if (!append(**j, s, s + 49).ok()) ::_exit(11);
    const SequenceNumber done = s + 49;
    if (!write_fully(out_fd, &done, sizeof done)) ::_exit(12);
  }
  ::_exit(13);  // never rolled
}

TEST(JournalSegments, shouldOpenAndExtendAfterACrashAtEachStepOfARoll) {
  for (int step = 1; step <= 4; ++step) {
    SCOPED_TRACE("killed at roll step " + std::to_string(step));
    TempDir dir;
    const test::Child child = test::spawn([&](int fd) { roll_crash_child(dir.path(), step, fd); });
    ASSERT_GE(child.pid, 0);
    SequenceNumber committed = 0;
    SequenceNumber got = 0;
    while (read_fully(child.from_child, &got, sizeof got))
      committed = got;
    ::close(child.from_child);
    const int status = test::wait_child(child.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << status;
    ASSERT_GT(committed, 0u);
    // Everything reported committed is there, and a writer continues after it.
    auto j = Journal::open(dir.path(), writing());
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_EQ((*j)->last_sequence_at_open(), committed);
    ASSERT_TRUE(append(**j, committed + 1, committed + 500).ok());
    EXPECT_FALSE(
        std::filesystem::exists(segments_dir(dir.path()) + "/.tmp-" + segment_name(committed + 1)));
    j->reset();
    EXPECT_EQ(check_journal(dir.path()), committed + 500);
  }
}

// ---- tail following across rolls ---------------------------------------------------------

// Writes 1..600, says so, waits for the parent's go, writes 601..2000 (more rolls), says so.
[[noreturn]] void rolling_writer_child(const std::string& dir, int out_fd, int in_fd) {
  auto j = Journal::open(dir, writing());
  if (!j) ::_exit(10);
  char token = 'a';
  if (!append(**j, 1, 600).ok() || !write_fully(out_fd, &token, 1)) ::_exit(11);
  if (!read_fully(in_fd, &token, 1)) ::_exit(12);
  if (!append(**j, 601, 2000).ok() || !write_fully(out_fd, &token, 1)) ::_exit(13);
  ::_exit((*j)->counters()["rolls"] >= 2 ? 0 : 14);
}

TEST(JournalSegments, shouldFollowTheTailAcrossRolls) {
  TempDir dir;
  int to_child[2];
  ASSERT_EQ(::pipe(to_child), 0);
  const test::Child child = test::spawn([&](int fd) {
    ::close(to_child[1]);
    rolling_writer_child(dir.path(), fd, to_child[0]);
  });
  ::close(to_child[0]);
  ASSERT_GE(child.pid, 0);
  char token = 0;
  ASSERT_TRUE(read_fully(child.from_child, &token, 1));
  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r) << r.error().message;
  const std::size_t segments_at_open = (*r)->segments().size();
  RecordView v;
  SequenceNumber expect = 1;
  const auto drain = [&] {
    ReadStatus st;
    while ((st = (*r)->next(v)) == ReadStatus::kRecord) {
      Event got;
      ASSERT_EQ(v.sequence, expect);
      ASSERT_TRUE(decode(v, got).ok());
      ASSERT_TRUE(test::same_event(make_event(expect), got));
      ++expect;
    }
    ASSERT_EQ(st, ReadStatus::kEnd) << (*r)->error().message;
  };
  drain();
  EXPECT_EQ(expect, 601u);
  ASSERT_TRUE(write_fully(to_child[1], &token, 1));
  ASSERT_TRUE(read_fully(child.from_child, &token, 1));
  drain();  // the old transaction: nothing new
  EXPECT_EQ(expect, 601u);
  ASSERT_TRUE((*r)->refresh().ok());
  drain();
  EXPECT_EQ(expect, 2001u);
  EXPECT_GT((*r)->segments().size(), segments_at_open);
  ::close(to_child[1]);
  ::close(child.from_child);
  const int status = test::wait_child(child.pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

}  // namespace
}  // namespace be::journal
