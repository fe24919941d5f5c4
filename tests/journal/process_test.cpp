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

namespace be::journal {
namespace {

using test::check_journal;
using test::Child;
using test::make_event;
using test::spawn;
using test::TempDir;
using test::wait_child;
using Writer = JournalWriter<>;

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
      if (!write_fully(ready_fd, &ready, 1)) ::_exit(11);
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
  ASSERT_TRUE(read_fully(from_child, &ready, 1));
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
  if (!write_fully(out_fd, &wm, sizeof wm) || !write_fully(out_fd, flags, 2) ||
      !write_fully(out_fd, &len, 4) || !write_fully(out_fd, err.message.data(), len)) {
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
  const bool got = read_fully(from_child, &wm, sizeof wm) && read_fully(from_child, flags, 2) &&
                   read_fully(from_child, &len, 4);
  if (got) {
    message.resize(len);
    EXPECT_TRUE(read_fully(from_child, message.data(), len));
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
[[noreturn]] void crash_child(const std::string& dir, Durability mode, int out_fd) {
  auto w =
      Writer::open(dir, {.durability = mode, .group_max_records = 64, .async_sync_interval_ms = 1});
  if (!w) ::_exit(30);
  Writer& writer = **w;
  SequenceNumber s = writer.last_appended() + 1;
  Watermarks sent{writer.committed(), writer.durable()};
  if (!write_fully(out_fd, &sent, sizeof sent)) ::_exit(31);
  for (;; ++s) {
    const Event e = make_event(s);
    AppendStatus st;
    while ((st = writer.try_append(e)) == AppendStatus::kFull)
      sched_yield();
    if (st != AppendStatus::kOk) ::_exit(32);
    const Watermarks now{writer.committed(), writer.durable()};
    if (now.committed != sent.committed || now.durable != sent.durable) {
      if (!write_fully(out_fd, &now, sizeof now)) ::_exit(33);  // parent gone: stop
      sent = now;
    }
  }
}

TEST(JournalCrash, shouldKeepEveryAcknowledgedRecordAcrossFiftyRandomKills) {
  TempDir dir;
  std::mt19937_64 rng(20261123);  // seeded: a failure replays the same kill schedule
  SequenceNumber max_committed = 0;
  SequenceNumber max_durable = 0;
  constexpr int kRounds = 50;
  for (int round = 0; round < kRounds; ++round) {
    const Durability mode = round % 3 == 0   ? Durability::kSync
                            : round % 3 == 1 ? Durability::kAsync
                                             : Durability::kNone;
    const Child child = spawn([&](int fd) { crash_child(dir.path(), mode, fd); });
    ASSERT_GE(child.pid, 0);
    const pid_t pid = child.pid;
    const int from_child = child.from_child;
    // Kill once the child has committed a random number of new records, after a random
    // extra spin so the kill lands anywhere in a commit (inside mdb_txn_commit included).
    const SequenceNumber start = max_committed;
    const SequenceNumber target = start + 1 + rng() % 800;
    const auto spin = std::chrono::microseconds(rng() % 3000);
    Watermarks wm;
    bool killed = false;
    while (read_fully(from_child, &wm, sizeof wm)) {
      max_committed = std::max(max_committed, wm.committed);
      if (mode != Durability::kNone) max_durable = std::max(max_durable, wm.durable);
      if (!killed && wm.committed >= target) {
        const auto until = std::chrono::steady_clock::now() + spin;
        while (std::chrono::steady_clock::now() < until) {
        }
        ::kill(pid, SIGKILL);
        killed = true;  // keep reading: reports written before death still count
      }
    }
    ::close(from_child);
    const int status = wait_child(pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "round " << round << ": child ended on its own, status " << status;

    // In order, CRC-valid, nothing half-written (the reader checks frames and contiguity),
    // and nothing the child reported is missing: a process kill loses no commit in any
    // mode, since committed pages are in the page cache.
    // Everything every tenth round and at the end; otherwise what this child added (and a
    // little before it): committed pages are copy-on-write, older ones are never rewritten.
    const bool full = round % 10 == 9;
    const SequenceNumber from = full || start < 64 ? 1 : start - 63;
    const SequenceNumber last = check_journal(dir.path(), from);
    ASSERT_FALSE(HasFailure()) << "round " << round << " (" << to_string(mode) << ")";
    ASSERT_GE(last, max_committed) << "round " << round;
    ASSERT_GE(last, max_durable) << "round " << round;
    max_committed = last;
  }
  EXPECT_GT(max_committed, static_cast<SequenceNumber>(kRounds));
}

}  // namespace
}  // namespace be::journal
