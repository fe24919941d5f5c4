#include "feed/capture.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace be::feed {

std::string_view to_string(Venue venue) noexcept {
  switch (venue) {
    case Venue::kUnknown:
      return "unknown";
    case Venue::kBinance:
      return "binance";
    case Venue::kBinanceUs:
      return "binance_us";
    case Venue::kCoinbase:
      return "coinbase";
    case Venue::kKraken:
      return "kraken";
  }
  return "unknown";
}

Venue venue_from_name(std::string_view name) noexcept {
  std::array<char, 16> lower{};
  if (name.size() > lower.size()) return Venue::kUnknown;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  }
  const std::string_view n(lower.data(), name.size());
  if (n == "binance") return Venue::kBinance;
  if (n == "binance_us") return Venue::kBinanceUs;
  if (n == "coinbase") return Venue::kCoinbase;
  if (n == "kraken") return Venue::kKraken;
  return Venue::kUnknown;
}

Venue venue_from_capture_name(std::string_view path) noexcept {
  if (const auto slash = path.rfind('/'); slash != std::string_view::npos) {
    path.remove_prefix(slash + 1);
  }
  return venue_from_name(path.substr(0, path.find('.')));
}

std::string_view to_string(CaptureError e) noexcept {
  switch (e) {
    case CaptureError::kEmptyLine:
      return "empty line";
    case CaptureError::kMalformedLine:
      return "malformed capture line";
    case CaptureError::kBadTimestamp:
      return "bad capture timestamp";
  }
  return "unknown capture error";
}

Expected<Nanos, CaptureError> parse_capture_time(std::string_view text) noexcept {
  std::int64_t seconds = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] != '.'; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9' || seconds > 9'000'000'000LL) {
      return Unexpected{CaptureError::kBadTimestamp};
    }
    seconds = seconds * 10 + (c - '0');
  }
  if (i == 0) return Unexpected{CaptureError::kBadTimestamp};
  std::int64_t fraction = 0;
  int places = 0;
  if (i < text.size()) {
    ++i;
    if (i == text.size()) return Unexpected{CaptureError::kBadTimestamp};
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c < '0' || c > '9') return Unexpected{CaptureError::kBadTimestamp};
      if (places < 9) {
        fraction = fraction * 10 + (c - '0');
        ++places;
      }
    }
  }
  for (; places < 9; ++places)
    fraction *= 10;
  const Nanos ns = seconds * 1'000'000'000LL + fraction;
  if (ns <= 0) return Unexpected{CaptureError::kBadTimestamp};
  return ns;
}

Expected<CaptureRecord, CaptureError> parse_capture_line(std::string_view line) noexcept {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return Unexpected{CaptureError::kEmptyLine};
  CaptureRecord r;
  std::string_view rest = line;
  if (line.starts_with("configuration: ")) {
    r.kind = CaptureLineKind::kConfig;
    r.payload = line.substr(15);
    return r;
  }
  if (line.front() < '0' || line.front() > '9') {
    // "<url> <op> <time>[: payload]"
    const std::size_t space = line.find(' ');
    if (space == std::string_view::npos) return Unexpected{CaptureError::kMalformedLine};
    r.url = line.substr(0, space);
    rest = line.substr(space + 1);
    if (rest.starts_with("<-> ")) {
      r.kind = CaptureLineKind::kConnect;
      const auto t = parse_capture_time(rest.substr(4));
      if (!t) return Unexpected{t.error()};
      r.receive_time = *t;
      return r;
    }
    if (rest.starts_with("<- ")) {
      r.kind = CaptureLineKind::kSent;
      rest.remove_prefix(3);
    } else if (rest.starts_with("-> ")) {
      r.kind = CaptureLineKind::kHttp;
      rest.remove_prefix(3);
    } else {
      return Unexpected{CaptureError::kMalformedLine};
    }
  }
  const std::size_t colon = rest.find(": ");
  if (colon == std::string_view::npos) return Unexpected{CaptureError::kMalformedLine};
  const auto t = parse_capture_time(rest.substr(0, colon));
  if (!t) return Unexpected{t.error()};
  r.receive_time = *t;
  r.payload = rest.substr(colon + 2);
  return r;
}

bool TextCaptureReader::open(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return false;
  }
  assign(std::move(buffer).str(), venue_from_capture_name(path));
  return true;
}

void TextCaptureReader::assign(std::string text, Venue venue) {
  text_ = std::move(text);
  venue_ = venue;
  position_ = 0;
  lines_ = 0;
  bad_lines_ = 0;
}

bool TextCaptureReader::next(CaptureRecord& out) noexcept {
  while (position_ < text_.size()) {
    const std::size_t end = text_.find('\n', position_);
    const std::size_t stop = end == std::string::npos ? text_.size() : end;
    const std::string_view line(text_.data() + position_, stop - position_);
    position_ = stop + 1;
    ++lines_;
    const auto record = parse_capture_line(line);
    if (record) {
      out = *record;
      return true;
    }
    if (record.error() != CaptureError::kEmptyLine) ++bad_lines_;
  }
  return false;
}

// ---- binary capture ------------------------------------------------------------------------

namespace {

constexpr std::array<std::uint32_t, 256> make_crc32c_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrc32cTable = make_crc32c_table();

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // little-endian hosts only (x86-64, aarch64)
  out.append(bytes, sizeof(T));
}

template <class T>
T get(const char* p) noexcept {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

constexpr std::size_t padded8(std::size_t n) noexcept {
  return (n + 7) & ~std::size_t{7};
}

}  // namespace

std::uint32_t crc32c(std::uint32_t crc, const void* data, std::size_t size) noexcept {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < size; ++i)
    crc = kCrc32cTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

std::string_view to_string(BinaryCaptureError e) noexcept {
  switch (e) {
    case BinaryCaptureError::kNone:
      return "ok";
    case BinaryCaptureError::kShortHeader:
      return "file shorter than the 64-byte header";
    case BinaryCaptureError::kBadMagic:
      return "not a botengine capture (bad magic)";
    case BinaryCaptureError::kUnsupportedVersion:
      return "unsupported capture version";
    case BinaryCaptureError::kTornFrame:
      return "file ends inside a frame (torn write)";
    case BinaryCaptureError::kBadCrc:
      return "frame CRC32C mismatch";
    case BinaryCaptureError::kOversizedFrame:
      return "frame length above the 16 MiB maximum";
  }
  return "unknown binary capture error";
}

void append_binary_header(std::string& out, const BinaryCaptureHeader& header) {
  const std::size_t start = out.size();
  out.append(kBinaryCaptureMagic, sizeof(kBinaryCaptureMagic));
  put<std::uint16_t>(out, header.version);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(kBinaryCaptureHeaderSize));
  put<std::uint32_t>(out, header.flags);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(header.venue));
  put<std::uint16_t>(out, 0);
  put<std::uint32_t>(out, 0);
  put<std::int64_t>(out, header.created_ns);
  out.append(header.stream.data(), header.stream.size());
  out.resize(start + kBinaryCaptureHeaderSize, '\0');
}

void append_binary_frame(std::string& out, Nanos receive_time, CaptureLineKind kind,
                         std::string_view payload) {
  const std::size_t start = out.size();
  put<std::int64_t>(out, receive_time);
  put<std::uint32_t>(out, static_cast<std::uint32_t>(payload.size()));
  put<std::uint8_t>(out, static_cast<std::uint8_t>(kind));
  put<std::uint8_t>(out, 0);
  put<std::uint16_t>(out, 0);
  out.append(payload);
  put<std::uint32_t>(out, crc32c(0, out.data() + start, out.size() - start));
  out.resize(start + padded8(out.size() - start), '\0');
}

BinaryCaptureReader::BinaryCaptureReader(std::string_view bytes) noexcept : bytes_(bytes) {
  if (bytes.size() < kBinaryCaptureHeaderSize) {
    header_error_ = BinaryCaptureError::kShortHeader;
  } else if (std::memcmp(bytes.data(), kBinaryCaptureMagic, sizeof(kBinaryCaptureMagic)) != 0) {
    header_error_ = BinaryCaptureError::kBadMagic;
  } else {
    header_.version = get<std::uint16_t>(bytes.data() + 8);
    header_.flags = get<std::uint32_t>(bytes.data() + 12);
    header_.venue = static_cast<Venue>(get<std::uint16_t>(bytes.data() + 16));
    header_.created_ns = get<std::int64_t>(bytes.data() + 24);
    std::memcpy(header_.stream.data(), bytes.data() + 32, header_.stream.size());
    if (header_.version != kBinaryCaptureVersion) {
      header_error_ = BinaryCaptureError::kUnsupportedVersion;
    }
  }
  error_ = header_error_;
}

bool BinaryCaptureReader::next(CaptureRecord& out) noexcept {
  if (error_ != BinaryCaptureError::kNone || position_ >= bytes_.size()) return false;
  const std::size_t left = bytes_.size() - position_;
  const char* p = bytes_.data() + position_;
  if (left < kBinaryFrameHeaderSize + 4) {
    error_ = BinaryCaptureError::kTornFrame;
    return false;
  }
  const auto length = get<std::uint32_t>(p + 8);
  if (length > kBinaryCaptureMaxFrame) {
    error_ = BinaryCaptureError::kOversizedFrame;
    return false;
  }
  const std::size_t body = kBinaryFrameHeaderSize + length;
  if (left < body + 4) {
    error_ = BinaryCaptureError::kTornFrame;
    return false;
  }
  if (crc32c(0, p, body) != get<std::uint32_t>(p + body)) {
    error_ = BinaryCaptureError::kBadCrc;
    return false;
  }
  out.receive_time = get<std::int64_t>(p);
  out.kind = static_cast<CaptureLineKind>(get<std::uint8_t>(p + 12));
  out.url = {};
  out.payload = std::string_view(p + kBinaryFrameHeaderSize, length);
  position_ += padded8(body + 4);
  return true;
}

}  // namespace be::feed
