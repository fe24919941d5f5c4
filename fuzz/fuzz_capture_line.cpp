// libFuzzer target: the text capture reader. The input is parsed as one capture line and as a
// whole capture; every record must lie inside the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "feed/capture.hpp"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (const auto r = be::feed::parse_capture_line(input)) {
    // Every timed record has a positive time; only "configuration:" lines carry none.
    const bool timed = r->kind != be::feed::CaptureLineKind::kConfig;
    if (!inside(r->payload, input) || !inside(r->url, input) || (timed && r->receive_time <= 0)) {
      __builtin_trap();
    }
  }
  be::feed::TextCaptureReader text;
  text.assign(std::string(input), be::feed::Venue::kBinance);
  be::feed::CaptureRecord record;
  std::uint64_t records = 0;
  while (text.next(record))
    ++records;
  if (records + text.bad_lines() > text.lines()) __builtin_trap();
  return 0;
}
