// Archived segments: a sealed segment's data.mdb compressed with zstd (libzstd) into the
// archive directory, and decompressed again to a scratch directory for reading, since LMDB
// reads only a mapped file (docs/JOURNAL.md "Retention and archive").
//
// Both stream through fixed buffers (ZSTD_CStreamInSize/OutSize, about 128 KiB each): memory
// does not grow with the segment. Writes go to "<target>.part", are fsynced, then renamed over
// the target and the directory fsynced, so a crash leaves the old target or the whole new one.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "journal/error.hpp"

namespace be::journal {

// Compresses `from` into `to` at zstd `level` (1..19). `bytes_out` receives the compressed
// size. Errors: kIo (naming the file and errno, or zstd's reason); kClosed when `cancel` was
// set meanwhile (checked between blocks; the partial file is removed).
Error compress_file(const std::string& from, const std::string& to, int level,
                    std::uint64_t& bytes_out, const std::atomic<bool>* cancel = nullptr);
// Decompresses `from` (a zstd frame sequence) into `to`. Errors: kIo, kCorrupt (zstd refused
// the data: a damaged or truncated archive, named).
Error decompress_file(const std::string& from, const std::string& to);

// A thread that compresses one file at a time for JournalWriter, so that archiving a segment
// (seconds for hundreds of MiB) never holds up group commits (docs/JOURNAL.md). The owner
// posts a job, polls done() (one relaxed load) and takes the result; started on the first job.
// Thread-safety: post/done/take/stop from one owning thread.
class ArchiveThread {
 public:
  struct Job {
    std::string from, to;
    int level = 1;
    std::function<void()> before;  // tests: called on the archive thread before compressing
  };
  struct Result {
    Error error;
    std::uint64_t bytes = 0;
  };
  ArchiveThread() = default;
  ~ArchiveThread() { stop(); }
  ArchiveThread(const ArchiveThread&) = delete;
  ArchiveThread& operator=(const ArchiveThread&) = delete;

  // Requires !busy(). Allocates and may start the thread: cold path.
  void post(Job job);
  bool busy() const noexcept { return busy_; }
  bool done() const noexcept { return done_.load(std::memory_order_acquire); }
  // Requires done(); the thread is then idle again.
  Result take();
  // Cancels a compression under way (its partial file is removed) and joins the thread.
  void stop() noexcept;

 private:
  void run();

  bool busy_ = false;  // owner thread only
  std::atomic<bool> done_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> job_;  // guarded by mutex_
  Result result_;           // guarded by mutex_
  std::thread thread_;
};

}  // namespace be::journal
