#include "engine/journal_check.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/crc32c.hpp"
#include "engine/fold.hpp"
#include "engine/format.hpp"
#include "engine/snapshot_format.hpp"

namespace be::engine {

namespace {

constexpr const char* kFileName = "/verified";
constexpr std::string_view kHeader = "botengine journal verified v1\n";

// The text whose CRC the last line carries.
std::string body_of(const VerifiedCheckpoint& c) {
  return std::string(kHeader) + "instance " + c.instance_id + "\nthrough " +
         std::to_string(c.through) + "\n";
}

std::uint32_t crc_of(std::string_view text) {
  return crc32c(std::as_bytes(std::span(text.data(), text.size())));
}

std::string os_error(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

}  // namespace

Expected<VerifiedCheckpoint, std::string> read_checkpoint(const std::string& dir) {
  const std::string path = dir + kFileName;
  std::ifstream in(path, std::ios::binary);
  if (!in) return VerifiedCheckpoint{};  // none yet
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const auto damaged = [&](const char* why) {
    return Unexpected(path + " is damaged (" + std::string(why) + ")");
  };
  const std::size_t crc_at = text.rfind("crc ");
  if (!text.starts_with(kHeader) || crc_at == std::string::npos) return damaged("no header");
  std::uint32_t stored = 0;
  const char* first = text.data() + crc_at + 4;
  const char* last = text.data() + text.size();
  // The checksum line is the file's last: anything after it is damage too.
  if (auto r = std::from_chars(first, last, stored, 16);
      r.ec != std::errc{} || r.ptr + 1 != last || *r.ptr != '\n') {
    return damaged("no checksum at its end");
  }
  const std::string_view body(text.data(), crc_at);
  if (crc_of(body) != stored) return damaged("checksum mismatch");
  VerifiedCheckpoint c;
  std::istringstream lines{std::string(body.substr(kHeader.size()))};
  std::string key;
  while (lines >> key) {
    if (key == "instance") {
      lines >> c.instance_id;
    } else if (key == "through") {
      lines >> c.through;
    } else {
      return damaged("unknown field");
    }
  }
  if (c.instance_id.empty()) return damaged("no instance");
  return c;
}

Expected<bool, std::string> write_checkpoint(const std::string& dir,
                                             const VerifiedCheckpoint& checkpoint) {
  const std::string path = dir + kFileName;
  const std::string tmp = path + ".tmp";
  std::string text = body_of(checkpoint);
  char crc[16];
  std::snprintf(crc, sizeof crc, "%08x", crc_of(text));
  text += "crc ";
  text += crc;
  text += "\n";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unexpected(os_error("cannot write " + tmp));
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && ::fsync(fd) == 0;
  const std::string failure = synced ? std::string() : os_error("cannot write " + tmp);
  ::close(fd);
  if (!synced) return Unexpected(failure);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Unexpected(os_error("cannot rename " + tmp));
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);  // the rename itself durable; a failure here only costs a re-check
    ::close(dir_fd);
  }
  return true;
}

Expected<JournalCheck, std::string> check_journal_tail(const std::string& dir,
                                                       journal::Reader& reader) {
  const std::string untrusted = "journal " + dir + " cannot be trusted: ";
  JournalCheck check;
  SequenceNumber first = 0, last = 0;
  if (auto e = reader.bounds(first, last); !e.ok()) return Unexpected(untrusted + e.message);
  const std::string& instance = reader.journal().meta().instance_id;
  SequenceNumber after = 0;
  auto checkpoint = read_checkpoint(dir);
  if (!checkpoint) {
    check.warning = checkpoint.error() + "; the whole journal was checked";
  } else if (checkpoint->present() && checkpoint->instance_id != instance) {
    check.warning = "the checkpoint names another journal (" + checkpoint->instance_id +
                    "); the whole journal was checked";
  } else if (checkpoint->present()) {
    after = checkpoint->through;
    if (after > last) {
      return Unexpected(untrusted + "it ends at sequence " + std::to_string(last) +
                        " but was verified through " + std::to_string(after) +
                        ": records were lost");
    }
  }
  check.whole_journal = after == 0;
  reader.seek(after + 1);
  journal::RecordView view;
  for (;;) {
    const journal::ReadStatus status = reader.next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) {
      return Unexpected(untrusted + reader.error().message);
    }
    if (check.records++ == 0) check.from = view.sequence;
    check.through = view.sequence;
  }
  if (check.through != 0 && check.through != last) {
    return Unexpected(untrusted + "it ends at sequence " + std::to_string(check.through) +
                      " where its bounds say " + std::to_string(last));
  }
  if (last != 0) {
    if (auto written = write_checkpoint(dir, {instance, last}); !written) {
      return Unexpected(written.error());
    }
  }
  return check;
}

Expected<SnapshotCheck, std::string> check_snapshots(journal::Reader& reader,
                                                     const EngineConfig& config) {
  SnapshotCheck check;
  const InstrumentTable instruments(config.instruments);
  const auto balances = paper_balances(config, instruments);
  oms::DiscardResponses discard;
  SequenceNumber at_most = ~SequenceNumber{0};
  while (at_most > 0) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = reader.find_snapshot(at_most, snap, found); !e.ok()) {
      return Unexpected("snapshot check: " + e.message);
    }
    if (!found) break;
    const std::string at = "snapshot at sequence " + std::to_string(snap.sequence);
    const SnapshotParts parts = split_snapshot(snap.state);
    if (!parts.ok) return Unexpected(at + ": not an engine snapshot");
    Fold fold(fold_config(config, balances), discard);
    if (auto refused = fold.restore(parts.fold)) {
      return Unexpected(at + " does not restore: " + *refused);
    }
    // Its hash is of the tables it was taken with: a deployment that changed engine.capacity
    // since restores it into other table sizes (which hash otherwise), so the hash is checked
    // in a fold of the deployment the snapshot records.
    std::uint64_t restored_hash = fold.hashes().combined;
    if (auto recorded = parse_engine_config(parts.deployment);
        restored_hash != snap.state_hash && !parts.deployment.empty() && recorded) {
      const InstrumentTable recorded_instruments(recorded->instruments);
      Fold own(fold_config(*recorded, paper_balances(*recorded, recorded_instruments)), discard);
      if (auto refused = own.restore(parts.fold)) {
        return Unexpected(at + " does not restore: " + *refused);
      }
      restored_hash = own.hashes().combined;
    }
    if (restored_hash != snap.state_hash) {
      return Unexpected(at + " restores to another state than the one it records");
    }
    if (check.snapshots++ == 0) check.newest = snap.sequence;
    at_most = snap.sequence - 1;
  }
  return check;
}

}  // namespace be::engine
