#include "journal/layout.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace be::journal {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kNameDigits = 20;
constexpr const char* kTmpPrefix = ".tmp-";
constexpr const char* kArchiveSuffix = ".mdb.zst";

Error io_error(const std::string& what, const std::error_code& ec) {
  return Error{Errc::kIo, 0, what + ": " + ec.message()};
}

// The sequence a 20-digit name spells; false for anything else.
bool parse_name(const std::string& name, SequenceNumber& out) {
  if (name.size() != kNameDigits) return false;
  out = 0;
  for (const char c : name) {
    if (c < '0' || c > '9') return false;
    const SequenceNumber digit = static_cast<SequenceNumber>(c - '0');
    if (out > (~SequenceNumber{0} - digit) / 10) return false;
    out = out * 10 + digit;
  }
  return true;
}

void sort_by_first(std::vector<SegmentPath>& v) {
  std::sort(v.begin(), v.end(), [](const SegmentPath& a, const SegmentPath& b) {
    return a.legacy != b.legacy ? a.legacy : a.first < b.first;
  });
}

}  // namespace

std::string segment_name(SequenceNumber first) {
  std::string s = std::to_string(first);
  return std::string(kNameDigits - s.size(), '0') + s;
}

std::string segments_dir(const std::string& dir) {
  return dir + "/segments";
}

std::string archive_file(const std::string& archive_dir, SequenceNumber first) {
  return archive_dir + "/" + segment_name(first) + kArchiveSuffix;
}

Expected<std::vector<SegmentPath>, Error> list_live_segments(const std::string& dir) {
  std::vector<SegmentPath> out;
  std::error_code ec;
  if (fs::exists(dir + "/data.mdb", ec)) out.push_back({0, dir, true, false});
  const std::string segs = segments_dir(dir);
  if (!fs::is_directory(segs, ec)) return out;
  for (const auto& entry : fs::directory_iterator(segs, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kTmpPrefix, 0) == 0) continue;
    SequenceNumber first = 0;
    if (!parse_name(name, first)) {
      return Unexpected(Error{Errc::kCorrupt, 0,
                              "journal " + dir + ": " + segs + "/" + name +
                                  " is not a segment (names are 20-digit sequences)"});
    }
    out.push_back({first, entry.path().string(), false, false});
  }
  if (ec) return Unexpected(io_error("cannot list " + segs, ec));
  sort_by_first(out);
  return out;
}

Expected<std::vector<SegmentPath>, Error> list_archived_segments(const std::string& archive_dir) {
  std::vector<SegmentPath> out;
  std::error_code ec;
  if (archive_dir.empty() || !fs::is_directory(archive_dir, ec)) return out;
  const std::string suffix = kArchiveSuffix;
  for (const auto& entry : fs::directory_iterator(archive_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != kNameDigits + suffix.size() || name.substr(kNameDigits) != suffix) continue;
    SequenceNumber first = 0;
    if (!parse_name(name.substr(0, kNameDigits), first)) continue;
    out.push_back({first, entry.path().string(), false, true});
  }
  if (ec) return Unexpected(io_error("cannot list " + archive_dir, ec));
  sort_by_first(out);
  return out;
}

Error remove_unfinished_segments(const std::string& dir) {
  const std::string segs = segments_dir(dir);
  std::error_code ec;
  if (!fs::is_directory(segs, ec)) return {};
  std::vector<fs::path> doomed;
  for (const auto& entry : fs::directory_iterator(segs, ec)) {
    if (entry.path().filename().string().rfind(kTmpPrefix, 0) == 0) doomed.push_back(entry.path());
  }
  for (const auto& p : doomed) {
    fs::remove_all(p, ec);
    if (ec) return io_error("cannot remove the unfinished segment " + p.string(), ec);
  }
  return {};
}

Error remove_segment_files(const SegmentPath& segment) {
  std::error_code ec;
  for (const char* file : {"/data.mdb", "/lock.mdb"}) {
    fs::remove(segment.path + file, ec);
    if (ec) return io_error("cannot remove " + segment.path + file, ec);
  }
  if (!segment.legacy) {
    fs::remove(segment.path, ec);
    if (ec) return io_error("cannot remove " + segment.path, ec);
  }
  return {};
}

Error sync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return Error{Errc::kIo, 0, "cannot open directory " + path + ": " + std::strerror(errno)};
  }
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error{Errc::kIo, 0, "fsync of " + path + ": " + std::strerror(err)};
  return {};
}

}  // namespace be::journal
