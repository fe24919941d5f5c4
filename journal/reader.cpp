#include "journal/reader.hpp"

#include <lmdb.h>

#include <cstring>

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
  OpenOptions oo;
  oo.mode = OpenMode::kReadOnly;
  auto j = Journal::open(dir, oo);
  if (!j) return Unexpected(j.error());
  std::unique_ptr<Reader> r(new Reader(std::move(*j)));
  if (Error e = r->begin(); !e.ok()) return Unexpected(e);
  r->seek(0);
  return r;
}

Reader::~Reader() {
  end();
}

Error Reader::begin() {
  MDB_env* env = journal_->env();
  for (int attempt = 0;; ++attempt) {
    int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn_);
    if (rc == MDB_MAP_RESIZED && attempt < 3) {
      // The writer grew the map: adopt the size it recorded (no txn is open here).
      txn_ = nullptr;
      if (int rs = mdb_env_set_mapsize(env, 0); rs != 0) {
        return Error{Errc::kIo, 0, lmdb_error_text("adopting the grown map", rs)};
      }
      continue;
    }
    if (rc != 0) {
      txn_ = nullptr;
      return Error{Errc::kIo, 0,
                   "journal " + journal_->dir() + ": " + lmdb_error_text("begin read", rc)};
    }
    rc = mdb_cursor_open(txn_, journal_->events_dbi(), &cursor_);
    if (rc != 0) {
      cursor_ = nullptr;
      end();
      return Error{Errc::kIo, 0,
                   "journal " + journal_->dir() + ": " + lmdb_error_text("open cursor", rc)};
    }
    positioned_ = false;
    return {};
  }
}

void Reader::end() noexcept {
  if (cursor_ != nullptr) mdb_cursor_close(cursor_);
  cursor_ = nullptr;
  if (txn_ != nullptr) mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Error Reader::refresh() {
  end();
  Error e = begin();
  if (!e.ok()) error_ = e;
  return e;
}

void Reader::seek(SequenceNumber from) noexcept {
  from_ = from;
  expected_ = 0;
  positioned_ = false;
  error_ = Error{};
}

ReadStatus Reader::fail(Errc code, SequenceNumber seq, const std::string& why) {
  error_ = Error{code, seq, "journal " + journal_->dir() + ": " + seq_text(seq) + ": " + why};
  return ReadStatus::kError;
}

ReadStatus Reader::next(RecordView& out) {
  if (!error_.ok()) return ReadStatus::kError;
  if (cursor_ == nullptr) {
    error_ = Error{Errc::kIo, 0, "journal " + journal_->dir() + ": no read transaction"};
    return ReadStatus::kError;
  }
  MDB_val k;
  MDB_val v;
  int rc;
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
      if (mdb_cursor_get(cursor_, &pk, &pv, MDB_PREV) == 0) {
        return fail(Errc::kGap, from_,
                    "missing (the journal holds " + std::to_string(seq_from_key(pk.mv_data)) +
                        " and later records but not this one)");
      }
      rc = mdb_cursor_get(cursor_, &k, &v, MDB_SET_RANGE);
    }
  }
  if (rc == MDB_NOTFOUND) return ReadStatus::kEnd;
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
  if (txn_ == nullptr) return Error{Errc::kIo, 0, "no read transaction"};
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(txn_, journal_->events_dbi(), &c); rc != 0) {
    return Error{Errc::kIo, 0, lmdb_error_text("open cursor", rc)};
  }
  MDB_val k;
  MDB_val v;
  if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8) first = seq_from_key(k.mv_data);
  if (mdb_cursor_get(c, &k, &v, MDB_LAST) == 0 && k.mv_size == 8) last = seq_from_key(k.mv_data);
  mdb_cursor_close(c);
  return {};
}

Error Reader::find_snapshot(SequenceNumber at_most, SnapshotView& out, bool& found) {
  found = false;
  if (txn_ == nullptr) return Error{Errc::kIo, 0, "no read transaction"};
  MDB_cursor* c = nullptr;
  if (int rc = mdb_cursor_open(txn_, journal_->snapshots_dbi(), &c); rc != 0) {
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
  Error result;
  if (rc == 0) {
    const SequenceNumber seq = k.mv_size == 8 ? seq_from_key(k.mv_data) : 0;
    FrameView f;
    const FrameStatus st = parse_frame(as_span(k), as_span(v), f);
    if (st != FrameStatus::kOk || f.type != kSnapshotFrameType || f.payload.size() < 8) {
      result = Error{Errc::kCorrupt, seq,
                     "journal " + journal_->dir() + ": snapshot at " + seq_text(seq) + ": " +
                         (st != FrameStatus::kOk ? to_string(st) : "not a snapshot frame")};
    } else {
      out.sequence = seq;
      out.state_hash = load<std::uint64_t>(f.payload.data());
      out.state = f.payload.subspan(8);
      found = true;
    }
  } else if (rc != MDB_NOTFOUND) {
    result = Error{Errc::kIo, 0, lmdb_error_text("read snapshot", rc)};
  }
  mdb_cursor_close(c);
  return result;
}

}  // namespace be::journal
