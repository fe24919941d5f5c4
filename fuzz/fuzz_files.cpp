// libFuzzer target: the file and frame decoders. The first byte picks one: candle CSV,
// candle JSON, a stored journal frame (8-byte key, then the value), a binary capture file
// (written to an in-memory file and read back). Each must refuse damage with a reason and
// never read outside its input.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "feed/candle_file.hpp"
#include "feed/record/capture_reader.hpp"
#include "journal/format.hpp"

namespace {

void read_capture(const std::uint8_t* data, std::size_t size) {
  const int fd = memfd_create("fuzz-capture", MFD_CLOEXEC);
  if (fd < 0) return;
  if (size > 0 && write(fd, data, size) != static_cast<ssize_t>(size)) {
    close(fd);
    return;
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  auto reader = be::capture::CaptureReader::open(path);
  if (reader.has_value()) {
    be::capture::CapturedFrame frame;
    std::uint64_t total = 0;
    while (reader->next(frame))
      total += frame.payload.size();
    if (total > size) __builtin_trap();
    if (!reader->tail().clean && reader->tail().reason.empty()) __builtin_trap();
  } else if (reader.error().empty()) {
    __builtin_trap();
  }
  close(fd);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto* body = reinterpret_cast<const char*>(data) + 1;
  const std::string_view text(body, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto candles = be::replay::parse_candles_csv(text);
      if (!candles.has_value() && candles.error().message.empty()) __builtin_trap();
      break;
    }
    case 1: {
      auto candles = be::replay::parse_candles_json(text);
      if (!candles.has_value() && candles.error().message.empty()) __builtin_trap();
      break;
    }
    case 2: {
      if (size < 9) return 0;
      const auto* bytes = reinterpret_cast<const std::byte*>(data) + 1;
      be::journal::FrameView view;
      const auto status =
          be::journal::parse_frame(std::span(bytes, 8), std::span(bytes + 8, size - 9), view);
      if (status == be::journal::FrameStatus::kOk &&
          (view.payload.data() < bytes + 8 ||
           view.payload.data() + view.payload.size() > bytes + size - 1)) {
        __builtin_trap();
      }
      break;
    }
    default:
      read_capture(data + 1, size - 1);
      break;
  }
  return 0;
}
