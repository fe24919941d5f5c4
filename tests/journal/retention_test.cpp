// Snapshot retention (newest N plus pinned), segment retirement (archive with zstd or delete)
// and reading archived segments back (docs/JOURNAL.md "Retention and archive").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "journal/archive.hpp"
#include "journal/journal.hpp"
#include "journal/layout.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "tests/journal/journal_test_util.hpp"

namespace be::journal {
namespace {

namespace fs = std::filesystem;
using test::check_journal;
using test::make_event;
using test::TempDir;

constexpr std::uint64_t kSmallSegment = 64 * 1024;

OpenOptions writing(std::size_t keep = 0, std::string archive = {}) {
  OpenOptions o;
  o.mode = OpenMode::kReadWriteCreate;
  o.durability = Durability::kNone;
  o.initial_map_size = std::size_t{1} << 20;
  o.segments.max_bytes = kSmallSegment;
  o.retention.keep_snapshots = keep;
  o.retention.archive_dir = std::move(archive);
  return o;
}

// A writer as the engine runs one, with small segments: every snapshot prunes and retires.
WriterOptions small_writer(std::size_t keep) {
  WriterOptions wo;
  wo.durability = Durability::kNone;
  wo.group_max_records = 64;
  wo.initial_map_size = std::size_t{1} << 20;
  wo.segments.max_bytes = kSmallSegment;
  wo.retention.keep_snapshots = keep;
  return wo;
}

Error append(Journal& j, SequenceNumber from, SequenceNumber to) {
  std::vector<Event> batch;
  for (SequenceNumber s = from; s <= to; ++s) {
    batch.push_back(make_event(s));
    if (batch.size() == 50 || s == to) {
      if (Error e = j.commit_group(batch); !e.ok()) return e;
      batch.clear();
    }
  }
  return {};
}

// The state a test snapshot at `seq` holds: recomputable, so a read-back can be checked.
std::vector<std::byte> state_at(SequenceNumber seq, std::size_t size = 2000) {
  std::vector<std::byte> s(size);
  for (std::size_t i = 0; i < size; ++i)
    s[i] = static_cast<std::byte>(test::mix(seq + i));
  return s;
}

Error snapshot(Journal& j, SequenceNumber seq, std::size_t size = 2000) {
  const auto state = state_at(seq, size);
  return j.put_snapshot(seq, state, seq * 7);
}

std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(JournalRetention, shouldKeepTheNewestSnapshotsAndThePinnedOnes) {
  TempDir dir;
  {
    auto j = Journal::open(dir.path(), writing(2));
    ASSERT_TRUE(j) << j.error().message;
    for (SequenceNumber k = 1; k <= 6; ++k) {
      ASSERT_TRUE(append(**j, (k - 1) * 400 + 1, k * 400).ok());
      ASSERT_TRUE(snapshot(**j, k * 400).ok());
      if (k == 1) {
        ASSERT_TRUE((*j)->pin_snapshot(400).ok());
      }
    }
    EXPECT_GT((*j)->segments().size(), 3u);  // the snapshots are spread over segments
    EXPECT_EQ((*j)->snapshots(), (std::vector<SequenceNumber>{400, 2000, 2400}));
    EXPECT_EQ((*j)->pinned(), (std::vector<SequenceNumber>{400}));
    const JournalCounters c = (*j)->counters();
    EXPECT_EQ(c["snapshots_pruned"], 3u);
    EXPECT_EQ(c["snapshots_kept"], 3u);
    EXPECT_EQ(c["pinned_snapshots"], 1u);
    const Error missing = (*j)->pin_snapshot(800);  // pruned: nothing to pin
    EXPECT_EQ(missing.code, Errc::kInvalidArgument) << missing.message;
  }
  // Pins live in the head segment's meta, carried over every roll since.
  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->journal().pinned(), (std::vector<SequenceNumber>{400}));
  SnapshotView view;
  bool found = false;
  ASSERT_TRUE((*r)->find_snapshot(1999, view, found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(view.sequence, 400u);  // 800..1600 were pruned: the pinned one is next
  EXPECT_EQ(view.state_hash, 400u * 7);
  const auto want = state_at(400);
  ASSERT_EQ(view.state.size(), want.size());
  EXPECT_TRUE(std::equal(want.begin(), want.end(), view.state.begin()));
  ASSERT_TRUE((*r)->find_snapshot(2400, view, found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(view.sequence, 2400u);
  r->reset();
  {
    auto j = Journal::open(dir.path(), writing(2));
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_EQ((*j)->unpin_snapshot(800).code, Errc::kInvalidArgument);
    ASSERT_TRUE((*j)->unpin_snapshot(400).ok());
    ASSERT_TRUE((*j)->prune_snapshots().ok());
    EXPECT_EQ((*j)->snapshots(), (std::vector<SequenceNumber>{2000, 2400}));
  }
}

// Writes 1..4000 with a snapshot every 500 into small segments; returns the live segments'
// data files copied into `copies` (by segment name) before any retirement.
void write_with_snapshots(const std::string& dir, const std::string& copies) {
  auto j = Journal::open(dir, writing(1));
  ASSERT_TRUE(j) << j.error().message;
  for (SequenceNumber k = 1; k <= 8; ++k) {
    ASSERT_TRUE(append(**j, (k - 1) * 500 + 1, k * 500).ok());
    if (k <= 7) {  // the newest at 3500
      ASSERT_TRUE(snapshot(**j, k * 500).ok());
    }
  }
  fs::create_directories(copies);
  for (const SegmentInfo& s : (*j)->segments()) {
    fs::copy_file(s.path.path + "/data.mdb", copies + "/" + segment_name(s.path.first));
  }
}

TEST(JournalRetention, shouldArchiveRetiredSegmentsAndReplayThemByteIdentical) {
  TempDir dir;
  write_with_snapshots(dir.path(), dir.sub("copies"));
  const std::string archive = dir.sub("archive");
  TempDir jdir;  // the journal moved away from the copies, archive and scratch
  fs::rename(dir.path() + "/segments", jdir.path() + "/segments");
  auto j = Journal::open(jdir.path(), writing(1, archive));
  ASSERT_TRUE(j) << j.error().message;
  const std::size_t before = (*j)->segments().size();
  ASSERT_TRUE((*j)->retire_segments().ok()) << (*j)->last_retention_error();
  const auto& live = (*j)->segments();
  ASSERT_LT(live.size(), before);
  const SequenceNumber first_live = live.front().first_record;
  // The oldest live segment starts at or before the record after the kept snapshot.
  EXPECT_LE(live.front().path.first, 3501u);
  EXPECT_EQ((*j)->snapshots(), (std::vector<SequenceNumber>{3500}));
  auto archived = list_archived_segments(archive);
  ASSERT_TRUE(archived);
  ASSERT_EQ(archived->size(), before - live.size());
  const JournalCounters c = (*j)->counters();
  EXPECT_EQ(c["segments_archived"], archived->size());
  EXPECT_GT(c["archived_bytes"], 0u);
  EXPECT_EQ(c["live_segments"], live.size());
  for (const SegmentPath& a : *archived) {
    EXPECT_FALSE(fs::exists(segments_dir(jdir.path()) + "/" + segment_name(a.first)));
    // Decompressed, the archive is the segment's data file, byte for byte.
    const std::string out = dir.sub("roundtrip.mdb");
    ASSERT_TRUE(decompress_file(a.path, out).ok());
    EXPECT_EQ(file_bytes(out), file_bytes(dir.sub("copies") + "/" + segment_name(a.first)))
        << a.path;
  }
  j->reset();
  // With the archive, a reader replays every record from 1; without, from the first live one.
  ReaderOptions ro;
  ro.archive_dir = archive;
  ro.scratch_dir = dir.sub("scratch");
  EXPECT_EQ(check_journal(jdir.path(), 1, false, ro), 4000u);
  EXPECT_TRUE(fs::is_empty(ro.scratch_dir));  // each scratch copy removed after reading
  auto r = Reader::open(jdir.path());
  ASSERT_TRUE(r) << r.error().message;
  SequenceNumber first = 0, last = 0;
  ASSERT_TRUE((*r)->bounds(first, last).ok());
  EXPECT_EQ(first, first_live);
  EXPECT_GT(first, 1u);
  EXPECT_EQ(last, 4000u);
  r->reset();
  EXPECT_EQ(check_journal(jdir.path(), first), 4000u);
  auto with_archive = Reader::open(jdir.path(), ro);
  ASSERT_TRUE(with_archive);
  ASSERT_TRUE((*with_archive)->bounds(first, last).ok());
  EXPECT_EQ(first, 1u);
}

TEST(JournalRetention, shouldRefuseADamagedArchiveNamingIt) {
  TempDir dir;
  write_with_snapshots(dir.path(), dir.sub("copies"));
  const std::string archive = dir.sub("archive");
  {
    auto j = Journal::open(dir.path(), writing(1, archive));
    ASSERT_TRUE(j) << j.error().message;
    ASSERT_TRUE((*j)->retire_segments().ok());
  }
  auto archived = list_archived_segments(archive);
  ASSERT_TRUE(archived);
  ASSERT_GE(archived->size(), 2u);
  const std::string victim = (*archived)[1].path;
  fs::resize_file(victim, fs::file_size(victim) / 2);
  ReaderOptions ro;
  ro.archive_dir = archive;
  auto r = Reader::open(dir.path(), ro);
  ASSERT_TRUE(r) << r.error().message;
  RecordView v;
  ReadStatus st;
  while ((st = (*r)->next(v)) == ReadStatus::kRecord) {
  }
  ASSERT_EQ(st, ReadStatus::kError);
  EXPECT_NE((*r)->error().message.find(victim), std::string::npos) << (*r)->error().message;
}

TEST(JournalRetention, shouldDeleteRetiredSegmentsOnlyWhenToldWithoutAnArchive) {
  TempDir dir;
  write_with_snapshots(dir.path(), dir.sub("copies"));
  OpenOptions keep_all = writing(1);
  auto j = Journal::open(dir.path(), keep_all);
  ASSERT_TRUE(j) << j.error().message;
  const std::size_t before = (*j)->segments().size();
  ASSERT_TRUE((*j)->retire_segments().ok());
  EXPECT_EQ((*j)->segments().size(), before);  // neither archive nor delete: all stay
  j->reset();
  OpenOptions deleting = writing(1);
  deleting.retention.delete_unarchived = true;
  j = Journal::open(dir.path(), deleting);
  ASSERT_TRUE(j) << j.error().message;
  ASSERT_TRUE((*j)->retire_segments().ok());
  const std::size_t after = (*j)->segments().size();
  EXPECT_LT(after, before);
  EXPECT_EQ((*j)->counters()["segments_deleted"], before - after);
  const SequenceNumber first_live = (*j)->segments().front().path.first;
  j->reset();
  EXPECT_EQ(check_journal(dir.path(), first_live), 4000u);
}

TEST(JournalRetention, shouldBoundTheLiveBytesThroughTheWriterAcrossManySnapshots) {
  // Through the JournalWriter, as the engine runs it: every snapshot prunes and retires.
  // keep N=2 snapshots of S=20,000 bytes, one every I=1,000 inputs, segments of B=64 KiB.
  TempDir dir;
  WriterOptions wo = small_writer(2);
  wo.retention.delete_unarchived = true;
  constexpr std::size_t kSnapshotBytes = 20'000;
  constexpr SequenceNumber kInterval = 1000;
  // docs/JOURNAL.md: live <= (ceil(N * D / B) + 3) * (B + G + S), D = I * r + S the bytes
  // written between snapshots, r <= 250 bytes per record (frame, key, node and page
  // overhead; blobs of make_event average far less), G one group (64 records).
  constexpr std::uint64_t B = kSmallSegment, N = 2, S = kSnapshotBytes + 4096;
  constexpr std::uint64_t D = kInterval * 250 + S, G = 64 * 1000;
  constexpr std::uint64_t bound = ((N * D + B - 1) / B + 3) * (B + G + S);
  auto w = JournalWriter<>::open(dir.path(), wo);
  ASSERT_TRUE(w) << w.error().message;
  std::uint64_t worst = 0;
  for (SequenceNumber s = 1; s <= 30 * kInterval; ++s) {
    while ((*w)->try_append(make_event(s)) == AppendStatus::kFull)
      sched_yield();
    if (s % kInterval == 0) {
      const auto state = state_at(s, kSnapshotBytes);
      ASSERT_TRUE((*w)->write_snapshot(s, state, s).ok());
      worst = std::max(worst, (*w)->counters()["live_bytes"]);
    }
  }
  ASSERT_TRUE((*w)->close().ok());
  const JournalCounters c = (*w)->counters();
  EXPECT_GT(c["rolls"], 20u);
  EXPECT_GT(c["segments_deleted"], 10u);
  EXPECT_EQ(c["snapshots_kept"], 2u);
  EXPECT_EQ(c["snapshots_pruned"], 28u);
  EXPECT_EQ(c["retention_errors"], 0u);
  EXPECT_LE(worst, bound);
  std::uint64_t on_disk = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    if (e.is_regular_file() && e.path().filename() == "data.mdb") on_disk += e.file_size();
  }
  EXPECT_LE(on_disk, bound);
  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r) << r.error().message;
  SnapshotView view;
  bool found = false;
  ASSERT_TRUE((*r)->find_snapshot(~SequenceNumber{0}, view, found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(view.sequence, 30 * kInterval);
  const SequenceNumber oldest_kept = 29 * kInterval;
  EXPECT_LE((*r)->segments().front().first, oldest_kept + 1);
  r->reset();
  EXPECT_EQ(check_journal(dir.path(), oldest_kept + 1), 30 * kInterval);
}

TEST(JournalRetention, shouldArchiveOnItsOwnThreadWhileCommitsGoOn) {
  // The archive thread is held at the start of its first compression until the producer
  // has seen 2,000 more records committed: were the archive on the writer thread, nothing
  // would commit meanwhile and the test would time out in the wait below.
  TempDir dir;
  const std::string archive = dir.path() + "/archive";
  std::mutex m;
  std::condition_variable cv;
  bool archiving = false, release = false;
  WriterOptions wo = small_writer(1);
  wo.retention.archive_dir = archive;
  wo.retention.archive_start_hook = [&] {
    std::unique_lock lock(m);
    archiving = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  };
  auto w = JournalWriter<>::open(dir.path(), wo);
  ASSERT_TRUE(w) << w.error().message;
  SequenceNumber s = 0;
  auto push = [&](SequenceNumber upto) {
    while (s < upto) {
      if ((*w)->try_append(make_event(s + 1)) == AppendStatus::kOk) {
        ++s;
      } else {
        sched_yield();
      }
    }
  };
  push(3000);  // several segments
  ASSERT_TRUE((*w)->write_snapshot(3000, state_at(3000), 3000).ok());
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return archiving; }));
  }
  push(5000);
  while ((*w)->committed() < 5000)  // bounded by the writer: it commits while archiving waits
    sched_yield();
  EXPECT_EQ((*w)->counters()["segments_archived"], 0u);  // still held
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  // The writer thread finishes the held segment when it sees the archive thread done (its
  // idle loop looks); close() then cancels whatever compression came next.
  while ((*w)->counters()["segments_archived"] == 0)
    sched_yield();
  ASSERT_TRUE((*w)->close().ok());
  EXPECT_EQ((*w)->counters()["retention_errors"], 0u);
  // Every record still reads, archive first.
  auto r = Reader::open(dir.path(), ReaderOptions{archive, dir.path() + "/scratch"});
  ASSERT_TRUE(r) << r.error().message;
  RecordView view;
  SequenceNumber expected = 1;
  while ((*r)->next(view) == ReadStatus::kRecord) {
    ASSERT_EQ(view.sequence, expected);
    ++expected;
  }
  EXPECT_EQ(expected, s + 1) << (*r)->error().message;
}

TEST(JournalRetention, shouldCancelAnArchiveUnderWayAtCloseAndLeaveTheSegmentLive) {
  TempDir dir;
  const std::string from = dir.path() + "/big";
  {
    std::ofstream out(from, std::ios::binary);
    const std::vector<char> block(1 << 20, 'x');
    for (int i = 0; i < 8; ++i)
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
  }
  std::atomic<bool> cancel{true};
  std::uint64_t bytes = 0;
  const Error e = compress_file(from, dir.path() + "/big.zst", 1, bytes, &cancel);
  EXPECT_EQ(e.code, Errc::kClosed) << e.message;
  EXPECT_FALSE(fs::exists(dir.path() + "/big.zst"));
  EXPECT_FALSE(fs::exists(dir.path() + "/big.zst.part"));  // the partial file is removed
  ArchiveThread thread;
  thread.post({from, dir.path() + "/ok.zst", 1, {}});
  while (!thread.done())
    sched_yield();
  const ArchiveThread::Result done = thread.take();
  EXPECT_TRUE(done.error.ok()) << done.error.message;
  EXPECT_GT(done.bytes, 0u);
  EXPECT_FALSE(thread.busy());
  thread.stop();
}

}  // namespace
}  // namespace be::journal
