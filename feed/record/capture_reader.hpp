// Reads a binary capture (capture_format.hpp) frame by frame, at memory speed.
//
// The file is mapped read-only once at open; frames are views into the mapping, valid until
// the reader is destroyed. The reader trusts nothing: every frame's length is checked
// against the file and its CRC is verified. At the first frame that is not whole (the torn
// tail a killed recorder leaves, or corruption) it stops, and tail() says where and why and
// how many bytes it ignored; everything before is returned. It never crashes on a hostile
// file. (A file truncated by another process while mapped would fault: captures are not
// written and read at the same time.)
//
// Thread-safety: one thread per reader.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "feed/record/capture_format.hpp"

namespace be::capture {

struct CapturedFrame {
  FrameKind kind = FrameKind::kReceived;
  std::uint16_t channel = 0;
  Nanos receive_time = 0;
  std::span<const std::byte> payload;
  std::uint64_t offset = 0;  // of the frame header in the file

  std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(payload.data()), payload.size()};
  }
};

struct CaptureTail {
  bool clean = true;         // the file ended exactly after a whole frame
  std::uint64_t offset = 0;  // where reading stopped
  std::uint64_t ignored_bytes = 0;
  std::string reason;  // empty when clean
};

class CaptureReader {
 public:
  // Errors: the file cannot be opened or mapped; it is not a botengine capture (bad magic);
  // its format version is not one this build reads; its header is truncated.
  static Expected<CaptureReader, std::string> open(const std::string& path);
  // True if the file starts with the capture magic (cheap sniffing for the CLI).
  static bool is_capture_file(const std::string& path) noexcept;

  CaptureReader(CaptureReader&& other) noexcept;
  CaptureReader& operator=(CaptureReader&& other) noexcept;
  CaptureReader(const CaptureReader&) = delete;
  CaptureReader& operator=(const CaptureReader&) = delete;
  ~CaptureReader();

  std::string_view venue() const noexcept;
  Nanos created() const noexcept;

  // The next whole frame; false at the end of the valid prefix (see tail()).
  bool next(CapturedFrame& frame) noexcept;
  void rewind() noexcept;
  const CaptureTail& tail() const noexcept { return tail_; }

 private:
  CaptureReader() = default;
  void release() noexcept;

  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t position_ = kFileHeaderSize;
  FileHeader header_{};
  CaptureTail tail_{};
};

}  // namespace be::capture
