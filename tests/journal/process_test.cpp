// The journal across processes: a reader following a journal another process writes, a
// writer hitting an I/O error (RLIMIT_FSIZE -> EFBIG), and crash safety under SIGKILL.
// Children are forked before any thread exists in the parent and leave with _exit().
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "tests/journal/journal_test_util.hpp"
#include "tests/support/crash_harness.hpp"

namespace be::journal {
namespace {

using test::check_journal;
using test::make_event;
using test::TempDir;
using Writer = JournalWriter<>;
using be::test::Child;
using be::test::read_all;
using be::test::spawn;
using be::test::wait_child;
using be::test::write_all;

struct Watermarks {
  SequenceNumber committed = 0;
  SequenceNumber durable = 0;
};

// ---- tail follow ------------------------------------------------------------------------

constexpr SequenceNumber kFollowRecords = 20'000;

[[noreturn]] void follow_child(const std::string& dir, int ready_fd) {
  // A small map so the writer grows it while the parent reads: the reader must adopt it.
  auto w = Writer::open(
      dir,
      {.durability = Durability::kNone, .group_max_records = 97, .initial_map_size = 256 * 1024});
  if (!w) ::_exit(10);
  for (SequenceNumber s = 1; s <= kFollowRecords; ++s) {
    const Event e = make_event(s);
    while ((*w)->try_append(e) == AppendStatus::kFull)
      sched_yield();
    if (s == 1) {
      while ((*w)->committed() < 1)
        sched_yield();
      const char ready = 'r';
      if (!write_all(ready_fd, &ready, 1)) ::_exit(11);
    }
  }
  if (!(*w)->close().ok()) ::_exit(12);
  ::_exit((*w)->stats().map_grows > 0 ? 0 : 13);
}

TEST(JournalTail, shouldFollowAJournalAnotherProcessIsWriting) {
  TempDir dir;
  const Child child = spawn([&](int fd) { follow_child(dir.path(), fd); });
  ASSERT_GE(child.pid, 0);
  const pid_t pid = child.pid;
  const int from_child = child.from_child;
  char ready = 0;
  ASSERT_TRUE(read_all(from_child, &ready, 1));
  ::close(from_child);

  auto r = Reader::open(dir.path());
  ASSERT_TRUE(r) << r.error().message;
  Reader& reader = **r;
  SequenceNumber expect = 1;
  std::uint64_t polls = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  RecordView v;
  while (expect <= kFollowRecords && std::chrono::steady_clock::now() < deadline) {
    const ReadStatus st = reader.next(v);
    if (st == ReadStatus::kRecord) {
      ASSERT_EQ(v.sequence, expect);
      Event e;
      ASSERT_TRUE(decode(v, e).ok());
      ASSERT_TRUE(test::same_event(make_event(expect), e));
      ++expect;
      continue;
    }
    ASSERT_EQ(st, ReadStatus::kEnd) << reader.error().message;
    ASSERT_TRUE(reader.refresh().ok()) << reader.error().message;  // poll: a new read txn
    ++polls;
    sched_yield();
  }
  EXPECT_EQ(expect, kFollowRecords + 1);
  EXPECT_GT(polls, 0u);
  const int status = wait_child(pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "child exit code (13: the map never grew)";
}

// ---- I/O failure --------------------------------------------------------------------------

[[noreturn]] void io_failure_child(const std::string& dir, int out_fd) {
  auto w = Writer::open(dir, {.durability = Durability::kSync, .group_max_records = 16});
  if (!w) ::_exit(20);
  Writer& writer = **w;
  SequenceNumber s = 1;
  for (; s <= 200; ++s) {  // some records before the limit
    while (writer.try_append(make_event(s)) == AppendStatus::kFull)
      sched_yield();
  }
  while (writer.durable() < 200)
    sched_yield();
  struct stat st {};
  if (::stat(test::head_data_file(dir).c_str(), &st) != 0) ::_exit(21);
  ::signal(SIGXFSZ, SIG_IGN);  // writes past the limit fail with EFBIG instead of killing us
  const rlimit lim{static_cast<rlim_t>(st.st_size) + 256 * 1024,
                   static_cast<rlim_t>(st.st_size) + 256 * 1024};
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(22);
  AppendStatus last = AppendStatus::kOk;
  for (;; ++s) {
    const Event e = make_event(s);
    while ((last = writer.try_append(e)) == AppendStatus::kFull)
      sched_yield();
    if (last != AppendStatus::kOk) break;
    if (s > 2'000'000) ::_exit(23);  // the limit never bit
  }
  Watermarks wm{writer.committed(), writer.durable()};
  const Error err = writer.error();
  const bool refuses = writer.try_append(make_event(s)) == AppendStatus::kFailed;
  const bool close_reports = writer.close().code == Errc::kIo;
  const std::uint32_t len = static_cast<std::uint32_t>(err.message.size());
  const char flags[2] = {static_cast<char>(refuses), static_cast<char>(close_reports)};
  if (!write_all(out_fd, &wm, sizeof wm) || !write_all(out_fd, flags, 2) ||
      !write_all(out_fd, &len, 4) || !write_all(out_fd, err.message.data(), len)) {
    ::_exit(24);
  }
  ::_exit(last == AppendStatus::kFailed && err.code == Errc::kIo ? 0 : 25);
}

TEST(JournalIoFailure, shouldStopIntakeWithAClearErrorAndKeepWhatWasDurable) {
  TempDir dir;
  const Child child = spawn([&](int fd) { io_failure_child(dir.path(), fd); });
  ASSERT_GE(child.pid, 0);
  const pid_t pid = child.pid;
  const int from_child = child.from_child;
  Watermarks wm;
  char flags[2] = {};
  std::uint32_t len = 0;
  std::string message;
  const bool got = read_all(from_child, &wm, sizeof wm) && read_all(from_child, flags, 2) &&
                   read_all(from_child, &len, 4);
  if (got) {
    message.resize(len);
    EXPECT_TRUE(read_all(from_child, message.data(), len));
  }
  ::close(from_child);
  const int status = wait_child(pid);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << message;
  ASSERT_TRUE(got);
  EXPECT_NE(message.find("File too large"), std::string::npos) << message;
  EXPECT_NE(message.find("commit of sequences"), std::string::npos) << message;
  EXPECT_TRUE(flags[0]) << "try_append after the failure must return kFailed";
  EXPECT_TRUE(flags[1]) << "close() must report the failure";
  EXPECT_GE(wm.durable, 200u);
  EXPECT_EQ(wm.durable, wm.committed);

  // Everything acknowledged is there, intact, and the journal opens again for writing.
  const SequenceNumber last = check_journal(dir.path());
  EXPECT_GE(last, wm.durable);
  auto w = Writer::open(dir.path(), {.durability = Durability::kSync});
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ((*w)->last_appended(), last);
  EXPECT_EQ((*w)->try_append(make_event(last + 1)), AppendStatus::kOk);
  EXPECT_TRUE((*w)->close().ok());
  EXPECT_EQ(check_journal(dir.path()), last + 1);
}

// ---- crash safety -------------------------------------------------------------------------

// Appends forever from where the journal ends, reporting watermarks whenever they move,
// until the parent kills it.
[[noreturn]] void crash_child(const std::string& dir, Durability mode,
                              const be::test::Reporter<Watermarks>& report) {
  auto w =
      Writer::open(dir, {.durability = mode, .group_max_records = 64, .async_sync_interval_ms = 1});
  if (!w) ::_exit(30);
  Writer& writer = **w;
  SequenceNumber s = writer.last_appended() + 1;
  Watermarks sent{writer.committed(), writer.durable()};
  report(sent);
  for (;; ++s) {
    const Event e = make_event(s);
    AppendStatus st;
    while ((st = writer.try_append(e)) == AppendStatus::kFull)
      sched_yield();
    if (st != AppendStatus::kOk) ::_exit(32);
    const Watermarks now{writer.committed(), writer.durable()};
    if (now.committed != sent.committed || now.durable != sent.durable) {
      report(now);  // a parent that is gone ends the child
      sent = now;
    }
  }
}

// Each round a child appends from where the journal ends (sync, async and none in turn) and
// is killed once it has committed a seeded random number of new records, then after a
// seeded random number of further watermark reports, so the kill lands anywhere in a commit
// (inside mdb_txn_commit included). ~15 kills per run through the crash harness (label
// "crash"), the seed rotating; scripts/soak-crash.sh runs thousands.
TEST(JournalCrash, shouldKeepEveryAcknowledgedRecordAcrossRandomKills) {
  TempDir dir;
  SequenceNumber max_committed = 0;
  SequenceNumber max_durable = 0;
  SequenceNumber start = 0;
  SequenceNumber target = 0;
  Durability mode = Durability::kSync;
  be::test::CrashScenario<Watermarks> scenario;
  scenario.default_kills = 15;
  scenario.schedule = {.max_delay_reports = 8};
  scenario.before_fork = [&](be::test::CrashRound& round) {
    mode = round.index % 3 == 0   ? Durability::kSync
           : round.index % 3 == 1 ? Durability::kAsync
                                  : Durability::kNone;
    start = max_committed;
    target = start + 1 + (*round.rng)() % 800;
  };
  scenario.child = [&](const be::test::CrashRound&, const auto& report) {
    crash_child(dir.path(), mode, report);
  };
  scenario.armed = [&](const Watermarks& wm) { return wm.committed >= target; };
  scenario.check = [&](const be::test::CrashRound& round, const std::vector<Watermarks>& reports) {
    for (const Watermarks& wm : reports) {
      max_committed = std::max(max_committed, wm.committed);
      if (mode != Durability::kNone) max_durable = std::max(max_durable, wm.durable);
    }
    // In order, CRC-valid, nothing half-written (the reader checks frames and contiguity),
    // and nothing the child reported is missing: a process kill loses no commit in any
    // mode, since committed pages are in the page cache.
    // Everything every tenth round and at the end; otherwise what this child added (and a
    // little before it): committed pages are copy-on-write, older ones are never rewritten.
    const bool full = round.index % 10 == 9 || round.index + 1 == round.kills;
    const SequenceNumber from = full || start < 64 ? 1 : start - 63;
    const SequenceNumber last = check_journal(dir.path(), from);
    ASSERT_FALSE(HasFailure()) << to_string(mode);
    ASSERT_GE(last, max_committed);
    ASSERT_GE(last, max_durable);
    max_committed = last;
  };
  be::test::run_crash_rounds(scenario);
  EXPECT_GT(max_committed, static_cast<SequenceNumber>(be::test::crash_settings(15).kills));
}

}  // namespace
}  // namespace be::journal
