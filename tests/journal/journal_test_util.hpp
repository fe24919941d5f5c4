// Shared helpers for the journal tests: temporary directories, deterministic events of every
// payload type (so a reader can recompute what it should find), and bounded waits.
#pragma once

#include <gtest/gtest.h>
#include <lmdb.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/event.hpp"
#include "journal/files.hpp"
#include "journal/layout.hpp"
#include "journal/reader.hpp"
#include "tests/journal/events.hpp"
#include "tests/support/crash_harness.hpp"
#include "tests/support/journal_paths.hpp"

namespace be::journal::test {

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/be_journal_XXXXXX";
    char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const char* name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

using be::test::head_data_file;  // tests/support/journal_paths.hpp
using be::test::head_segment;

// Raw LMDB surgery on a closed segment, or building one by hand (a test-only back door): runs
// fn(txn) in one write transaction of the environment in `dir`, then commits.
template <class Fn>
void with_raw_lmdb(const std::string& dir, Fn fn) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  mdb_env_set_maxdbs(env, 4);
  mdb_env_set_mapsize(env, std::size_t{64} << 20);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  fn(txn);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

// Compares a decoded event with the one that was appended; blobs by their bytes.
inline ::testing::AssertionResult same_event(const Event& want, const Event& got) {
  const EventHeader& a = want.header;
  const EventHeader& b = got.header;
  if (a.type != b.type || a.version != b.version || a.flags != b.flags || a.source != b.source ||
      a.sequence != b.sequence || a.event_time != b.event_time ||
      a.receive_time != b.receive_time) {
    return ::testing::AssertionFailure() << "header differs at sequence " << a.sequence;
  }
  if (a.type == EventType::kBlob) {
    const BlobRef x = want.as<BlobRef>();
    const BlobRef y = got.as<BlobRef>();
    if (x.blob_id != y.blob_id || x.kind != y.kind || x.size != y.size ||
        (x.size > 0 && std::memcmp(x.data, y.data, x.size) != 0)) {
      return ::testing::AssertionFailure() << "blob differs at sequence " << a.sequence;
    }
    return ::testing::AssertionSuccess();
  }
  if (std::memcmp(want.payload.data(), got.payload.data(), kPayloadCapacity) != 0) {
    return ::testing::AssertionFailure() << "payload differs at sequence " << a.sequence;
  }
  return ::testing::AssertionSuccess();
}

// Spins (yielding) until pred() or the deadline; returns pred()'s last value. A bounded
// wait on an observable condition, not a sleep standing in for synchronisation.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds limit = std::chrono::milliseconds(20000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return pred();
    sched_yield();
  }
  return true;
}

// Reads the journal from `first_expected` (its first record by default) and checks each
// record against make_event(). Returns the last sequence (0 when empty); records a test
// failure on any difference.
inline SequenceNumber check_journal(const std::string& dir, SequenceNumber first_expected = 1,
                                    bool big_blob = false, const ReaderOptions& options = {}) {
  auto reader = Reader::open(dir, options);
  EXPECT_TRUE(reader.has_value()) << (reader ? "" : reader.error().message);
  if (!reader) return 0;
  (*reader)->seek(first_expected);
  RecordView v;
  SequenceNumber expect = first_expected;
  ReadStatus st;
  while ((st = (*reader)->next(v)) == ReadStatus::kRecord) {
    EXPECT_EQ(v.sequence, expect);
    Event got;
    const Error e = decode(v, got);
    EXPECT_TRUE(e.ok()) << e.message;
    EXPECT_TRUE(same_event(make_event(v.sequence, big_blob), got));
    if (v.sequence != expect) return 0;
    ++expect;
  }
  EXPECT_EQ(st, ReadStatus::kEnd) << (*reader)->error().message;
  return expect - 1;
}

// ---- child processes (fork before any thread exists in the parent; children _exit) ------

// The crash harness's (tests/support/crash_harness.hpp): one fork-and-pipe helper for every
// test that runs a child process.
using be::test::Child;
using be::test::spawn;
using be::test::wait_child;

}  // namespace be::journal::test
