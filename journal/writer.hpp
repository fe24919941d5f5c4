// The journal writer: a dedicated thread that takes sequenced events from an SPSC queue and
// group-commits them into the journal (docs/ARCHITECTURE.md §2 and §5).
//
//   producer thread                          writer thread
//   try_append(e) --> [ EventQueue Q ] --> pop up to N records, or until T us passed since
//                                          the group's first record -> one LMDB write txn
//                                          -> committed watermark (-> durable watermark)
//
// Watermarks (monotonic, readable from any thread):
//   committed()  highest sequence whose write transaction committed: visible to readers and
//                safe against a crash of this process (it is in the OS page cache).
//   durable()    highest sequence that survives power loss under the durability mode:
//                kSync   = committed (each commit fsyncs first);
//                kAsync  = the committed watermark read just before the last mdb_env_sync
//                          (every async_sync_interval_ms, and at close());
//                kNone   = stays 0: nothing is ever synced.
// A producer that must not lose a record waits for the watermark of the mode it relies on;
// a BlobRef's bytes must stay alive until committed() reaches its sequence.
//
// Failure: a commit or sync error (disk full, EFBIG, EIO) stops the writer for good: error()
// names the sequences and the reason, try_append returns kFailed, and records not yet
// committed stay unacknowledged. MDB_MAP_FULL is not a failure: the map doubles and the same
// group is retried.
//
// Segments and retention (journal/journal.hpp): the writer thread rolls to a new segment
// between two group commits when the head reaches WriterOptions::segments' limits, and after
// each snapshot it prunes snapshots and retires (archives or deletes) the segments retention
// no longer needs, off the producer's path: a roll costs a few syncs (milliseconds) on the
// writer thread; an archive compresses whole segments (seconds) on the writer's archive thread
// ("be-archive", journal/archive.hpp), one segment at a time, while group commits go on; the
// writer thread only decides what leaves and removes it once its compressed copy is synced.
//
// Hot path after warm-up: try_append and the writer loop do not allocate, lock or throw;
// the writer thread's only syscalls are LMDB's writes and syncs and its idle back-off (and,
// once per segment, the roll's).
#pragma once

#include <array>
#include <atomic>
#include <concepts>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/agent.hpp"
#include "core/clock.hpp"
#include "core/names.hpp"
#include "core/spsc_ring.hpp"
#include "journal/archive.hpp"
#include "journal/journal.hpp"

namespace be::journal {

// The writer's input queue: one producer calls try_push, one consumer (the writer thread)
// calls try_pop; both non-blocking, allocation-free, false when full / empty. Constructible
// from a capacity. core/spsc_ring.hpp's SpscRing<Event> is the default; the concept lets the
// engine hand in the very ring that links its stages.
template <class Q>
concept EventQueue = std::constructible_from<Q, std::size_t> &&
    requires(Q& q, const Event& in, Event& out) {
  { q.try_push(in) } -> std::same_as<bool>;
  { q.try_pop(out) } -> std::same_as<bool>;
};

struct WriterOptions {
  Durability durability = Durability::kSync;
  // A write transaction holds at most this many records...
  std::size_t group_max_records = 1024;
  // ...and is committed at the latest this long after its first record was taken from the
  // queue. 0: commit as soon as the queue is momentarily empty (natural batching).
  std::int64_t group_max_wait_us = 0;
  // kAsync: mdb_env_sync period, which is what advances durable().
  std::int64_t async_sync_interval_ms = 10;
  std::size_t initial_map_size = std::size_t{64} << 20;
  std::size_t queue_capacity = std::size_t{1} << 16;
  SegmentOptions segments{};
  RetentionOptions retention{};
};

enum class AppendStatus : std::uint8_t {
  kOk,
  kFull,        // the queue is full: retry later (nothing was taken)
  kFailed,      // the writer failed; error() says why. Nothing more is accepted
  kClosed,      // close() was called
  kOutOfOrder,  // the sequence is not last_appended() + 1
  kInvalid,     // a kBlob larger than BlobRef::kMaxSize or with null data
};

inline constexpr std::array<Named<AppendStatus>, 6> kAppendStatusNames{{
    {AppendStatus::kOk, "ok"},
    {AppendStatus::kFull, "queue full"},
    {AppendStatus::kFailed, "journal failed"},
    {AppendStatus::kClosed, "journal closed"},
    {AppendStatus::kOutOfOrder, "sequence out of order"},
    {AppendStatus::kInvalid, "invalid record"},
}};
static_assert(names_every_code(kAppendStatusNames, 6));

inline const char* to_string(AppendStatus s) noexcept {
  return name_of(kAppendStatusNames, s).data();
}

struct WriterStats {
  std::uint64_t commits = 0;  // write transactions committed with events
  std::uint64_t records = 0;
  std::uint64_t syncs = 0;  // explicit mdb_env_sync calls (kAsync and close)
  std::uint64_t map_grows = 0;
};

template <EventQueue Q = SpscRing<Event>>
class JournalWriter {
 public:
  // Opens or creates the journal in `dir` and starts the writer thread. Errors: those of
  // Journal::open, and kInvalidArgument for nonsensical options.
  static Expected<std::unique_ptr<JournalWriter>, Error> open(const std::string& dir,
                                                              const WriterOptions& options) {
    const bool power_of_two =
        options.queue_capacity != 0 && (options.queue_capacity & (options.queue_capacity - 1)) == 0;
    if (options.group_max_records == 0 || options.queue_capacity < 2 || !power_of_two ||
        options.group_max_wait_us < 0 || options.async_sync_interval_ms < 0) {
      return Unexpected(Error{Errc::kInvalidArgument, 0,
                              "journal writer options: group_max_records must be positive, "
                              "queue_capacity a power of two >= 2, times non-negative"});
    }
    OpenOptions oo;
    oo.mode = OpenMode::kReadWriteCreate;
    oo.durability = options.durability;
    oo.initial_map_size = options.initial_map_size;
    oo.segments = options.segments;
    oo.retention = options.retention;
    auto journal = Journal::open(dir, oo);
    if (!journal) return Unexpected(journal.error());
    std::unique_ptr<JournalWriter> w(new JournalWriter(std::move(*journal), options));
    w->thread_ = std::thread([raw = w.get()] { raw->run(); });
    return w;
  }

  ~JournalWriter() { (void)close(); }
  JournalWriter(const JournalWriter&) = delete;
  JournalWriter& operator=(const JournalWriter&) = delete;

  // Producer thread only. Never blocks. The first record of an empty journal may carry any
  // sequence >= 1; every later one must be last_appended() + 1.
  AppendStatus try_append(const Event& e) noexcept {
    if (failed_.load(std::memory_order_acquire)) return AppendStatus::kFailed;
    if (closed_.load(std::memory_order_relaxed)) return AppendStatus::kClosed;
    const SequenceNumber seq = e.header.sequence;
    if (last_appended_ == 0 ? seq == 0 : seq != last_appended_ + 1) {
      return AppendStatus::kOutOfOrder;
    }
    if (e.header.type == EventType::kBlob) {
      const BlobRef b = e.as<BlobRef>();
      if (b.size > BlobRef::kMaxSize || (b.size > 0 && b.data == nullptr)) {
        return AppendStatus::kInvalid;
      }
    }
    if (!queue_.try_push(e)) return AppendStatus::kFull;
    std::atomic_ref(last_appended_).store(seq, std::memory_order_relaxed);  // write_snapshot
    return AppendStatus::kOk;
  }

  SequenceNumber committed() const noexcept { return committed_.load(std::memory_order_acquire); }
  SequenceNumber durable() const noexcept { return durable_.load(std::memory_order_acquire); }
  // Producer thread only: the last sequence accepted by try_append (or in the journal at open).
  SequenceNumber last_appended() const noexcept { return last_appended_; }
  bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }

  // The failure, once failed() is true; kOk before. Any thread.
  Error error() const {
    if (!failed()) return {};
    return error_;  // written once, before failed_ is released
  }

  WriterStats stats() const noexcept {
    WriterStats s;
    s.commits = commits_.load(std::memory_order_relaxed);
    s.records = records_.load(std::memory_order_relaxed);
    s.syncs = syncs_.load(std::memory_order_relaxed);
    s.map_grows = map_grows_.load(std::memory_order_relaxed);
    return s;
  }

  const MetaInfo& meta() const noexcept { return journal_->meta(); }
  // Segment, snapshot and archive counters for metrics. Any thread.
  JournalCounters counters() const noexcept { return journal_->counters(); }
  Durability durability() const noexcept { return options_.durability; }

  // Cold path, the producer thread or one other (the engine's replica): stores a snapshot
  // taken after applying `sequence`, once the writer has committed every event up to it;
  // blocks until it is written (and synced in kSync mode). Errors: kInvalidArgument (sequence
  // above last_appended()), kClosed, and Journal::put_snapshot's.
  Error write_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                       std::uint64_t state_hash) {
    const SequenceNumber appended = std::atomic_ref(last_appended_).load(std::memory_order_relaxed);
    if (sequence > appended) {
      return Error{Errc::kInvalidArgument, sequence,
                   "snapshot at sequence " + std::to_string(sequence) +
                       " is ahead of the last appended event " + std::to_string(appended)};
    }
    return on_writer_thread(
        sequence, true, [&](Journal& j) { return j.put_snapshot(sequence, state, state_hash); });
  }

  // Cold path, producer thread: pins or unpins a snapshot (journal/journal.hpp), on the
  // writer thread; blocks until done. Errors: those of Journal::pin_snapshot/unpin_snapshot.
  Error pin_snapshot(SequenceNumber sequence) {
    return on_writer_thread(0, false, [&](Journal& j) { return j.pin_snapshot(sequence); });
  }
  Error unpin_snapshot(SequenceNumber sequence) {
    return on_writer_thread(0, true, [&](Journal& j) { return j.unpin_snapshot(sequence); });
  }

  // Stops intake, commits everything already queued, syncs (kSync and kAsync), joins the
  // thread. Returns the failure if the writer failed. Idempotent; not concurrent with
  // try_append.
  Error close() {
    if (!closed_.exchange(true)) {
      stop_.store(true, std::memory_order_release);
      if (thread_.joinable()) thread_.join();
      // A compression under way is cancelled: the segment stays live and the next run's
      // retention pass archives it again.
      archiver_.stop();
    }
    return error();
  }

 private:
  // Work the producer hands to the writer thread: run once committed() reaches `sequence`;
  // then, with `retain`, a retention pass (prune and retire) after the producer is released.
  struct Request {
    SequenceNumber sequence = 0;
    bool retain = false;
    std::function<Error(Journal&)> work;
    bool done = false;
    Error result;
  };

  Error on_writer_thread(SequenceNumber sequence, bool retain,
                         std::function<Error(Journal&)> work) {
    if (failed()) return error();
    if (closed_.load(std::memory_order_relaxed)) return Error{Errc::kClosed, 0, "writer closed"};
    std::unique_lock lock(snapshot_mutex_);
    snapshot_ = Request{sequence, retain, std::move(work), false, {}};
    snapshot_pending_.store(true, std::memory_order_release);
    snapshot_cv_.wait(lock, [&] { return snapshot_.done; });
    return snapshot_.result;
  }

  JournalWriter(std::unique_ptr<Journal> journal, const WriterOptions& options)
      : options_(options),
        journal_(std::move(journal)),
        queue_(options.queue_capacity),
        batch_(options.group_max_records) {
    const SequenceNumber last = journal_->last_sequence_at_open();
    last_appended_ = last;
    committed_.store(last, std::memory_order_relaxed);
    // What was in the journal at open is durable unless the mode never syncs.
    durable_.store(options.durability == Durability::kNone ? 0 : last, std::memory_order_relaxed);
  }

  void fail(Error e) {
    error_ = std::move(e);
    failed_.store(true, std::memory_order_release);
  }

  bool commit(std::size_t n) noexcept {
    Error e = journal_->commit_group(std::span<const Event>(batch_.data(), n));
    map_grows_.store(journal_->map_grows(), std::memory_order_relaxed);
    if (!e.ok()) {
      fail(std::move(e));
      return false;
    }
    const SequenceNumber last = batch_[n - 1].header.sequence;
    commits_.fetch_add(1, std::memory_order_relaxed);
    records_.fetch_add(n, std::memory_order_relaxed);
    committed_.store(last, std::memory_order_release);
    if (options_.durability == Durability::kSync) durable_.store(last, std::memory_order_release);
    return true;
  }

  bool sync_now() noexcept {
    const SequenceNumber upto = committed_.load(std::memory_order_relaxed);
    Error e = journal_->sync();
    if (!e.ok()) {
      fail(std::move(e));
      return false;
    }
    syncs_.fetch_add(1, std::memory_order_relaxed);
    durable_.store(upto, std::memory_order_release);
    last_sync_ns_ = monotonic_now();
    return true;
  }

  void serve_snapshot() {
    bool retain = false;
    {
      std::lock_guard lock(snapshot_mutex_);
      snapshot_.result = snapshot_.work(*journal_);
      retain = snapshot_.retain && snapshot_.result.ok();
      snapshot_.work = nullptr;
      snapshot_.done = true;
      snapshot_pending_.store(false, std::memory_order_relaxed);
      snapshot_cv_.notify_all();
    }
    // After the producer is released: a failed retention pass is counted by the journal
    // (counters()["retention_errors"]), never a failure of the log itself.
    if (retain) {
      (void)journal_->prune_snapshots();
      advance_retirement();
    }
  }

  // Retires what retention lets go: deletions here, compressions on the archive thread, one
  // at a time; called after each snapshot and when the archive thread finishes a segment.
  // A failure leaves the segment live until the next snapshot's pass.
  void advance_retirement() {
    if (archiver_.busy()) {
      if (!archiver_.done()) return;
      const ArchiveThread::Result done = archiver_.take();
      if (!journal_->finish_retirement(archiving_, done.error, done.bytes).ok()) return;
    }
    for (;;) {
      std::optional<Retirement> next;
      if (!journal_->begin_retirement(next).ok() || !next) return;
      if (next->archive_file.empty()) {
        if (!journal_->finish_retirement(*next, {}, 0).ok()) return;
        continue;
      }
      archiving_ = std::move(*next);
      const RetentionOptions& retention = journal_->options().retention;
      archiver_.post({archiving_.data_file, archiving_.archive_file, retention.zstd_level,
                      retention.archive_start_hook});
      return;
    }
  }

  void idle(unsigned& idle_rounds) noexcept {
    // Back-off: spin briefly (a record may be microseconds away), then yield, then sleep in
    // short slices so an idle journal costs no CPU on a 2-core box.
    ++idle_rounds;
    if (idle_rounds < 64) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    } else if (idle_rounds < 256) {
      std::this_thread::yield();
    } else {
      timespec ts{0, 50'000};
      nanosleep(&ts, nullptr);
    }
  }

  void run() {
    place_current_thread(ThreadRole::kJournal);  // "be-journal", on its configured CPUs
    const std::size_t max_n = options_.group_max_records;
    const Nanos max_wait = options_.group_max_wait_us * 1000;
    const Nanos sync_period = options_.async_sync_interval_ms * 1'000'000;
    const bool async = options_.durability == Durability::kAsync;
    std::size_t n = 0;
    Nanos group_start = 0;
    unsigned idle_rounds = 0;
    last_sync_ns_ = monotonic_now();
    for (;;) {
      // Read before draining: once stop is seen, one more drain takes everything pushed
      // before close() was called.
      const bool stopping = stop_.load(std::memory_order_acquire);
      if (snapshot_pending_.load(std::memory_order_acquire)) {
        if (n > 0 && !commit(n)) break;
        n = 0;
        if (snapshot_.sequence <= committed_.load(std::memory_order_relaxed)) {
          serve_snapshot();
        }
      }
      if (archiver_.busy() && archiver_.done()) advance_retirement();
      bool popped = false;
      while (n < max_n && queue_.try_pop(batch_[n])) {
        if (n == 0) group_start = monotonic_now();
        ++n;
        popped = true;
      }
      if (n > 0) {
        const bool due =
            n == max_n || stopping || max_wait == 0 || monotonic_now() - group_start >= max_wait;
        if (due) {
          if (!commit(n)) break;
          n = 0;
          idle_rounds = 0;
          continue;
        }
      }
      if (async &&
          durable_.load(std::memory_order_relaxed) < committed_.load(std::memory_order_relaxed)) {
        if (monotonic_now() - last_sync_ns_ >= sync_period && !sync_now()) break;
      }
      if (stopping && n == 0 && !popped) {
        if (options_.durability != Durability::kNone &&
            durable_.load(std::memory_order_relaxed) < committed_.load(std::memory_order_relaxed)) {
          (void)sync_now();
        }
        break;
      }
      if (!popped) idle(idle_rounds);
    }
    // A failed writer still answers a waiting snapshot request.
    if (snapshot_pending_.load(std::memory_order_acquire)) {
      std::lock_guard lock(snapshot_mutex_);
      snapshot_.result = failed() ? error_ : Error{Errc::kClosed, 0, "writer closed"};
      snapshot_.done = true;
      snapshot_pending_.store(false, std::memory_order_relaxed);
      snapshot_cv_.notify_all();
    }
  }

  const WriterOptions options_;
  std::unique_ptr<Journal> journal_;
  Q queue_;
  std::vector<Event> batch_;  // writer thread only; sized once

  SequenceNumber last_appended_ = 0;  // written by the producer only (atomically: see above)
  Nanos last_sync_ns_ = 0;            // writer thread only

  alignas(64) std::atomic<SequenceNumber> committed_{0};
  alignas(64) std::atomic<SequenceNumber> durable_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> stop_{false};
  std::atomic<bool> closed_{false};
  Error error_;
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> records_{0};
  std::atomic<std::uint64_t> syncs_{0};
  std::atomic<std::uint64_t> map_grows_{0};

  std::atomic<bool> snapshot_pending_{false};
  std::mutex snapshot_mutex_;
  std::condition_variable snapshot_cv_;
  Request snapshot_;

  ArchiveThread archiver_;  // writer thread only (but close(), after the writer thread ended)
  Retirement archiving_;    // the segment the archive thread is compressing

  std::thread thread_;
};

}  // namespace be::journal
