#include "feed/record/capture_writer.hpp"

#include <fcntl.h>
#include <liburing.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/crc32c.hpp"

namespace be::capture {

std::uint32_t frame_crc(const FrameHeader& header, const std::byte* payload) noexcept {
  const auto* bytes = reinterpret_cast<const std::byte*>(&header);
  const std::uint32_t crc = crc32c_extend(0, bytes + 4, 12);  // kind, channel, receive time
  return crc32c_extend(crc, payload, header.length);
}

namespace {

enum class BatchState : std::uint8_t { kFree, kFilling, kQueued, kInFlight };

struct Batch {
  std::unique_ptr<std::byte[]> data;
  std::size_t used = 0;
  std::uint64_t frames = 0;
  BatchState state = BatchState::kFree;
};

std::string errno_text(const char* what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

}  // namespace

struct CaptureWriter::Impl {
  int fd = -1;
  io_uring ring{};
  bool use_uring = false;
  CaptureWriterOptions options;
  std::vector<Batch> batches;
  std::vector<std::size_t> queue;  // FIFO of sealed batches (front = index 0); capacity reserved
  std::size_t current = SIZE_MAX;  // the batch being filled
  std::size_t in_flight = SIZE_MAX;
  std::size_t in_flight_written = 0;  // bytes of the in-flight batch already on file
  int cqes_pending = 0;
  bool write_failed_short = false;
  std::uint64_t offset = kFileHeaderSize;
  std::uint64_t frames_written = 0;
  CaptureWriterStats stats;
  std::string error;
  bool closed = false;

  bool fail(std::string why) {
    if (error.empty()) error = std::move(why);
    return false;
  }
  bool failed() const { return !error.empty(); }

  // Starts writing the rest of the in-flight batch at its file offset.
  bool start_write() {
    Batch& b = batches[in_flight];
    const std::byte* data = b.data.get() + in_flight_written;
    const std::size_t length = b.used - in_flight_written;
    const std::uint64_t at = offset + in_flight_written;
    if (!use_uring) {
      std::size_t done = 0;
      while (done < length) {
        const ssize_t n = ::pwrite(fd, data + done, length - done, static_cast<off_t>(at + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return fail(errno_text("capture write failed", n < 0 ? errno : EIO));
        done += static_cast<std::size_t>(n);
      }
      if (options.sync_each_batch && ::fdatasync(fd) != 0) {
        return fail(errno_text("capture fdatasync failed", errno));
      }
      in_flight_written = b.used;
      return finish_in_flight();
    }
    io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (sqe == nullptr) return fail("capture write failed: io_uring submission queue full");
    io_uring_prep_write(sqe, fd, data, static_cast<unsigned>(length), at);
    io_uring_sqe_set_data64(sqe, 0);
    cqes_pending = 1;
    if (options.sync_each_batch) {
      sqe->flags |= IOSQE_IO_LINK;  // the sync runs only after the write succeeded
      io_uring_sqe* sync = io_uring_get_sqe(&ring);
      if (sync == nullptr) return fail("capture write failed: io_uring submission queue full");
      io_uring_prep_fsync(sync, fd, IORING_FSYNC_DATASYNC);
      io_uring_sqe_set_data64(sync, 1);
      cqes_pending = 2;
    }
    const int submitted = io_uring_submit(&ring);
    if (submitted < 0) return fail(errno_text("io_uring_submit failed", -submitted));
    return true;
  }

  bool finish_in_flight() {
    Batch& b = batches[in_flight];
    offset += b.used;
    frames_written += b.frames;
    ++stats.batches_written;
    b.used = 0;
    b.frames = 0;
    b.state = BatchState::kFree;
    in_flight = SIZE_MAX;
    in_flight_written = 0;
    return true;
  }

  bool handle_cqe(io_uring_cqe* cqe) {
    const std::uint64_t tag = io_uring_cqe_get_data64(cqe);
    const int res = cqe->res;
    io_uring_cqe_seen(&ring, cqe);
    --cqes_pending;
    if (tag == 0) {  // the write
      if (res < 0) return fail(errno_text("capture write failed", -res));
      in_flight_written += static_cast<std::size_t>(res);
      write_failed_short = in_flight_written < batches[in_flight].used;
      if (res == 0) return fail("capture write failed: wrote 0 bytes (disk full?)");
    } else if (res < 0 && !(res == -ECANCELED && write_failed_short)) {
      return fail(errno_text("capture fdatasync failed", -res));
    }
    if (cqes_pending > 0) return true;
    if (write_failed_short) {  // a short write: the rest goes out as a new write
      write_failed_short = false;
      return start_write();
    }
    return finish_in_flight();
  }

  // Collects completions (waiting for one if `wait`) and starts the next queued write.
  bool pump(bool wait) {
    if (failed()) return false;
    if (use_uring && in_flight != SIZE_MAX) {
      io_uring_cqe* cqe = nullptr;
      int rc = wait ? io_uring_wait_cqe(&ring, &cqe) : io_uring_peek_cqe(&ring, &cqe);
      while (rc == 0 && cqe != nullptr) {
        if (!handle_cqe(cqe)) return false;
        if (in_flight == SIZE_MAX || cqes_pending == 0) break;
        cqe = nullptr;
        rc = wait ? io_uring_wait_cqe(&ring, &cqe) : io_uring_peek_cqe(&ring, &cqe);
      }
      if (rc < 0 && rc != -EAGAIN && rc != -EINTR) {
        return fail(errno_text("io_uring wait failed", -rc));
      }
    }
    if (in_flight == SIZE_MAX && !queue.empty()) {
      in_flight = queue.front();
      queue.erase(queue.begin());
      batches[in_flight].state = BatchState::kInFlight;
      return start_write();
    }
    return true;
  }

  bool seal_current() {
    if (current == SIZE_MAX || batches[current].used == 0) return true;
    batches[current].state = BatchState::kQueued;
    queue.push_back(current);  // capacity reserved for every batch: no allocation
    current = SIZE_MAX;
    return pump(false);
  }

  bool acquire_current() {
    if (current != SIZE_MAX) return true;
    for (;;) {
      for (std::size_t i = 0; i < batches.size(); ++i) {
        if (batches[i].state == BatchState::kFree) {
          batches[i].state = BatchState::kFilling;
          current = i;
          return true;
        }
      }
      ++stats.waits_for_buffer;
      if (!pump(true)) return false;
    }
  }
};

CaptureWriter::CaptureWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CaptureWriter::~CaptureWriter() {
  close();
}

Expected<std::unique_ptr<CaptureWriter>, std::string> CaptureWriter::create(
    const std::string& path, const CaptureWriterOptions& options, Nanos created) {
  if (options.batches < 2 || options.batch_bytes < 4096) {
    return Unexpected{std::string("capture writer needs at least 2 batches of 4 KiB")};
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (impl->fd < 0) return Unexpected{errno_text(("cannot create " + path).c_str(), errno)};

  FileHeader header;
  header.created = created;
  std::memcpy(header.venue.data(), options.venue.data(),
              std::min(options.venue.size(), header.venue.size() - 1));
  if (::pwrite(impl->fd, &header, sizeof(header), 0) != static_cast<ssize_t>(sizeof(header))) {
    const int e = errno;
    ::close(impl->fd);
    return Unexpected{errno_text(("cannot write the header of " + path).c_str(), e)};
  }
  impl->batches.resize(options.batches);
  for (Batch& b : impl->batches) {
    b.data = std::make_unique<std::byte[]>(options.batch_bytes);
  }
  impl->queue.reserve(options.batches);
  if (!options.force_pwrite) {
    impl->use_uring = io_uring_queue_init(8, &impl->ring, 0) == 0;
  }
  return std::unique_ptr<CaptureWriter>(new CaptureWriter(std::move(impl)));
}

bool CaptureWriter::append(FrameKind kind, std::uint16_t channel, Nanos receive_time,
                           std::span<const std::byte> payload) {
  Impl& s = *impl_;
  if (s.closed || s.failed()) return false;
  const std::size_t frame_size = padded_frame_size(payload.size());
  if (payload.size() > kMaxFramePayload || frame_size > s.options.batch_bytes) {
    ++s.stats.frames_refused;
    return false;
  }
  if (s.current != SIZE_MAX && s.batches[s.current].used + frame_size > s.options.batch_bytes) {
    if (!s.seal_current()) return false;
  }
  if (!s.acquire_current()) return false;
  Batch& b = s.batches[s.current];
  FrameHeader header;
  header.length = static_cast<std::uint32_t>(payload.size());
  header.kind = kind;
  header.channel = channel;
  header.receive_time = receive_time;
  header.crc = frame_crc(header, payload.data());
  std::byte* out = b.data.get() + b.used;
  std::memcpy(out, &header, sizeof(header));
  if (!payload.empty()) std::memcpy(out + sizeof(header), payload.data(), payload.size());
  std::memset(out + sizeof(header) + payload.size(), 0,
              frame_size - sizeof(header) - payload.size());
  b.used += frame_size;
  ++b.frames;
  ++s.stats.frames;
  s.stats.payload_bytes += payload.size();
  return true;
}

bool CaptureWriter::flush() {
  Impl& s = *impl_;
  if (s.closed || s.failed()) return false;
  return s.seal_current() && s.pump(false);
}

bool CaptureWriter::close() {
  Impl& s = *impl_;
  if (s.closed) return !s.failed();
  bool ok = s.seal_current();
  while (ok && (s.in_flight != SIZE_MAX || !s.queue.empty()))
    ok = s.pump(true);
  if (ok && ::fdatasync(s.fd) != 0) ok = s.fail(errno_text("capture fdatasync failed", errno));
  if (s.use_uring) io_uring_queue_exit(&s.ring);
  ::close(s.fd);
  s.closed = true;
  return ok && !s.failed();
}

std::uint64_t CaptureWriter::frames_written() const noexcept {
  return impl_->frames_written;
}
const CaptureWriterStats& CaptureWriter::stats() const noexcept {
  return impl_->stats;
}
const std::string& CaptureWriter::error() const noexcept {
  return impl_->error;
}
std::string_view CaptureWriter::backend() const noexcept {
  return impl_->use_uring ? "io_uring" : "pwrite";
}

}  // namespace be::capture
