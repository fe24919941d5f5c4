#include "journal/journal.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <new>
#include <random>
#include <utility>

#include "journal/archive.hpp"

namespace be::journal {
namespace {

namespace fs = std::filesystem;

Error make_error(Errc code, std::string message, SequenceNumber seq = 0) {
  return Error{code, seq, std::move(message)};
}

std::string random_instance_id() {
  std::random_device rd;
  std::array<char, 33> hex{};
  for (std::size_t i = 0; i < 32; i += 8) {
    std::snprintf(hex.data() + i, 9, "%08x", rd());
  }
  return std::string(hex.data(), 32);
}

Segment::Options segment_options(const OpenOptions& o, Segment::Mode mode) {
  Segment::Options so;
  so.mode = mode;
  so.durability = o.durability;
  so.initial_map_size = o.initial_map_size;
  return so;
}

bool contains(const std::vector<SequenceNumber>& sorted, SequenceNumber s) {
  return std::binary_search(sorted.begin(), sorted.end(), s);
}

// An empty data.mdb is what a process killed inside its very first mdb_env_open leaves (LMDB
// creates the file, then writes the meta pages): nothing was ever committed.
bool is_empty_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_size == 0;
}

}  // namespace

Expected<DataFileInfo, Error> check_data_file(const std::string& dir) {
  auto live = list_live_segments(dir);
  if (!live) return Unexpected(live.error());
  if (live->empty()) return check_segment_file(dir);  // kNotFound, naming <dir>/data.mdb
  Expected<DataFileInfo, Error> info = DataFileInfo{};
  for (const SegmentPath& s : *live) {
    info = check_segment_file(s.path);
    if (!info) return info;
  }
  return info;
}

Expected<std::unique_ptr<Journal>, Error> Journal::open(const std::string& dir,
                                                        const OpenOptions& options) {
  const bool writable = options.mode != OpenMode::kReadOnly;
  const bool create = options.mode == OpenMode::kReadWriteCreate;
  std::unique_ptr<Journal> j(new Journal());
  j->dir_ = dir;
  j->options_ = options;
  if (writable) {
    if (Error e = remove_unfinished_segments(dir); !e.ok()) return Unexpected(e);
  }
  auto live = list_live_segments(dir);
  if (!live) return Unexpected(live.error());
  if (create && live->size() == 1 && live->front().legacy && is_empty_file(dir + "/data.mdb")) {
    if (Error e = remove_segment_files(live->front()); !e.ok()) return Unexpected(e);
    live->clear();
  }
  if (live->empty()) {
    if (!create) return Unexpected(check_segment_file(dir).error());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
      return Unexpected(
          make_error(Errc::kIo, "cannot create journal directory " + dir + ": " + ec.message()));
    }
    j->meta_.schema_version = kSchemaVersion;
    j->meta_.instance_id = random_instance_id();
    j->meta_.created_ns = WallClock{}.now();
    std::string path;
    if (Error e = j->create_segment(1, path, false); !e.ok()) return Unexpected(e);
    live->push_back({1, path, false, false});
  }
  if (Error e = j->scan_segments(std::move(*live)); !e.ok()) return Unexpected(e);
  j->publish_counters();
  return j;
}

Journal::~Journal() = default;

Error Journal::scan_segments(std::vector<SegmentPath> paths) {
  const bool writable = options_.mode != OpenMode::kReadOnly;
  segments_.clear();
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const bool head = i + 1 == paths.size();
    const SegmentPath& path = paths[i];
    auto opened = Segment::open(
        path.path, segment_options(options_, head && writable ? Segment::Mode::kReadWrite
                                                              : Segment::Mode::kReadOnly));
    if (!opened) return opened.error();
    Segment& seg = **opened;
    SegmentInfo info;
    info.path = path;
    info.first_record = seg.first_at_open();
    info.last_record = seg.last_at_open();
    info.bytes = seg.used_bytes();
    if (Error e = seg.snapshot_keys(info.snapshots); !e.ok()) return e;
    if (i == 0) meta_ = seg.meta().journal;
    if (seg.meta().journal.instance_id != meta_.instance_id) {
      return make_error(Errc::kCorrupt,
                        "journal " + dir_ + ": segment " + path.path + " belongs to journal " +
                            seg.meta().journal.instance_id + ", not " + meta_.instance_id);
    }
    if (!path.legacy && seg.meta().first_sequence != path.first) {
      return make_error(Errc::kCorrupt, "journal " + dir_ + ": segment " + path.path +
                                            " was created for sequence " +
                                            std::to_string(seg.meta().first_sequence) +
                                            " (renamed or copied)");
    }
    if (!path.legacy && info.first_record != 0 && info.first_record < path.first) {
      return make_error(Errc::kCorrupt,
                        "journal " + dir_ + ": segment " + path.path + " holds sequence " +
                            std::to_string(info.first_record) + ", below its first " +
                            std::to_string(path.first),
                        info.first_record);
    }
    if (i > 0) {
      // A sealed segment is never empty (a roll needs a record in the head), and the next
      // one starts right after its last record.
      const SegmentInfo& prev = segments_.back();
      const SequenceNumber want = prev.last_record + 1;
      const SequenceNumber got = info.first_record != 0 ? info.first_record : path.first;
      if (prev.last_record == 0 || path.first != want || got != want) {
        return make_error(Errc::kGap,
                          "journal " + dir_ + ": sequence " + std::to_string(want) +
                              ": missing (segment " + prev.path.path + " ends at " +
                              std::to_string(prev.last_record) + ", the next segment " + path.path +
                              " starts at " + std::to_string(got) + ")",
                          want);
      }
    }
    if (info.last_record != 0) last_at_open_ = info.last_record;
    if (head) pins_ = seg.meta().pins;
    segments_.push_back(std::move(info));
    if (head && writable) head_ = std::move(*opened);
  }
  last_committed_ = last_at_open_;
  return {};
}

Nanos Journal::now() const noexcept {
  return options_.segments.clock != nullptr ? options_.segments.clock->now() : wall_now();
}

bool Journal::roll_due() const noexcept {
  const SegmentInfo& h = segments_.back();
  if (h.last_record == 0) return false;  // never roll an empty head
  const SegmentOptions& o = options_.segments;
  if (o.max_bytes != 0 && head_->used_bytes() >= o.max_bytes) return true;
  return o.max_age_s != 0 && now() - head_->meta().created_ns >= o.max_age_s * 1'000'000'000;
}

Error Journal::create_segment(SequenceNumber first, std::string& final_path, bool rolling) {
  const auto hook = rolling ? options_.segments.roll_step_hook : nullptr;
  const std::string segs = segments_dir(dir_);
  const std::string tmp = segs + "/.tmp-" + segment_name(first);
  final_path = segs + "/" + segment_name(first);
  std::error_code ec;
  const bool new_parent = !fs::exists(segs, ec);
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) return make_error(Errc::kIo, "cannot create " + tmp + ": " + ec.message());
  SegmentMeta m;
  m.journal = meta_;
  m.first_sequence = first;
  m.created_ns = now();
  m.pins = pins_;
  Segment::Options so = segment_options(options_, Segment::Mode::kCreate);
  so.create = &m;
  {
    auto made = Segment::open(tmp, so);
    if (!made) return made.error();
    if (Error e = (*made)->sync(); !e.ok()) return e;
  }
  if (Error e = sync_directory(tmp); !e.ok()) return e;
  if (hook != nullptr) hook(2);
  fs::rename(tmp, final_path, ec);
  if (ec) return make_error(Errc::kIo, "cannot rename " + tmp + ": " + ec.message());
  if (Error e = sync_directory(segs); !e.ok()) return e;
  if (new_parent) {
    if (Error e = sync_directory(dir_); !e.ok()) return e;
  }
  if (hook != nullptr) hook(3);
  return {};
}

Error Journal::roll() {
  const auto hook = options_.segments.roll_step_hook;
  // The old head is synced first: a new segment must never exist while the end of the one
  // before it could still be lost (that would be a gap, not a shorter journal).
  if (Error e = head_->sync(); !e.ok()) return e;
  if (hook != nullptr) hook(1);
  const SequenceNumber first = segments_.back().last_record + 1;
  std::string path;
  if (Error e = create_segment(first, path, true); !e.ok()) return e;
  auto opened = Segment::open(path, segment_options(options_, Segment::Mode::kReadWrite));
  if (!opened) return opened.error();
  if (hook != nullptr) hook(4);
  segments_.back().bytes = head_->used_bytes();
  map_grows_before_head_ += head_->map_grows();
  head_ = std::move(*opened);
  SegmentInfo info;
  info.path = {first, path, false, false};
  info.bytes = head_->used_bytes();
  segments_.push_back(std::move(info));
  counters_.add("rolls");
  publish_counters();
  return {};
}

Error Journal::commit_group(std::span<const Event> events) noexcept {
  if (events.empty()) return {};
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  // MDB_APPEND checks the order inside a segment; this checks it across a roll.
  const SequenceNumber first = events.front().header.sequence;
  if (last_committed_ != 0 && first <= last_committed_) {
    return make_error(Errc::kInvalidArgument,
                      "journal " + dir_ + ": sequence " + std::to_string(first) +
                          " is not above the last journaled sequence",
                      first);
  }
  if (roll_due()) {
    try {
      if (Error e = roll(); !e.ok()) {
        e.message = "journal " + dir_ + ": rolling to a new segment failed: " + e.message;
        return e;
      }
    } catch (const std::bad_alloc&) {
      return make_error(Errc::kIo, "journal " + dir_ + ": rolling failed: out of memory");
    }
  }
  if (Error e = head_->commit_group(events); !e.ok()) return e;
  SegmentInfo& h = segments_.back();
  if (h.first_record == 0) h.first_record = events.front().header.sequence;
  h.last_record = events.back().header.sequence;
  last_committed_ = h.last_record;
  counters_.set("live_bytes", sealed_bytes_ + head_->used_bytes());
  return {};
}

Error Journal::sync() noexcept {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  return head_->sync();
}

Error Journal::put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                            std::uint64_t state_hash) {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  if (Error e = head_->put_snapshot(sequence, state, state_hash); !e.ok()) return e;
  auto& snaps = segments_.back().snapshots;
  if (!contains(snaps, sequence))
    snaps.insert(std::upper_bound(snaps.begin(), snaps.end(), sequence), sequence);
  (void)prune_snapshots();  // a failure is counted, the snapshot itself is stored
  publish_counters();
  return {};
}

std::vector<SequenceNumber> Journal::snapshots() const {
  std::vector<SequenceNumber> all;
  for (const SegmentInfo& s : segments_)
    all.insert(all.end(), s.snapshots.begin(), s.snapshots.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

std::vector<SequenceNumber> Journal::kept_snapshots() const {
  std::vector<SequenceNumber> all = snapshots();
  const std::size_t keep = options_.retention.keep_snapshots;
  if (keep == 0 || all.size() <= keep) return all;
  std::vector<SequenceNumber> kept(all.end() - static_cast<std::ptrdiff_t>(keep), all.end());
  for (const SequenceNumber p : pins_) {
    if (contains(all, p) && !contains(kept, p)) kept.push_back(p);
  }
  std::sort(kept.begin(), kept.end());
  return kept;
}

Error Journal::prune_snapshots() {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  Error e = prune();
  if (!e.ok()) note_retention_error(e);
  return e;
}

Error Journal::prune() {
  const std::vector<SequenceNumber> kept = kept_snapshots();
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    SegmentInfo& s = segments_[i];
    if (retiring_ != 0 && key_of(s) == retiring_) continue;  // being compressed: leave its file
    std::vector<SequenceNumber> doomed;
    for (const SequenceNumber seq : s.snapshots) {
      if (!contains(kept, seq)) doomed.push_back(seq);
    }
    if (doomed.empty()) continue;
    if (i + 1 == segments_.size()) {
      if (Error e = head_->delete_snapshots(doomed); !e.ok()) return e;
    } else {
      auto sealed =
          Segment::open(s.path.path, segment_options(options_, Segment::Mode::kReadWrite));
      if (!sealed) return sealed.error();
      if (Error e = (*sealed)->delete_snapshots(doomed); !e.ok()) return e;
    }
    std::erase_if(s.snapshots, [&](SequenceNumber seq) { return !contains(kept, seq); });
    counters_.add("snapshots_pruned", doomed.size());
  }
  publish_counters();
  return {};
}

Error Journal::pin_snapshot(SequenceNumber sequence) {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  if (!contains(snapshots(), sequence)) {
    return make_error(Errc::kInvalidArgument,
                      "journal " + dir_ + ": no live snapshot at sequence " +
                          std::to_string(sequence) + " to pin",
                      sequence);
  }
  if (contains(pins_, sequence)) return {};
  std::vector<SequenceNumber> pins = pins_;
  pins.insert(std::upper_bound(pins.begin(), pins.end(), sequence), sequence);
  if (Error e = head_->write_pins(pins); !e.ok()) return e;
  pins_ = std::move(pins);
  publish_counters();
  return {};
}

Error Journal::unpin_snapshot(SequenceNumber sequence) {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  if (!contains(pins_, sequence)) {
    return make_error(
        Errc::kInvalidArgument,
        "journal " + dir_ + ": sequence " + std::to_string(sequence) + " is not a pinned snapshot",
        sequence);
  }
  std::vector<SequenceNumber> pins = pins_;
  std::erase(pins, sequence);
  if (Error e = head_->write_pins(pins); !e.ok()) return e;
  pins_ = std::move(pins);
  publish_counters();
  return {};
}

Error Journal::retire_segments() {
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  for (;;) {
    std::optional<Retirement> r;
    if (Error e = begin_retirement(r); !e.ok() || !r) return e;
    std::uint64_t bytes = 0;
    Error archived;
    if (!r->archive_file.empty()) {
      archived = compress_file(r->data_file, r->archive_file, options_.retention.zstd_level, bytes);
    }
    if (Error e = finish_retirement(*r, archived, bytes); !e.ok()) return e;
  }
}

// A sealed segment may leave when every record in it is at or below the oldest kept snapshot
// and it holds none of the kept ones (so the oldest kept snapshot has every later record live).
bool Journal::may_retire(const SegmentInfo& s, const std::vector<SequenceNumber>& kept) const {
  if (kept.empty() || s.last_record > kept.front()) return false;
  return std::none_of(s.snapshots.begin(), s.snapshots.end(),
                      [&](SequenceNumber q) { return contains(kept, q); });
}

Error Journal::begin_retirement(std::optional<Retirement>& out) {
  out.reset();
  if (head_ == nullptr) return make_error(Errc::kInvalidArgument, "journal opened read-only");
  const RetentionOptions& r = options_.retention;
  const bool archive = !r.archive_dir.empty();
  // No snapshot at all means no retirement: every record is needed. Only the oldest segments
  // go, in order, never the head, one at a time.
  if ((!archive && !r.delete_unarchived) || retiring_ != 0 || segments_.size() < 2) return {};
  const SegmentInfo& s = segments_.front();
  if (!may_retire(s, kept_snapshots())) return {};
  Retirement next;
  next.key = key_of(s);
  next.data_file = s.path.path + "/data.mdb";
  if (archive) {
    std::error_code ec;
    fs::create_directories(r.archive_dir, ec);
    if (ec) {
      Error e = make_error(
          Errc::kIo, "cannot create archive directory " + r.archive_dir + ": " + ec.message());
      note_retention_error(e);
      return e;
    }
    next.archive_file = archive_file(r.archive_dir, next.key);
  }
  retiring_ = next.key;
  out = std::move(next);
  return {};
}

Error Journal::finish_retirement(const Retirement& r, const Error& archived, std::uint64_t bytes) {
  retiring_ = 0;
  if (!archived.ok()) {
    note_retention_error(archived);
    return archived;
  }
  // Still the oldest and still not needed (a pin may have come meanwhile: the archive copy
  // stays, harmless, since a reader prefers the live segment).
  if (segments_.size() < 2 || key_of(segments_.front()) != r.key ||
      !may_retire(segments_.front(), kept_snapshots())) {
    return {};
  }
  const SegmentInfo& s = segments_.front();
  if (!r.archive_file.empty()) {
    counters_.add("segments_archived");
    counters_.add("archived_bytes", bytes);
  } else {
    counters_.add("segments_deleted");
  }
  Error result = remove_segment_files(s.path);
  if (result.ok()) result = sync_directory(s.path.legacy ? dir_ : segments_dir(dir_));
  if (result.ok()) segments_.erase(segments_.begin());
  publish_counters();
  if (!result.ok()) note_retention_error(result);
  return result;
}

void Journal::note_retention_error(const Error& e) {
  last_retention_error_ = e.message;
  counters_.add("retention_errors");
}

void Journal::publish_counters() noexcept {
  std::uint64_t sealed = 0;
  std::uint64_t snaps = 0;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (i + 1 < segments_.size()) sealed += segments_[i].bytes;
    snaps += segments_[i].snapshots.size();
  }
  sealed_bytes_ = sealed;
  const std::uint64_t head = head_ != nullptr ? head_->used_bytes() : segments_.back().bytes;
  counters_.set("live_segments", segments_.size());
  counters_.set("live_bytes", sealed + head);
  counters_.set("snapshots_kept", snaps);
  counters_.set("pinned_snapshots", pins_.size());
}

JournalCounters Journal::counters() const noexcept {
  return counters_.load();
}

std::size_t Journal::map_size() const noexcept {
  return head_ != nullptr ? head_->map_size() : 0;
}

std::uint64_t Journal::map_grows() const noexcept {
  return map_grows_before_head_ + (head_ != nullptr ? head_->map_grows() : 0);
}

}  // namespace be::journal
