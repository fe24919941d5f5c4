// Writes a binary capture (capture_format.hpp) through io_uring in batches.
//
// Frames are copied into one of a fixed number of batch buffers; a full batch (or one older
// than the caller's flush interval: see flush()) is handed to the kernel as one write at the
// next file offset. One write is in flight at a time, so the file always holds a prefix of
// what was appended. Memory is bounded by batch_bytes x batches: when every buffer is full or
// in flight, append() waits for the write in flight to complete (backpressure onto the
// recording thread; it never drops a frame silently).
//
// What a crash can lose: a SIGKILL loses the frames whose write has not completed: the
// batch in flight (io_uring cancels a pending request when its process dies, as the kill
// test in tests/record showed), the batch being filled, and queued batches if the disk fell
// behind: at most batches x batch_bytes, and with the recorder flushing every few ms, only
// the last few ms of data. frames_written() is the acknowledgement: a frame counted there is
// in the page cache and survives the process. A power loss also loses what the page cache
// held, unless sync_each_batch links an fdatasync behind every write.
//
// If io_uring is unavailable (io_uring_setup refused, as under some seccomp profiles) the
// writer uses pwrite on the same batches and says so in backend().
//
// Thread-safety: one thread calls every method. Errors: append/flush/close return false and
// error() says why (the first I/O error stops the writer: later appends are refused).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "feed/record/capture_format.hpp"

namespace be::capture {

struct CaptureWriterOptions {
  std::size_t batch_bytes = 1u << 20;
  std::size_t batches = 4;
  bool sync_each_batch = false;
  bool force_pwrite = false;  // for tests of the fallback path
  std::string venue;          // stored in the header, at most 15 characters kept
};

struct CaptureWriterStats {
  std::uint64_t frames = 0;
  std::uint64_t payload_bytes = 0;
  std::uint64_t batches_written = 0;
  std::uint64_t waits_for_buffer = 0;  // append had to wait for the disk
  std::uint64_t frames_refused = 0;    // oversized frames
};

class CaptureWriter {
 public:
  // Creates (or truncates) `path` and writes the file header.
  static Expected<std::unique_ptr<CaptureWriter>, std::string> create(
      const std::string& path, const CaptureWriterOptions& options, Nanos created);

  ~CaptureWriter();
  CaptureWriter(const CaptureWriter&) = delete;
  CaptureWriter& operator=(const CaptureWriter&) = delete;

  // Copies one frame into the current batch. False if the writer has failed or the frame is
  // larger than a batch or kMaxFramePayload (counted in frames_refused; the writer goes on).
  bool append(FrameKind kind, std::uint16_t channel, Nanos receive_time,
              std::span<const std::byte> payload);
  bool append(FrameKind kind, std::uint16_t channel, Nanos receive_time, std::string_view text) {
    return append(kind, channel, receive_time, std::as_bytes(std::span(text)));
  }

  // Hands the current batch to the kernel now (the recorder calls it every few ms so a quiet
  // feed is not held in memory) and collects finished writes without blocking.
  bool flush();
  // Flushes, waits for every write, fdatasyncs and closes. Idempotent.
  bool close();

  // Frames whose write has completed: a SIGKILL after this point cannot lose them.
  std::uint64_t frames_written() const noexcept;
  const CaptureWriterStats& stats() const noexcept;
  const std::string& error() const noexcept;
  std::string_view backend() const noexcept;  // "io_uring" or "pwrite"

  struct Impl;

 private:
  explicit CaptureWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace be::capture
