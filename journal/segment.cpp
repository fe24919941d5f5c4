#include "journal/segment.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/names.hpp"
#include "journal/files.hpp"
#include "journal/format.hpp"

namespace be::journal {
namespace {

// LMDB 0.9 data file layout (lmdb.h / mdb.c, checked against liblmdb 0.9.24):
//   page header (PAGEHDRSZ) 16 bytes, then MDB_meta:
//   +0 mm_magic u32 0xBEEFC0DE  +4 mm_version u32 (MDB_DATA_VERSION 1)  +8 mm_address ptr
//   +16 mm_mapsize size_t  +24 mm_dbs[FREE_DBI] (48 bytes; its md_pad u32 is the page size)
//   +72 mm_dbs[MAIN_DBI] (48 bytes)  +120 mm_last_pg size_t  +128 mm_txnid size_t
// Meta page 0 is at offset 0, meta page 1 at offset page_size; LMDB uses the one with the
// higher txnid.
constexpr std::size_t kPageHeader = 16;
constexpr std::size_t kMetaMagic = kPageHeader + 0;
constexpr std::size_t kMetaVersion = kPageHeader + 4;
constexpr std::size_t kMetaMapSize = kPageHeader + 16;
constexpr std::size_t kMetaPageSize = kPageHeader + 24;
constexpr std::size_t kMetaLastPage = kPageHeader + 120;
constexpr std::size_t kMetaTxnId = kPageHeader + 128;
constexpr std::size_t kMetaBytes = kPageHeader + 136;
constexpr std::uint32_t kLmdbMagic = 0xBEEFC0DEu;
constexpr std::uint32_t kLmdbDataVersion = 1;

constexpr const char* kKeySchema = "schema_version";
constexpr const char* kKeyInstance = "instance_id";
constexpr const char* kKeyCreated = "created_ns";
constexpr const char* kKeyFirst = "first_sequence";
constexpr const char* kKeySegmentCreated = "segment_created_ns";
constexpr const char* kKeyPins = "pinned_snapshots";

struct RawMeta {
  bool valid = false;
  std::uint32_t version = 0;
  std::uint32_t page_size = 0;
  std::uint64_t map_size = 0;
  std::uint64_t last_page = 0;
  std::uint64_t txnid = 0;
};

template <class T>
T load(const unsigned char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

RawMeta decode_meta(const unsigned char* page) {
  RawMeta m;
  m.valid = load<std::uint32_t>(page + kMetaMagic) == kLmdbMagic;
  m.version = load<std::uint32_t>(page + kMetaVersion);
  m.page_size = load<std::uint32_t>(page + kMetaPageSize);
  m.map_size = load<std::uint64_t>(page + kMetaMapSize);
  m.last_page = load<std::uint64_t>(page + kMetaLastPage);
  m.txnid = load<std::uint64_t>(page + kMetaTxnId);
  return m;
}

Error make_error(Errc code, std::string message, SequenceNumber seq = 0) {
  return Error{code, seq, std::move(message)};
}

Error lmdb_error(Errc code, const std::string& dir, const char* what, int rc) {
  return make_error(code, "journal " + dir + ": " + lmdb_error_text(what, rc));
}

// A fixed-size meta value (u32, u64, i64) or kCorrupt naming it.
template <class T>
Error meta_value(std::span<const std::byte> value, const std::string& dir, const char* name,
                 T& out) {
  if (value.size() != sizeof(T)) {
    return make_error(Errc::kCorrupt, "journal " + dir + ": meta " + name + " has " +
                                          std::to_string(value.size()) + " bytes");
  }
  std::memcpy(&out, value.data(), sizeof(T));
  return {};
}

bool read_exact(int fd, unsigned char* out, std::size_t n, off_t offset) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, out + done, n - done, offset + static_cast<off_t>(done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += static_cast<std::size_t>(r);
  }
  return true;
}

Error put_meta(MDB_txn* txn, unsigned dbi, const char* name, std::span<const std::byte> value) {
  const std::size_t key_len = std::strlen(name);
  MDB_val k{key_len, const_cast<char*>(name)};
  MDB_val v{kFrameOverhead + value.size(), nullptr};
  if (int rc = mdb_put(txn, dbi, &k, &v, MDB_RESERVE); rc != 0) {
    return make_error(Errc::kIo, lmdb_error_text("write meta", rc));
  }
  encode_frame(std::as_bytes(std::span(name, key_len)), kMetaFrameType, 1, value,
               static_cast<std::byte*>(v.mv_data));
  return {};
}

// Reads one meta frame; empty span plus an error on failure. An `optional` key that is
// absent leaves `out` empty and `present` false.
Error get_meta(MDB_txn* txn, unsigned dbi, const std::string& dir, const char* name,
               std::span<const std::byte>& out, bool* present = nullptr) {
  const std::size_t key_len = std::strlen(name);
  MDB_val k{key_len, const_cast<char*>(name)};
  MDB_val v;
  const int rc = mdb_get(txn, dbi, &k, &v);
  if (present != nullptr) *present = rc != MDB_NOTFOUND;
  if (rc == MDB_NOTFOUND && present != nullptr) {
    out = {};
    return {};
  }
  if (rc == MDB_NOTFOUND) {
    return make_error(Errc::kForeign, "journal " + dir + ": not a botengine journal (meta key '" +
                                          name + "' missing)");
  }
  if (rc != 0) return lmdb_error(Errc::kIo, dir, "read meta", rc);
  FrameView f;
  const FrameStatus st =
      parse_frame(std::as_bytes(std::span(name, key_len)),
                  std::span(static_cast<const std::byte*>(v.mv_data), v.mv_size), f);
  if (st != FrameStatus::kOk || f.type != kMetaFrameType) {
    return make_error(Errc::kCorrupt,
                      "journal " + dir + ": meta '" + name + "' is damaged: " + to_string(st));
  }
  out = f.payload;
  return {};
}

}  // namespace

constexpr std::array<Named<Errc>, 11> kErrcNames{{
    {Errc::kOk, "ok"},
    {Errc::kNotFound, "not found"},
    {Errc::kForeign, "foreign file"},
    {Errc::kTruncated, "truncated"},
    {Errc::kSchemaMismatch, "schema mismatch"},
    {Errc::kCorrupt, "corrupt"},
    {Errc::kGap, "sequence gap"},
    {Errc::kUnknownRecord, "unknown record"},
    {Errc::kIo, "I/O error"},
    {Errc::kClosed, "closed"},
    {Errc::kInvalidArgument, "invalid argument"},
}};
static_assert(names_every_code(kErrcNames, 11));

constexpr std::array<Named<Durability>, 3> kDurabilityNames{{
    {Durability::kSync, "sync"},
    {Durability::kAsync, "async"},
    {Durability::kNone, "none"},
}};
static_assert(names_every_code(kDurabilityNames, 3));

const char* to_string(Errc code) noexcept {
  return name_of(kErrcNames, code).data();
}

const char* to_string(Durability d) noexcept {
  return name_of(kDurabilityNames, d).data();
}

std::string lmdb_error_text(const char* what, int rc) {
  return std::string(what) + ": " + mdb_strerror(rc) + " (" + std::to_string(rc) + ")";
}

Expected<DataFileInfo, Error> check_segment_file(const std::string& dir) {
  const std::string path = dir + "/data.mdb";
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) {
      return Unexpected(
          make_error(Errc::kNotFound, "no journal in " + dir + " (" + path + " does not exist)"));
    }
    return Unexpected(make_error(Errc::kIo, "cannot open " + path + ": " + std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    return Unexpected(make_error(Errc::kIo, "cannot stat " + path + ": " + std::strerror(errno)));
  }
  DataFileInfo info;
  info.file_size = static_cast<std::uint64_t>(st.st_size);
  std::array<unsigned char, kMetaBytes> page{};
  if (info.file_size < kMetaBytes || !read_exact(fd.get(), page.data(), kMetaBytes, 0)) {
    return Unexpected(
        make_error(Errc::kTruncated, path + " is truncated: " + std::to_string(info.file_size) +
                                         " bytes, shorter than an LMDB meta page"));
  }
  const RawMeta m0 = decode_meta(page.data());
  if (!m0.valid) {
    return Unexpected(make_error(Errc::kForeign, path + " is not an LMDB data file (bad magic)"));
  }
  if (m0.version != kLmdbDataVersion) {
    return Unexpected(make_error(Errc::kForeign, path + " has LMDB data version " +
                                                     std::to_string(m0.version) +
                                                     ", this build reads version 1"));
  }
  const std::uint32_t ps = m0.page_size;
  if (ps < 256 || ps > 65536 || (ps & (ps - 1)) != 0) {
    return Unexpected(make_error(Errc::kForeign,
                                 path + " has an impossible LMDB page size " + std::to_string(ps)));
  }
  if (info.file_size < 2ull * ps) {
    return Unexpected(
        make_error(Errc::kTruncated, path + " is truncated: " + std::to_string(info.file_size) +
                                         " bytes, shorter than its two meta pages (" +
                                         std::to_string(2ull * ps) + ")"));
  }
  RawMeta best = m0;
  if (read_exact(fd.get(), page.data(), kMetaBytes, static_cast<off_t>(ps))) {
    const RawMeta m1 = decode_meta(page.data());
    if (m1.valid && m1.version == kLmdbDataVersion && m1.txnid > m0.txnid) best = m1;
  }
  info.page_size = ps;
  info.last_page = best.last_page;
  info.txnid = best.txnid;
  info.map_size = best.map_size;
  const std::uint64_t need = (best.last_page + 1) * ps;
  if (info.file_size < need) {
    return Unexpected(
        make_error(Errc::kTruncated, path + " is truncated: " + std::to_string(info.file_size) +
                                         " bytes, but its newest meta page (txn " +
                                         std::to_string(best.txnid) + ") uses pages up to " +
                                         std::to_string(best.last_page) + " (" +
                                         std::to_string(need) + " bytes)"));
  }
  return info;
}

Expected<std::unique_ptr<Segment>, Error> Segment::open(const std::string& dir,
                                                        const Options& options) {
  const bool create = options.mode == Mode::kCreate;
  const bool writable = options.mode != Mode::kReadOnly;
  auto checked = check_segment_file(dir);
  if (!checked && !(create && checked.error().code == Errc::kNotFound)) {
    return Unexpected(checked.error());
  }
  if (checked && create) {
    return Unexpected(make_error(Errc::kInvalidArgument,
                                 "journal segment " + dir + " already exists, cannot create it"));
  }
  std::unique_ptr<Segment> s(new Segment());
  s->dir_ = dir;
  s->options_ = options;
  if (int rc = mdb_env_create(&s->env_); rc != 0) {
    s->env_ = nullptr;
    return Unexpected(lmdb_error(Errc::kIo, dir, "mdb_env_create", rc));
  }
  mdb_env_set_maxdbs(s->env_, 4);
  std::size_t map = options.initial_map_size;
  if (checked && checked->map_size > map) map = checked->map_size;
  mdb_env_set_mapsize(s->env_, map);
  unsigned flags = MDB_NOTLS;
  if (!writable) flags |= MDB_RDONLY;
  if (options.no_lock) flags |= MDB_NOLOCK;
  if (options.durability != Durability::kSync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(s->env_, dir.c_str(), flags, 0644); rc != 0) {
    return Unexpected(lmdb_error(Errc::kIo, dir, "mdb_env_open", rc));
  }
  MDB_envinfo info{};
  mdb_env_info(s->env_, &info);
  s->map_size_ = info.me_mapsize;

  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(s->env_, nullptr, writable ? 0 : MDB_RDONLY, &txn); rc != 0) {
    return Unexpected(lmdb_error(Errc::kIo, dir, "begin transaction", rc));
  }
  struct TxnGuard {
    MDB_txn*& t;
    ~TxnGuard() {
      if (t) mdb_txn_abort(t);
    }
  } guard{txn};

  const unsigned dbi_flags = create ? MDB_CREATE : 0;
  MDB_dbi meta_dbi = 0;
  int rc = mdb_dbi_open(txn, "meta", dbi_flags, &meta_dbi);
  if (rc == MDB_NOTFOUND) {
    return Unexpected(
        make_error(Errc::kForeign, "journal " + dir +
                                       ": not a botengine journal (LMDB environment without a "
                                       "'meta' database)"));
  }
  if (rc != 0) return Unexpected(lmdb_error(Errc::kIo, dir, "open 'meta' database", rc));
  MDB_dbi events = 0;
  MDB_dbi snapshots = 0;
  rc = mdb_dbi_open(txn, "events", dbi_flags, &events);
  if (rc == 0) rc = mdb_dbi_open(txn, "snapshots", dbi_flags, &snapshots);
  if (rc == MDB_NOTFOUND) {
    return Unexpected(make_error(Errc::kForeign, "journal " + dir +
                                                     ": not a botengine journal (the 'events' or "
                                                     "'snapshots' database is missing)"));
  }
  if (rc != 0) return Unexpected(lmdb_error(Errc::kIo, dir, "open databases", rc));
  s->meta_dbi_ = meta_dbi;
  s->events_ = events;
  s->snapshots_ = snapshots;

  if (create) {
    const SegmentMeta& m = *options.create;
    const auto bytes = [](const auto& v) { return std::as_bytes(std::span(&v, 1)); };
    Error e = put_meta(txn, meta_dbi, kKeySchema, bytes(m.journal.schema_version));
    if (e.ok())
      e = put_meta(txn, meta_dbi, kKeyInstance, std::as_bytes(std::span(m.journal.instance_id)));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeyCreated, bytes(m.journal.created_ns));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeyFirst, bytes(m.first_sequence));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeySegmentCreated, bytes(m.created_ns));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeyPins, std::as_bytes(std::span(m.pins)));
    if (!e.ok()) return Unexpected(e);
  }
  if (Error e = s->read_meta(txn); !e.ok()) return Unexpected(e);
  if (Error e = s->read_bounds(txn); !e.ok()) return Unexpected(e);

  // Committing (also a read txn) keeps the database handles open for later transactions.
  rc = mdb_txn_commit(txn);
  txn = nullptr;
  if (rc != 0) return Unexpected(lmdb_error(Errc::kIo, dir, "commit open transaction", rc));
  return s;
}

Error Segment::read_meta(MDB_txn* txn) {
  std::span<const std::byte> value;
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeySchema, value); !e.ok()) return e;
  if (Error e = meta_value(value, dir_, kKeySchema, meta_.journal.schema_version); !e.ok()) {
    return e;
  }
  if (meta_.journal.schema_version != kSchemaVersion) {
    return make_error(Errc::kSchemaMismatch, "journal " + dir_ + " has schema version " +
                                                 std::to_string(meta_.journal.schema_version) +
                                                 ", this build reads schema version " +
                                                 std::to_string(kSchemaVersion));
  }
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeyInstance, value); !e.ok()) return e;
  meta_.journal.instance_id.assign(reinterpret_cast<const char*>(value.data()), value.size());
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeyCreated, value); !e.ok()) return e;
  if (Error e = meta_value(value, dir_, kKeyCreated, meta_.journal.created_ns); !e.ok()) return e;
  // The segment keys: absent in a journal written before segments (the legacy segment).
  bool present = false;
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeyFirst, value, &present); !e.ok()) return e;
  meta_.first_sequence = 0;
  if (present) {
    if (Error e = meta_value(value, dir_, kKeyFirst, meta_.first_sequence); !e.ok()) return e;
  }
  meta_.created_ns = meta_.journal.created_ns;
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeySegmentCreated, value, &present); !e.ok()) {
    return e;
  }
  if (present) {
    if (Error e = meta_value(value, dir_, kKeySegmentCreated, meta_.created_ns); !e.ok()) return e;
  }
  if (Error e = get_meta(txn, meta_dbi_, dir_, kKeyPins, value, &present); !e.ok()) return e;
  if (value.size() % 8 != 0) {
    return make_error(Errc::kCorrupt, "journal " + dir_ + ": meta " + kKeyPins + " has " +
                                          std::to_string(value.size()) + " bytes");
  }
  meta_.pins.resize(value.size() / 8);
  if (!value.empty()) std::memcpy(meta_.pins.data(), value.data(), value.size());
  return {};
}

// The last record tells the writer where to continue; check it so a damaged tail is reported
// at open rather than after more records were appended behind it.
Error Segment::read_bounds(MDB_txn* txn) {
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn, events_, &cur); rc != 0) {
    return lmdb_error(Errc::kIo, dir_, "open cursor", rc);
  }
  MDB_val k;
  MDB_val v;
  Error result;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  if (rc == 0 && k.mv_size == 8) first_at_open_ = seq_from_key(k.mv_data);
  if (rc == 0) rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == 0) {
    if (k.mv_size != 8) {
      result =
          make_error(Errc::kCorrupt, "journal " + dir_ + ": the last event key is not 8 bytes");
    } else {
      const SequenceNumber seq = seq_from_key(k.mv_data);
      FrameView f;
      const FrameStatus st =
          parse_frame(std::span(static_cast<const std::byte*>(k.mv_data), 8),
                      std::span(static_cast<const std::byte*>(v.mv_data), v.mv_size), f);
      if (st != FrameStatus::kOk) {
        result = make_error(
            Errc::kCorrupt,
            "journal " + dir_ + ": sequence " + std::to_string(seq) + ": " + to_string(st), seq);
      }
      last_at_open_ = seq;
    }
  } else if (rc != MDB_NOTFOUND) {
    result = lmdb_error(Errc::kIo, dir_, "read last event", rc);
  }
  mdb_cursor_close(cur);
  return result;
}

Segment::~Segment() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Error Segment::grow_map() noexcept {
  const std::size_t next = map_size_ * 2;
  if (int rc = mdb_env_set_mapsize(env_, next); rc != 0) {
    return make_error(Errc::kIo,
                      "journal " + dir_ + ": growing the map to " + std::to_string(next) +
                          " bytes failed: " + lmdb_error_text("mdb_env_set_mapsize", rc));
  }
  map_size_ = next;
  ++map_grows_;
  return {};
}

Error Segment::commit_group(std::span<const Event> events) noexcept {
  if (events.empty()) return {};
  const SequenceNumber first = events.front().header.sequence;
  const SequenceNumber last = events.back().header.sequence;
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc != 0) {
      return make_error(Errc::kIo,
                        "journal " + dir_ + ": commit of sequences " + std::to_string(first) +
                            ".." + std::to_string(last) +
                            " failed: " + lmdb_error_text("begin", rc),
                        first);
    }
    SequenceNumber at = first;
    for (const Event& e : events) {
      at = e.header.sequence;
      const SeqKey key = seq_key(at);
      MDB_val k{key.size(), const_cast<std::byte*>(key.data())};
      MDB_val v{event_frame_size(e), nullptr};
      rc = mdb_put(txn, events_, &k, &v, MDB_APPEND | MDB_RESERVE);
      if (rc != 0) break;
      encode_event(key, e, static_cast<std::byte*>(v.mv_data));
    }
    if (rc == 0) {
      rc = mdb_txn_commit(txn);  // frees txn whatever it returns
    } else {
      mdb_txn_abort(txn);
    }
    if (rc == 0) return {};
    if (rc == MDB_MAP_FULL) {
      if (Error g = grow_map(); !g.ok()) return g;
      continue;  // the same group again, from its first record
    }
    if (rc == MDB_KEYEXIST) {
      return make_error(Errc::kInvalidArgument,
                        "journal " + dir_ + ": sequence " + std::to_string(at) +
                            " is not above the last journaled sequence",
                        at);
    }
    return make_error(Errc::kIo,
                      "journal " + dir_ + ": commit of sequences " + std::to_string(first) + ".." +
                          std::to_string(last) + " failed: " + lmdb_error_text("write", rc),
                      first);
  }
}

Error Segment::sync() noexcept {
  if (int rc = mdb_env_sync(env_, 1); rc != 0) {
    return make_error(Errc::kIo, "journal " + dir_ + ": " + lmdb_error_text("mdb_env_sync", rc));
  }
  return {};
}

template <class Body>
Error Segment::write_txn(const std::string& what, SequenceNumber seq, Body&& body) {
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == 0) {
      rc = body(txn);
      if (rc == 0) {
        rc = mdb_txn_commit(txn);
      } else {
        mdb_txn_abort(txn);
      }
    }
    if (rc == 0) return {};
    if (rc == MDB_MAP_FULL) {
      if (Error g = grow_map(); !g.ok()) return g;
      continue;
    }
    return make_error(Errc::kIo,
                      "journal " + dir_ + ": " + what + " failed: " + lmdb_error_text("write", rc),
                      seq);
  }
}

Error Segment::put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                            std::uint64_t state_hash) {
  return write_txn("snapshot at sequence " + std::to_string(sequence), sequence, [&](MDB_txn* txn) {
    const SeqKey key = seq_key(sequence);
    MDB_val k{key.size(), const_cast<std::byte*>(key.data())};
    MDB_val v{kFrameOverhead + 8 + state.size(), nullptr};
    const int rc = mdb_put(txn, snapshots_, &k, &v, MDB_RESERVE);
    if (rc != 0) return rc;
    auto* out = static_cast<std::byte*>(v.mv_data);
    std::memcpy(out + kFrameHeaderSize, &state_hash, 8);
    if (!state.empty()) {
      std::memcpy(out + kFrameHeaderSize + 8, state.data(), state.size());
    }
    encode_frame(key, kSnapshotFrameType, 1, std::span(out + kFrameHeaderSize, 8 + state.size()),
                 out);
    return 0;
  });
}

Error Segment::delete_snapshots(std::span<const SequenceNumber> sequences) {
  if (sequences.empty()) return {};
  Error e = write_txn("pruning snapshots", sequences.front(), [&](MDB_txn* txn) {
    for (const SequenceNumber s : sequences) {
      const SeqKey key = seq_key(s);
      MDB_val k{key.size(), const_cast<std::byte*>(key.data())};
      const int rc = mdb_del(txn, snapshots_, &k, nullptr);
      if (rc != 0 && rc != MDB_NOTFOUND) return rc;
    }
    return 0;
  });
  // A sealed segment opened kNone/kAsync does not sync at commit: a pruned snapshot that
  // came back after a power loss is pruned again at the next pass, so no sync is needed.
  return e;
}

Error Segment::write_pins(std::span<const SequenceNumber> pins) {
  Error e = write_txn("writing pinned snapshots", 0, [&](MDB_txn* txn) {
    const Error put = put_meta(txn, meta_dbi_, kKeyPins, std::as_bytes(pins));
    return put.ok() ? 0 : EIO;
  });
  if (e.ok()) meta_.pins.assign(pins.begin(), pins.end());
  return e;
}

Error Segment::snapshot_keys(std::vector<SequenceNumber>& out) const {
  out.clear();
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn); rc != 0) {
    return lmdb_error(Errc::kIo, dir_, "begin read", rc);
  }
  MDB_cursor* cur = nullptr;
  int rc = mdb_cursor_open(txn, snapshots_, &cur);
  if (rc == 0) {
    MDB_val k;
    MDB_val v;
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
      if (k.mv_size == 8) out.push_back(seq_from_key(k.mv_data));
    }
    mdb_cursor_close(cur);
  }
  mdb_txn_abort(txn);
  if (rc != MDB_NOTFOUND) return lmdb_error(Errc::kIo, dir_, "list snapshots", rc);
  return {};
}

std::uint64_t Segment::used_bytes() const noexcept {
  MDB_envinfo info{};
  MDB_stat st{};
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &st);
  return (static_cast<std::uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
}

}  // namespace be::journal
