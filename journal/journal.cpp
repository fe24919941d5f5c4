#include "journal/journal.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/clock.hpp"
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

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

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

std::string random_instance_id() {
  std::random_device rd;
  std::array<char, 33> hex{};
  for (std::size_t i = 0; i < 32; i += 8) {
    std::snprintf(hex.data() + i, 9, "%08x", rd());
  }
  return std::string(hex.data(), 32);
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

// Reads one meta frame; empty span plus an error on failure.
Error get_meta(MDB_txn* txn, unsigned dbi, const std::string& dir, const char* name,
               std::span<const std::byte>& out) {
  const std::size_t key_len = std::strlen(name);
  MDB_val k{key_len, const_cast<char*>(name)};
  MDB_val v;
  const int rc = mdb_get(txn, dbi, &k, &v);
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

const char* to_string(Errc code) noexcept {
  switch (code) {
    case Errc::kOk:
      return "ok";
    case Errc::kNotFound:
      return "not found";
    case Errc::kForeign:
      return "foreign file";
    case Errc::kTruncated:
      return "truncated";
    case Errc::kSchemaMismatch:
      return "schema mismatch";
    case Errc::kCorrupt:
      return "corrupt";
    case Errc::kGap:
      return "sequence gap";
    case Errc::kUnknownRecord:
      return "unknown record";
    case Errc::kIo:
      return "I/O error";
    case Errc::kClosed:
      return "closed";
    case Errc::kInvalidArgument:
      return "invalid argument";
  }
  return "unknown";
}

const char* to_string(Durability d) noexcept {
  switch (d) {
    case Durability::kSync:
      return "sync";
    case Durability::kAsync:
      return "async";
    case Durability::kNone:
      return "none";
  }
  return "unknown";
}

std::string lmdb_error_text(const char* what, int rc) {
  return std::string(what) + ": " + mdb_strerror(rc) + " (" + std::to_string(rc) + ")";
}

Expected<DataFileInfo, Error> check_data_file(const std::string& dir) {
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

Expected<std::unique_ptr<Journal>, Error> Journal::open(const std::string& dir,
                                                        const OpenOptions& options) {
  const bool writable = options.mode != OpenMode::kReadOnly;
  bool fresh = false;
  auto checked = check_data_file(dir);
  if (!checked) {
    // An empty data.mdb is what a process killed inside its very first mdb_env_open leaves
    // (LMDB creates the file, then writes the meta pages): nothing was ever committed, so a
    // creating open starts afresh. Any other damage is refused.
    struct stat st {};
    const bool empty_file = checked.error().code == Errc::kTruncated &&
                            ::stat((dir + "/data.mdb").c_str(), &st) == 0 && st.st_size == 0;
    if ((checked.error().code != Errc::kNotFound && !empty_file) ||
        options.mode != OpenMode::kReadWriteCreate) {
      return Unexpected(checked.error());
    }
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return Unexpected(
          make_error(Errc::kIo, "cannot create journal directory " + dir + ": " + ec.message()));
    }
    fresh = true;
  }

  std::unique_ptr<Journal> j(new Journal());
  j->dir_ = dir;
  j->options_ = options;
  if (int rc = mdb_env_create(&j->env_); rc != 0) {
    j->env_ = nullptr;
    return Unexpected(lmdb_error(Errc::kIo, dir, "mdb_env_create", rc));
  }
  mdb_env_set_maxdbs(j->env_, 4);
  std::size_t map = options.initial_map_size;
  if (checked && checked->map_size > map) map = checked->map_size;
  mdb_env_set_mapsize(j->env_, map);
  unsigned flags = MDB_NOTLS;
  if (!writable) flags |= MDB_RDONLY;
  if (options.durability != Durability::kSync) flags |= MDB_NOSYNC;
  if (int rc = mdb_env_open(j->env_, dir.c_str(), flags, 0644); rc != 0) {
    return Unexpected(lmdb_error(Errc::kIo, dir, "mdb_env_open", rc));
  }
  MDB_envinfo info{};
  mdb_env_info(j->env_, &info);
  j->map_size_ = info.me_mapsize;

  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(j->env_, nullptr, writable ? 0 : MDB_RDONLY, &txn); rc != 0) {
    return Unexpected(lmdb_error(Errc::kIo, dir, "begin transaction", rc));
  }
  struct TxnGuard {
    MDB_txn*& t;
    ~TxnGuard() {
      if (t) mdb_txn_abort(t);
    }
  } guard{txn};

  const unsigned dbi_flags = fresh ? MDB_CREATE : 0;
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
  j->meta_dbi_ = meta_dbi;
  j->events_ = events;
  j->snapshots_ = snapshots;

  if (fresh) {
    const std::uint32_t schema = kSchemaVersion;
    const std::string id = random_instance_id();
    const Nanos created = WallClock{}.now();
    Error e = put_meta(txn, meta_dbi, kKeySchema, std::as_bytes(std::span(&schema, 1)));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeyInstance, std::as_bytes(std::span(id)));
    if (e.ok()) e = put_meta(txn, meta_dbi, kKeyCreated, std::as_bytes(std::span(&created, 1)));
    if (!e.ok()) return Unexpected(e);
  }

  std::span<const std::byte> value;
  if (Error e = get_meta(txn, meta_dbi, dir, kKeySchema, value); !e.ok()) return Unexpected(e);
  if (value.size() != 4) {
    return Unexpected(make_error(Errc::kCorrupt, "journal " + dir + ": meta schema_version has " +
                                                     std::to_string(value.size()) + " bytes"));
  }
  std::memcpy(&j->meta_.schema_version, value.data(), 4);
  if (j->meta_.schema_version != kSchemaVersion) {
    return Unexpected(make_error(
        Errc::kSchemaMismatch,
        "journal " + dir + " has schema version " + std::to_string(j->meta_.schema_version) +
            ", this build reads schema version " + std::to_string(kSchemaVersion)));
  }
  if (Error e = get_meta(txn, meta_dbi, dir, kKeyInstance, value); !e.ok()) return Unexpected(e);
  j->meta_.instance_id.assign(reinterpret_cast<const char*>(value.data()), value.size());
  if (Error e = get_meta(txn, meta_dbi, dir, kKeyCreated, value); !e.ok()) return Unexpected(e);
  if (value.size() != 8) {
    return Unexpected(make_error(Errc::kCorrupt, "journal " + dir + ": meta created_ns has " +
                                                     std::to_string(value.size()) + " bytes"));
  }
  std::memcpy(&j->meta_.created_ns, value.data(), 8);

  // The last record tells the writer where to continue; check it so a damaged tail is
  // reported at open rather than after more records were appended behind it.
  MDB_cursor* cur = nullptr;
  if (rc = mdb_cursor_open(txn, events, &cur); rc != 0) {
    return Unexpected(lmdb_error(Errc::kIo, dir, "open cursor", rc));
  }
  MDB_val k;
  MDB_val v;
  rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  if (rc == 0) {
    if (k.mv_size != 8) {
      mdb_cursor_close(cur);
      return Unexpected(
          make_error(Errc::kCorrupt, "journal " + dir + ": the last event key is not 8 bytes"));
    }
    const SequenceNumber seq = seq_from_key(k.mv_data);
    FrameView f;
    const FrameStatus st =
        parse_frame(std::span(static_cast<const std::byte*>(k.mv_data), 8),
                    std::span(static_cast<const std::byte*>(v.mv_data), v.mv_size), f);
    if (st != FrameStatus::kOk) {
      mdb_cursor_close(cur);
      return Unexpected(make_error(
          Errc::kCorrupt,
          "journal " + dir + ": sequence " + std::to_string(seq) + ": " + to_string(st), seq));
    }
    j->last_at_open_ = seq;
  } else if (rc != MDB_NOTFOUND) {
    mdb_cursor_close(cur);
    return Unexpected(lmdb_error(Errc::kIo, dir, "read last event", rc));
  }
  mdb_cursor_close(cur);

  // Committing (also a read txn) keeps the database handles open for later transactions.
  rc = mdb_txn_commit(txn);
  txn = nullptr;
  if (rc != 0) return Unexpected(lmdb_error(Errc::kIo, dir, "commit open transaction", rc));
  return j;
}

Journal::~Journal() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Error Journal::grow_map() noexcept {
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

Error Journal::commit_group(std::span<const Event> events) noexcept {
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

Error Journal::sync() noexcept {
  if (int rc = mdb_env_sync(env_, 1); rc != 0) {
    return make_error(Errc::kIo, "journal " + dir_ + ": " + lmdb_error_text("mdb_env_sync", rc));
  }
  return {};
}

Error Journal::put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                            std::uint64_t state_hash) {
  for (;;) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
    if (rc == 0) {
      const SeqKey key = seq_key(sequence);
      MDB_val k{key.size(), const_cast<std::byte*>(key.data())};
      MDB_val v{kFrameOverhead + 8 + state.size(), nullptr};
      rc = mdb_put(txn, snapshots_, &k, &v, MDB_RESERVE);
      if (rc == 0) {
        auto* out = static_cast<std::byte*>(v.mv_data);
        std::memcpy(out + kFrameHeaderSize, &state_hash, 8);
        if (!state.empty()) std::memcpy(out + kFrameHeaderSize + 8, state.data(), state.size());
        encode_frame(key, kSnapshotFrameType, 1,
                     std::span(out + kFrameHeaderSize, 8 + state.size()), out);
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
                      "journal " + dir_ + ": snapshot at sequence " + std::to_string(sequence) +
                          " failed: " + lmdb_error_text("write", rc),
                      sequence);
  }
}

}  // namespace be::journal
