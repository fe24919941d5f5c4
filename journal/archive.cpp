#include "journal/archive.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "core/agent.hpp"
#include "journal/files.hpp"
#include "journal/layout.hpp"

namespace be::journal {
namespace {

Error os_error(const std::string& what, const std::string& path) {
  return Error{Errc::kIo, 0, what + " " + path + ": " + std::strerror(errno)};
}

// Reads up to `n` bytes; returns the count (0 at end), -1 on error.
ssize_t read_some(int fd, void* buf, std::size_t n) {
  for (;;) {
    const ssize_t r = ::read(fd, buf, n);
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

// Streams `from` through `step` into `to`.part, then fsync, rename and directory fsync.
// `step(in, out, at_end)` consumes input and produces output; returns an error text or "".
template <class Step>
Error transform_file(const std::string& from, const std::string& to, std::size_t in_size,
                     std::size_t out_size, Step&& step, const std::atomic<bool>* cancel = nullptr) {
  Fd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (in.get() < 0) return os_error("cannot open", from);
  const std::string part = to + ".part";
  Error result;
  {
    Fd out(::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) return os_error("cannot create", part);
    std::vector<char> ibuf(in_size);
    std::vector<char> obuf(out_size);
    for (bool at_end = false; !at_end && result.ok();) {
      if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
        result = Error{Errc::kClosed, 0, "archiving " + from + " cancelled"};
        break;
      }
      const ssize_t got = read_some(in.get(), ibuf.data(), ibuf.size());
      if (got < 0) {
        result = os_error("cannot read", from);
        break;
      }
      at_end = got == 0;
      ZSTD_inBuffer input{ibuf.data(), static_cast<std::size_t>(got), 0};
      bool more = true;
      while (more && result.ok()) {
        ZSTD_outBuffer output{obuf.data(), obuf.size(), 0};
        std::string why;
        more = step(input, output, at_end, why);
        if (!why.empty()) {
          result = Error{Errc::kCorrupt, 0, from + ": " + why};
        } else if (!write_fully(out.get(), obuf.data(), output.pos)) {
          result = os_error("cannot write", part);
        }
      }
    }
    if (result.ok() && ::fsync(out.get()) != 0) result = os_error("fsync of", part);
  }
  if (result.ok() && std::rename(part.c_str(), to.c_str()) != 0) {
    result = os_error("cannot rename " + part + " to", to);
  }
  if (!result.ok()) {
    ::unlink(part.c_str());
    return result;
  }
  const auto slash = to.find_last_of('/');
  return sync_directory(slash == std::string::npos ? "." : to.substr(0, slash));
}

}  // namespace

Error compress_file(const std::string& from, const std::string& to, int level,
                    std::uint64_t& bytes_out, const std::atomic<bool>* cancel) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  if (!cctx) return Error{Errc::kIo, 0, "zstd: cannot create a compression context"};
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 1);
  bytes_out = 0;
  Error e = transform_file(
      from, to, ZSTD_CStreamInSize(), ZSTD_CStreamOutSize(),
      [&](ZSTD_inBuffer& in, ZSTD_outBuffer& out, bool at_end, std::string& why) {
        const std::size_t left =
            ZSTD_compressStream2(cctx.get(), &out, &in, at_end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left)) {
          why = std::string("zstd compression failed: ") + ZSTD_getErrorName(left);
          return false;
        }
        bytes_out += out.pos;
        // Continue while input remains, or (at the end) while zstd still has output
        // to flush.
        return at_end ? left != 0 : in.pos < in.size;
      },
      cancel);
  if (!e.ok() && e.code == Errc::kCorrupt) e.code = Errc::kIo;  // compression never sees bad data
  return e;
}

Error decompress_file(const std::string& from, const std::string& to) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!dctx) return Error{Errc::kIo, 0, "zstd: cannot create a decompression context"};
  std::size_t last_hint = 0;
  Error e = transform_file(
      from, to, ZSTD_DStreamInSize(), ZSTD_DStreamOutSize(),
      [&](ZSTD_inBuffer& in, ZSTD_outBuffer& out, bool at_end, std::string& why) {
        if (at_end) {
          // No more input: a frame still open means the archive was cut short.
          if (last_hint != 0) why = "the archive is truncated (zstd frame incomplete)";
          return false;
        }
        last_hint = ZSTD_decompressStream(dctx.get(), &out, &in);
        if (ZSTD_isError(last_hint)) {
          why = std::string("zstd decompression failed: ") + ZSTD_getErrorName(last_hint);
          return false;
        }
        // Continue while input remains or the output buffer came back full (more to flush).
        return in.pos < in.size || out.pos == out.size;
      });
  return e;
}

void ArchiveThread::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
  }
  busy_ = true;
  if (!thread_.joinable()) {
    thread_ = std::thread([this] { run(); });
  }
  wake_.notify_one();
}

ArchiveThread::Result ArchiveThread::take() {
  std::lock_guard lock(mutex_);
  Result r = std::move(result_);
  result_ = {};
  done_.store(false, std::memory_order_relaxed);
  busy_ = false;
  return r;
}

void ArchiveThread::stop() noexcept {
  stopping_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(mutex_);  // no wake-up lost between the check and the wait
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ArchiveThread::run() {
  place_current_thread(ThreadRole::kArchive);  // "be-archive", on its configured CPUs
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_.load(std::memory_order_acquire) || job_.has_value(); });
    if (stopping_.load(std::memory_order_acquire)) return;
    const Job job = std::move(*job_);
    job_.reset();
    lock.unlock();
    Result r;
    if (job.before) job.before();
    r.error = compress_file(job.from, job.to, job.level, r.bytes, &stopping_);
    lock.lock();
    result_ = std::move(r);
    done_.store(true, std::memory_order_release);
  }
}

}  // namespace be::journal
