#include "feed/record/capture_reader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace be::capture {

namespace {
bool all_zero(const std::byte* p, std::size_t n) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (p[i] != std::byte{0}) return false;
  }
  return true;
}
}  // namespace

Expected<CaptureReader, std::string> CaptureReader::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected{"cannot open " + path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return Unexpected{"cannot stat " + path + ": " + std::strerror(e)};
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size < kFileHeaderSize) {
    ::close(fd);
    return Unexpected{path + ": not a botengine capture (shorter than its 64-byte header)"};
  }
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_error = errno;
  ::close(fd);
  if (map == MAP_FAILED) return Unexpected{"cannot map " + path + ": " + std::strerror(map_error)};
  ::madvise(map, size, MADV_SEQUENTIAL);

  CaptureReader reader;
  reader.data_ = static_cast<const std::byte*>(map);
  reader.size_ = size;
  std::memcpy(&reader.header_, reader.data_, sizeof(FileHeader));
  if (reader.header_.magic != kMagic) {
    return Unexpected{path + ": not a botengine capture (bad magic)"};
  }
  if (reader.header_.version != kFormatVersion || reader.header_.header_size != kFileHeaderSize) {
    return Unexpected{path + ": capture format version " + std::to_string(reader.header_.version) +
                      " is not supported (this build reads version " +
                      std::to_string(kFormatVersion) + ")"};
  }
  return reader;
}

bool CaptureReader::is_capture_file(const std::string& path) noexcept {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char magic[kMagic.size()] = {};
  const bool ok = ::read(fd, magic, sizeof(magic)) == static_cast<ssize_t>(sizeof(magic)) &&
                  std::memcmp(magic, kMagic.data(), sizeof(magic)) == 0;
  ::close(fd);
  return ok;
}

CaptureReader::CaptureReader(CaptureReader&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      position_(other.position_),
      header_(other.header_),
      tail_(std::move(other.tail_)) {}

CaptureReader& CaptureReader::operator=(CaptureReader&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    position_ = other.position_;
    header_ = other.header_;
    tail_ = std::move(other.tail_);
  }
  return *this;
}

CaptureReader::~CaptureReader() {
  release();
}

void CaptureReader::release() noexcept {
  if (data_ != nullptr) ::munmap(const_cast<std::byte*>(data_), size_);
  data_ = nullptr;
}

std::string_view CaptureReader::venue() const noexcept {
  return {header_.venue.data(), strnlen(header_.venue.data(), header_.venue.size())};
}

Nanos CaptureReader::created() const noexcept {
  return header_.created;
}

void CaptureReader::rewind() noexcept {
  position_ = kFileHeaderSize;
  tail_ = {};
}

bool CaptureReader::next(CapturedFrame& frame) noexcept {
  if (position_ == size_) {
    tail_ = {true, position_, 0, {}};
    return false;
  }
  auto stop = [&](const char* why) {
    tail_.clean = false;
    tail_.offset = position_;
    tail_.ignored_bytes = size_ - position_;
    tail_.reason = all_zero(data_ + position_, size_ - position_) ? "zero-filled tail" : why;
    position_ = size_;
    return false;
  };
  if (position_ > size_) return false;
  if (size_ - position_ < kFrameHeaderSize) return stop("incomplete frame header");
  FrameHeader header;
  std::memcpy(&header, data_ + position_, sizeof(header));
  if (header.length > kMaxFramePayload) return stop("frame length beyond the format's maximum");
  const std::size_t frame_size = padded_frame_size(header.length);
  if (frame_size > size_ - position_) return stop("frame runs past the end of the file");
  const std::byte* payload = data_ + position_ + kFrameHeaderSize;
  if (frame_crc(header, payload) != header.crc) return stop("frame CRC mismatch");
  if (header.kind < FrameKind::kReceived || header.kind > FrameKind::kRest) {
    return stop("unknown frame kind");
  }
  frame.kind = header.kind;
  frame.channel = header.channel;
  frame.receive_time = header.receive_time;
  frame.payload = {payload, header.length};
  frame.offset = position_;
  position_ += frame_size;
  return true;
}

}  // namespace be::capture
