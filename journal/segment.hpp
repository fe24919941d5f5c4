// One journal segment: one LMDB environment in one directory with the three named databases
// (docs/ARCHITECTURE.md §5, docs/JOURNAL.md "Segments"). journal/journal.hpp strings segments
// into a journal; a journal written before segments existed is one segment in the journal
// directory itself (the "legacy" segment).
//
//   events     big-endian u64 sequence -> event frame (journal/format.hpp), MDB_APPEND only
//   snapshots  big-endian u64 sequence -> snapshot frame: state hash + serialized state
//   meta       "schema_version" -> u32, "instance_id" -> 32 hex chars, "created_ns" -> i64
//              (the journal's, copied into every segment), "first_sequence" -> u64 and
//              "segment_created_ns" -> i64 (absent in a legacy segment), "pinned_snapshots"
//              -> u64 list (the head segment's is the journal's; copied at each roll)
//              (each value a meta frame)
//
// Opening never crashes on a bad directory: before LMDB maps data.mdb, check_segment_file()
// reads its two meta pages with pread and refuses a foreign or truncated file (LMDB would
// SIGBUS on a mapping past end of file); after mdb_env_open the meta database must exist and
// carry this build's kSchemaVersion, and the last event must pass its CRC.
//
// Thread-safety: one thread at a time. Within one process open a segment once (LMDB forbids
// two environments on one file in a process).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "journal/error.hpp"

struct MDB_env;
struct MDB_txn;

namespace be::journal {

enum class Durability : std::uint8_t {
  kSync,   // each group commit fsyncs before it is reported durable
  kAsync,  // commits are not synced; mdb_env_sync every async_sync_interval_ms
  kNone,   // never synced: benchmarks only
};
const char* to_string(Durability d) noexcept;

struct MetaInfo {
  std::uint32_t schema_version = 0;
  std::string instance_id;
  Nanos created_ns = 0;
};

// A segment's own meta beside the journal's.
struct SegmentMeta {
  MetaInfo journal;
  SequenceNumber first_sequence = 0;  // 0 in a legacy segment (no key)
  Nanos created_ns = 0;               // a legacy segment: the journal's created_ns
  std::vector<SequenceNumber> pins;   // pinned snapshots, ascending
};

// What check_segment_file() learnt from data.mdb's meta pages.
struct DataFileInfo {
  std::uint32_t page_size = 0;
  std::uint64_t last_page = 0;
  std::uint64_t txnid = 0;
  std::uint64_t map_size = 0;
  std::uint64_t file_size = 0;
};

// Reads `segment_dir`/data.mdb's two LMDB meta pages without mapping it. Errors: kNotFound
// (no file), kForeign (bad magic, unknown LMDB data version, bad page size), kTruncated (file
// shorter than the newest meta's last page), kIo (cannot read).
Expected<DataFileInfo, Error> check_segment_file(const std::string& segment_dir);

struct SnapshotView {
  SequenceNumber sequence = 0;
  std::uint64_t state_hash = 0;
  std::span<const std::byte> state;  // valid while the read txn that produced it is open
};

class Segment {
 public:
  enum class Mode : std::uint8_t {
    kReadOnly,
    kReadWrite,
    kCreate,  // a new environment in an empty directory, its meta written from `create`
  };
  struct Options {
    Mode mode = Mode::kReadOnly;
    Durability durability = Durability::kSync;
    std::size_t initial_map_size = std::size_t{64} << 20;
    const SegmentMeta* create = nullptr;  // kCreate only
    bool no_lock = false;                 // MDB_NOLOCK: a private scratch copy nobody else opens
  };

  // Errors: every Errc of check_segment_file, then kForeign (no botengine meta),
  // kSchemaMismatch, kCorrupt (a meta frame or the last event fails its check), kIo.
  static Expected<std::unique_ptr<Segment>, Error> open(const std::string& dir,
                                                        const Options& options);
  ~Segment();
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  const SegmentMeta& meta() const noexcept { return meta_; }
  // First and last event sequence at open (0 when empty); the last one's frame is checked.
  SequenceNumber first_at_open() const noexcept { return first_at_open_; }
  SequenceNumber last_at_open() const noexcept { return last_at_open_; }

  // ---- write side ---------------------------------------------------------------------
  // One write transaction with MDB_APPEND; MDB_MAP_FULL doubles the map and retries the
  // group. Errors: kInvalidArgument (a sequence not above the last), kIo.
  Error commit_group(std::span<const Event> events) noexcept;
  Error sync() noexcept;  // mdb_env_sync(force). Errors: kIo
  Error put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                     std::uint64_t state_hash);
  // Deletes the snapshots at `sequences` in one transaction (absent ones are skipped),
  // synced unless kNone. Errors: kIo.
  Error delete_snapshots(std::span<const SequenceNumber> sequences);
  // Replaces the "pinned_snapshots" meta value. Errors: kIo.
  Error write_pins(std::span<const SequenceNumber> pins);

  // Snapshot keys, ascending, in a fresh read transaction. Errors: kIo, kCorrupt.
  Error snapshot_keys(std::vector<SequenceNumber>& out) const;

  // Bytes the data file uses: (last page + 1) * page size from LMDB's in-memory meta; no
  // syscall. The file on disk is this size (LMDB without MDB_WRITEMAP writes pages to it).
  std::uint64_t used_bytes() const noexcept;
  std::size_t map_size() const noexcept { return map_size_; }
  std::uint64_t map_grows() const noexcept { return map_grows_; }

  // ---- raw access for Reader ----------------------------------------------------------
  MDB_env* env() const noexcept { return env_; }
  unsigned events_dbi() const noexcept { return events_; }
  unsigned snapshots_dbi() const noexcept { return snapshots_; }

 private:
  Segment() = default;
  Error grow_map() noexcept;
  Error read_meta(MDB_txn* txn);
  Error read_bounds(MDB_txn* txn);
  // Runs `body` in a write transaction, growing the map on MDB_MAP_FULL. `what` names the
  // operation in errors.
  template <class Body>
  Error write_txn(const std::string& what, SequenceNumber seq, Body&& body);

  std::string dir_;
  Options options_;
  SegmentMeta meta_;
  MDB_env* env_ = nullptr;
  unsigned events_ = 0;
  unsigned snapshots_ = 0;
  unsigned meta_dbi_ = 0;
  std::size_t map_size_ = 0;
  std::uint64_t map_grows_ = 0;
  SequenceNumber first_at_open_ = 0;
  SequenceNumber last_at_open_ = 0;
};

// Formats "what: mdb_strerror(rc) (rc)" for messages.
std::string lmdb_error_text(const char* what, int rc);

}  // namespace be::journal
