#include "journal/reader.hpp"

#include <lmdb.h>

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "journal/archive.hpp"
#include "journal/format.hpp"

namespace be::journal {
namespace {

std::span<const std::byte> as_span(const MDB_val& v) {
  return {static_cast<const std::byte*>(v.mv_data), v.mv_size};
}

template <class T>
T load(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string seq_text(SequenceNumber s) {
  return "sequence " + std::to_string(s);
}

}  // namespace

bool is_known_record(EventType type, std::uint16_t version) noexcept {
  return is_known_event(type, version);
}

Error decode(const RecordView& view, Event& out) {
  if (!is_known_record(view.type, view.version)) {
    return Error{Errc::kUnknownRecord, view.sequence,
                 seq_text(view.sequence) + ": record type " +
                     std::to_string(static_cast<unsigned>(view.type)) + " version " +
                     std::to_string(view.version) + " is unknown to this build"};
  }
  // Every header field and (for fixed events) all kPayloadCapacity payload bytes are written
  // below, so the Event is not cleared first: replay decodes every record it reads.
  out.header.type = view.type;
  out.header.version = view.version;
  out.header.flags = view.flags;
  out.header.source = view.source;
  out.header.sequence = view.sequence;
  out.header.event_time = view.event_time;
  out.header.receive_time = view.receive_time;
  if (view.type == EventType::kBlob) {
    out.payload.fill(std::byte{0});
    BlobRef b;
    b.blob_id = view.blob_id;
    b.kind = view.blob_kind;
    b.size = static_cast<std::uint32_t>(view.payload.size());
    b.data = view.payload.data();
    std::memcpy(out.payload.data(), &b, sizeof b);
  } else {
    // Reader::next() guarantees kPayloadCapacity bytes (a fixed-size copy the compiler
    // inlines); a hand-built view may hold fewer or more.
    if (view.payload.size() == kPayloadCapacity) {
      std::memcpy(out.payload.data(), view.payload.data(), kPayloadCapacity);
    } else {
      const std::size_t n = std::min(view.payload.size(), out.payload.size());
      std::memcpy(out.payload.data(), view.payload.data(), n);
      std::memset(out.payload.data() + n, 0, out.payload.size() - n);
    }
  }
  return {};
}

Error decode_copy(const RecordView& view, Event& out, std::span<std::byte> buffer) {
  if (view.type == EventType::kBlob && buffer.size() < view.payload.size()) {
    return Error{Errc::kInvalidArgument, view.sequence,
                 seq_text(view.sequence) + ": blob of " + std::to_string(view.payload.size()) +
                     " bytes does not fit a " + std::to_string(buffer.size()) + "-byte buffer"};
  }
  if (Error e = decode(view, out); !e.ok()) return e;
  if (view.type == EventType::kBlob) {
    if (!view.payload.empty()) std::memcpy(buffer.data(), view.payload.data(), view.payload.size());
    BlobRef b = out.as<BlobRef>();
    b.data = buffer.data();
    std::memcpy(out.payload.data(), &b, sizeof b);
  }
  return {};
}

Expected<std::unique_ptr<Reader>, Error> Reader::open(const std::string& dir) {
  return open(dir, ReaderOptions{});
}

Expected<std::unique_ptr<Reader>, Error> Reader::open(const std::string& dir,
                                                      const ReaderOptions& options) {
  OpenOptions oo;
  oo.mode = OpenMode::kReadOnly;
  auto j = Journal::open(dir, oo);
  if (!j) return Unexpected(j.error());
  std::unique_ptr<Reader> r(new Reader(std::move(*j), options));
  if (Error e = r->list_segments(); !e.ok()) return Unexpected(e);
  r->seek(0);
  return r;
}

Reader::Reader(std::unique_ptr<Journal> j, ReaderOptions options)
    : journal_(std::move(j)), options_(std::move(options)) {
  if (options_.scratch_dir.empty() && !options_.archive_dir.empty()) {
    options_.scratch_dir = options_.archive_dir + "/scratch";
  }
}

Reader::~Reader() {
  drop_cursor();
  for (auto& s : open_)
    close(*s);
}

// Archived segments older than the first live one, then the live ones. Called at open and by
// refresh(): segments already listed keep their place, new ones are appended.
Error Reader::list_segments() {
  auto live = list_live_segments(journal_->dir());
  if (!live) return live.error();
  if (live->empty()) {
    return Error{Errc::kNotFound, 0, "journal " + journal_->dir() + ": no segments left"};
  }
  if (live->front().legacy) {
    // The legacy segment's first record stands in for its name.
    const auto& known = journal_->segments();
    live->front().first =
        !known.empty() && known.front().path.legacy ? known.front().first_record : 0;
  }
  std::vector<SegmentPath> all;
  if (!options_.archive_dir.empty()) {
    auto archived = list_archived_segments(options_.archive_dir);
    if (!archived) return archived.error();
    const SequenceNumber live_first = live->front().first;
    for (SegmentPath& a : *archived) {
      // An archived copy of a segment that is still live (a retirement cut short) is skipped.
      if (live->front().legacy ? (live_first == 0 || a.first < live_first) : a.first < live_first) {
        all.push_back(std::move(a));
      }
    }
  }
  all.insert(all.end(), live->begin(), live->end());
  if (segments_.empty()) {
    segments_ = std::move(all);
    return {};
  }
  // refresh: append the segments rolled since; the ones listed before stay (a segment the
  // writer archived meanwhile is still readable through its open environment or the archive).
  const SequenceNumber last_known = segments_.back().first;
  for (SegmentPath& s : all) {
    if (!s.legacy && s.first > last_known) segments_.push_back(std::move(s));
  }
  return {};
}

SequenceNumber Reader::key_of(std::size_t index) const noexcept {
  return segments_[index].first;
}

std::size_t Reader::index_of(SequenceNumber key) const noexcept {
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    if (segments_[i].first == key) return i;
  }
  return segments_.size();
}

// The segment that holds `target` if any does: the last one whose name is at or below it.
std::size_t Reader::locate(SequenceNumber target) const noexcept {
  std::size_t at = 0;
  for (std::size_t i = 1; i < segments_.size(); ++i) {
    if (segments_[i].first <= target) at = i;
  }
  return at;
}

Error Reader::begin(OpenSegment& s) {
  MDB_env* env = s.segment->env();
  for (int attempt = 0;; ++attempt) {
    int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &s.txn);
    if (rc == MDB_MAP_RESIZED && attempt < 3) {
      // The writer grew the map: adopt the size it recorded (no txn is open here).
      s.txn = nullptr;
      if (int rs = mdb_env_set_mapsize(env, 0); rs != 0) {
        return Error{Errc::kIo, 0, lmdb_error_text("adopting the grown map", rs)};
      }
      continue;
    }
    if (rc != 0) {
      s.txn = nullptr;
      return Error{Errc::kIo, 0,
                   "journal " + s.segment->dir() + ": " + lmdb_error_text("begin read", rc)};
    }
    return {};
  }
}

void Reader::close(OpenSegment& s) noexcept {
  if (s.txn != nullptr) mdb_txn_abort(s.txn);
  s.txn = nullptr;
  s.segment.reset();
  if (!s.scratch.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(s.scratch, ec);
    s.scratch.clear();
  }
}

Expected<Reader::OpenSegment*, Error> Reader::acquire(std::size_t index) {
  const SequenceNumber key = key_of(index);
  for (auto& s : open_) {
    if (s->key == key) return s.get();
  }
  auto os = std::make_unique<OpenSegment>();
  os->key = key;
  SegmentPath path = segments_[index];
  Segment::Options so;
  so.mode = Segment::Mode::kReadOnly;
  if (!path.archived) {
    auto seg = Segment::open(path.path, so);
    if (!seg && seg.error().code == Errc::kNotFound && !options_.archive_dir.empty()) {
      path = {key, archive_file(options_.archive_dir, key), false, true};  // archived since
    } else if (!seg) {
      return Unexpected(seg.error());
    } else {
      os->segment = std::move(*seg);
    }
  }
  if (path.archived) {
    // LMDB reads only a mapped file: decompress into a private scratch directory.
    os->scratch = options_.scratch_dir + "/" + segment_name(key) + "-" +
                  std::to_string(::getpid()) + "-" + std::to_string(++scratch_serial_);
    std::error_code ec;
    std::filesystem::create_directories(os->scratch, ec);
    if (ec) {
      return Unexpected(Error{
          Errc::kIo, 0, "cannot create scratch directory " + os->scratch + ": " + ec.message()});
    }
    Error e = decompress_file(path.path, os->scratch + "/data.mdb");
    if (e.ok()) {
      so.no_lock = true;
      auto seg = Segment::open(os->scratch, so);
      if (seg) {
        os->segment = std::move(*seg);
      } else {
        e = seg.error();
        e.message = "archived segment " + path.path + ": " + e.message;
      }
    }
    if (!e.ok()) {
      close(*os);
      return Unexpected(e);
    }
  }
  const std::string& id = os->segment->meta().journal.instance_id;
  if (id != journal_->meta().instance_id) {
    const Error e{Errc::kCorrupt, 0,
                  "journal " + journal_->dir() + ": segment " + path.path + " belongs to journal " +
                      id + ", not " + journal_->meta().instance_id};
    close(*os);
    return Unexpected(e);
  }
  if (Error e = begin(*os); !e.ok()) {
    close(*os);
    return Unexpected(e);
  }
  open_.push_back(std::move(os));
  return open_.back().get();
}

// Closes every open segment that neither the cursor nor the last snapshot view uses.
void Reader::release_unused() noexcept {
  std::erase_if(open_, [&](std::unique_ptr<OpenSegment>& s) {
    const bool used = (has_current_ && s->key == current_) ||
                      (has_snapshot_segment_ && s->key == snapshot_segment_);
    if (!used) close(*s);
    return !used;
  });
}

void Reader::drop_cursor() noexcept {
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  cursor_ = nullptr;
  has_current_ = false;
}

// Puts the cursor into segment `index` (unpositioned).
Error Reader::enter(std::size_t index) {
  drop_cursor();
  auto s = acquire(index);
  if (!s) return s.error();
  if (int rc = mdb_cursor_open((*s)->txn, (*s)->segment->events_dbi(), &cursor_); rc != 0) {
    cursor_ = nullptr;
    return Error{Errc::kIo, 0,
                 "journal " + (*s)->segment->dir() + ": " + lmdb_error_text("open cursor", rc)};
  }
  has_current_ = true;
  current_ = key_of(index);
  positioned_ = false;
  release_unused();
  return {};
}

Error Reader::refresh() {
  Error e = list_segments();
  for (auto& s : open_) {
    if (!e.ok()) break;
    if (s->txn != nullptr) mdb_txn_abort(s->txn);
    s->txn = nullptr;
    e = begin(*s);
  }
  const bool had_current = has_current_;
  const SequenceNumber current = current_;
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  cursor_ = nullptr;
  has_current_ = false;
  has_snapshot_segment_ = false;  // snapshot views die with their transaction
  if (e.ok() && had_current) {
    const std::size_t i = index_of(current);
    if (i < segments_.size()) e = enter(i);
  }
  positioned_ = false;
  if (!e.ok()) error_ = e;
  return e;
}

void Reader::seek(SequenceNumber from) noexcept {
  from_ = from;
  expected_ = 0;
  positioned_ = false;
  below_from_ = false;
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  cursor_ = nullptr;
  has_current_ = false;
  error_ = Error{};
}

ReadStatus Reader::fail(Errc code, SequenceNumber seq, const std::string& why) {
  const std::size_t i = has_current_ ? index_of(current_) : segments_.size();
  const std::string where = i < segments_.size() ? segments_[i].path : journal_->dir();
  error_ = Error{code, seq, "journal " + where + ": " + seq_text(seq) + ": " + why};
  return ReadStatus::kError;
}

ReadStatus Reader::next(RecordView& out) {
  if (!error_.ok()) return ReadStatus::kError;
  MDB_val k;
  MDB_val v;
  int rc;
  for (;;) {
    if (!has_current_) {
      const SequenceNumber target = expected_ != 0 ? expected_ : from_;
      const std::size_t at = locate(target);
      // Every segment before `at` is sealed, so holds records below the target.
      if (expected_ == 0 && at > 0) below_from_ = true;
      if (Error e = enter(at); !e.ok()) {
        error_ = e;
        return ReadStatus::kError;
      }
    }
    if (positioned_) {
      rc = mdb_cursor_get(cursor_, &k, &v, MDB_NEXT);
    } else {
      const SequenceNumber target = expected_ != 0 ? expected_ : from_;
      SeqKey key = seq_key(target);
      k = MDB_val{key.size(), key.data()};
      rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE);
      if (rc == 0 && expected_ == 0 && k.mv_size == 8 && seq_from_key(k.mv_data) > from_) {
        // Starting past `from`: fine if nothing lies below it, a gap otherwise.
        MDB_val pk;
        MDB_val pv;
        if (below_from_ || mdb_cursor_get(cursor_, &pk, &pv, MDB_PREV) == 0) {
          return fail(Errc::kGap, from_,
                      "missing (the journal holds records below and above it but not this one)");
        }
        rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE);
      } else if (rc == MDB_NOTFOUND && expected_ == 0) {
        MDB_val pk;
        MDB_val pv;
        if (mdb_cursor_get(cursor_, &pk, &pv, MDB_LAST) == 0) below_from_ = true;
      }
    }
    if (rc != MDB_NOTFOUND) break;
    // The end of this segment: on to the next one, if there is one yet.
    const std::size_t i = index_of(current_);
    if (i + 1 >= segments_.size()) return ReadStatus::kEnd;
    if (Error e = enter(i + 1); !e.ok()) {
      error_ = e;
      return ReadStatus::kError;
    }
  }
  if (rc != 0) {
    error_ = Error{Errc::kIo, expected_,
                   "journal " + journal_->dir() + ": " + lmdb_error_text("read", rc)};
    return ReadStatus::kError;
  }
  positioned_ = true;
  if (k.mv_size != 8) return fail(Errc::kCorrupt, expected_, "an event key is not 8 bytes");
  const SequenceNumber seq = seq_from_key(k.mv_data);
  if (expected_ != 0 && seq != expected_) {
    return fail(Errc::kGap, expected_,
                "missing (the next record is sequence " + std::to_string(seq) + ")");
  }
  FrameView f;
  const FrameStatus st = parse_frame(as_span(k), as_span(v), f);
  if (st != FrameStatus::kOk) return fail(Errc::kCorrupt, seq, to_string(st));
  const std::size_t len = f.payload.size();
  const std::byte* p = f.payload.data();
  out.sequence = seq;
  out.type = static_cast<EventType>(f.type);
  out.version = f.version;
  if (f.type >= 0x100) {
    return fail(Errc::kCorrupt, seq, "frame type " + std::to_string(f.type) + " is not an event");
  }
  if (len < kEventPrefixSize) return fail(Errc::kCorrupt, seq, "event payload too short");
  out.flags = load<std::uint16_t>(p);
  out.source = load<std::uint16_t>(p + 2);
  out.event_time = static_cast<Nanos>(load<std::uint64_t>(p + 8));
  out.receive_time = static_cast<Nanos>(load<std::uint64_t>(p + 16));
  if (out.type == EventType::kBlob) {
    if (len < kBlobPayloadOffset) return fail(Errc::kCorrupt, seq, "blob header too short");
    out.blob_id = load<std::uint64_t>(p + 24);
    const std::uint32_t size = load<std::uint32_t>(p + 32);
    out.blob_kind = load<std::uint32_t>(p + 36);
    if (size != len - kBlobPayloadOffset || size > BlobRef::kMaxSize) {
      return fail(Errc::kCorrupt, seq, "blob size field disagrees with the frame length");
    }
    out.payload = f.payload.subspan(kBlobPayloadOffset);
  } else {
    out.blob_id = 0;
    out.blob_kind = 0;
    if (len != kFixedEventPayloadSize) {
      return fail(Errc::kCorrupt, seq,
                  "fixed event payload has " + std::to_string(len) + " bytes, expected " +
                      std::to_string(kFixedEventPayloadSize));
    }
    out.payload = f.payload.subspan(kEventPrefixSize);
  }
  expected_ = seq + 1;
  return ReadStatus::kRecord;
}

Error Reader::bounds(SequenceNumber& first, SequenceNumber& last) {
  first = last = 0;
  const auto edge = [&](std::size_t index, MDB_cursor_op op, SequenceNumber& out) -> Error {
    auto s = acquire(index);
    if (!s) return s.error();
    MDB_cursor* c = nullptr;
    if (int rc = mdb_cursor_open((*s)->txn, (*s)->segment->events_dbi(), &c); rc != 0) {
      return Error{Errc::kIo, 0, lmdb_error_text("open cursor", rc)};
    }
    MDB_val k;
    MDB_val v;
    if (mdb_cursor_get(c, &k, &v, op) == 0 && k.mv_size == 8) out = seq_from_key(k.mv_data);
    mdb_cursor_close(c);
    return {};
  };
  Error e;
  for (std::size_t i = segments_.size(); e.ok() && i-- > 0 && last == 0;) {
    e = edge(i, MDB_LAST, last);
  }
  if (e.ok() && last != 0) {
    if (segments_.front().archived) {
      first = segments_.front().first;
    } else {
      for (std::size_t i = 0; e.ok() && i < segments_.size() && first == 0; ++i) {
        e = edge(i, MDB_FIRST, first);
      }
    }
  }
  release_unused();
  return e;
}

Error Reader::find_snapshot(SequenceNumber at_most, SnapshotView& out, bool& found) {
  found = false;
  Error result;
  for (std::size_t i = segments_.size(); i-- > 0 && !found && result.ok();) {
    if (segments_[i].archived) break;
    auto s = acquire(i);
    if (!s) return s.error();
    MDB_cursor* c = nullptr;
    if (int rc = mdb_cursor_open((*s)->txn, (*s)->segment->snapshots_dbi(), &c); rc != 0) {
      return Error{Errc::kIo, 0, lmdb_error_text("open cursor", rc)};
    }
    SeqKey key = seq_key(at_most);
    MDB_val k{key.size(), key.data()};
    MDB_val v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0 && seq_from_key(k.mv_data) > at_most)
      rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    else if (rc == MDB_NOTFOUND)
      rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    if (rc == 0) {
      const SequenceNumber seq = k.mv_size == 8 ? seq_from_key(k.mv_data) : 0;
      FrameView f;
      const FrameStatus st = parse_frame(as_span(k), as_span(v), f);
      if (st != FrameStatus::kOk || f.type != kSnapshotFrameType || f.payload.size() < 8) {
        result = Error{Errc::kCorrupt, seq,
                       "journal " + (*s)->segment->dir() + ": snapshot at " + seq_text(seq) + ": " +
                           (st != FrameStatus::kOk ? to_string(st) : "not a snapshot frame")};
      } else {
        out.sequence = seq;
        out.state_hash = load<std::uint64_t>(f.payload.data());
        out.state = f.payload.subspan(8);
        found = true;
        has_snapshot_segment_ = true;
        snapshot_segment_ = (*s)->key;
      }
    } else if (rc != MDB_NOTFOUND) {
      result = Error{Errc::kIo, 0, lmdb_error_text("read snapshot", rc)};
    }
    mdb_cursor_close(c);
  }
  release_unused();
  return result;
}

}  // namespace be::journal
