// An open journal: the LMDB environment in one directory and its three named databases
// (docs/ARCHITECTURE.md §5). Writer (journal/writer.hpp) and Reader (journal/reader.hpp) are built
// on it.
//
//   events     big-endian u64 sequence -> event frame (journal/format.hpp), MDB_APPEND only
//   snapshots  big-endian u64 sequence -> snapshot frame: state hash + serialized state
//   meta       "schema_version" -> u32, "instance_id" -> 32 hex chars, "created_ns" -> i64
//              (each value a meta frame)
//
// Opening never crashes on a bad directory: before LMDB maps data.mdb, check_data_file()
// reads its two meta pages with pread and refuses a foreign or truncated file (LMDB would
// SIGBUS on a mapping past end of file); after mdb_env_open the meta database must exist and
// carry this build's kSchemaVersion.
//
// Processes: one writing process at a time (LMDB's writer lock serialises them anyway); any
// number of reading processes, which see new commits when they renew their read txn. Within
// one process open a directory once: LMDB forbids two environments on the same file in one
// process (closing one drops the other's POSIX locks), and the writer's map growth remaps
// memory a same-process reader could be pointing into.
//
// Thread-safety: a Journal is used by one thread at a time (the writer thread, or a reader).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "journal/error.hpp"

struct MDB_env;

namespace be::journal {

enum class Durability : std::uint8_t {
  kSync,   // each group commit fsyncs before it is reported durable
  kAsync,  // commits are not synced; mdb_env_sync every async_sync_interval_ms
  kNone,   // never synced: benchmarks only
};
const char* to_string(Durability d) noexcept;

enum class OpenMode : std::uint8_t {
  kReadOnly,         // must exist
  kReadWrite,        // must exist
  kReadWriteCreate,  // created (with its meta) when the directory holds no data.mdb
};

struct OpenOptions {
  OpenMode mode = OpenMode::kReadOnly;
  Durability durability = Durability::kSync;
  // Initial LMDB map size for a new journal (an existing one keeps its larger recorded size).
  // The writer doubles it whenever a commit hits MDB_MAP_FULL.
  std::size_t initial_map_size = std::size_t{64} << 20;
};

struct MetaInfo {
  std::uint32_t schema_version = 0;
  std::string instance_id;
  Nanos created_ns = 0;
};

// What check_data_file() learnt from data.mdb's meta pages.
struct DataFileInfo {
  std::uint32_t page_size = 0;
  std::uint64_t last_page = 0;
  std::uint64_t txnid = 0;
  std::uint64_t map_size = 0;
  std::uint64_t file_size = 0;
};

// Reads data.mdb's two LMDB meta pages without mapping it. Errors: kNotFound (no file),
// kForeign (bad magic, unknown LMDB data version, bad page size), kTruncated (file shorter
// than the newest meta's last page), kIo (cannot read).
Expected<DataFileInfo, Error> check_data_file(const std::string& dir);

struct SnapshotView {
  SequenceNumber sequence = 0;
  std::uint64_t state_hash = 0;
  std::span<const std::byte> state;  // valid while the read txn that produced it is open
};

class Journal {
 public:
  // Opens (or creates) the journal in `dir`. Errors: every Errc of check_data_file, then
  // kForeign (no botengine meta), kSchemaMismatch, kCorrupt (a meta frame fails its CRC),
  // kIo (LMDB refused: permissions, lock file, ...).
  static Expected<std::unique_ptr<Journal>, Error> open(const std::string& dir,
                                                        const OpenOptions& options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  const MetaInfo& meta() const noexcept { return meta_; }
  Durability durability() const noexcept { return options_.durability; }

  // The highest sequence in `events` (0 when empty) and its CRC-checked presence, read at
  // open. Errors: kCorrupt when the last record fails its frame check.
  SequenceNumber last_sequence_at_open() const noexcept { return last_at_open_; }

  // ---- write side (OpenMode::kReadWrite*) -----------------------------------------------
  // Commits `events` as one write transaction, in order, with MDB_APPEND. On MDB_MAP_FULL it
  // aborts, doubles the map and retries the same group: nothing is dropped. Allocation-free
  // for fixed events once LMDB's dirty-page cache is warm (tests/journal prove it).
  // Errors: kInvalidArgument (a sequence not above the last one), kIo (any other failure;
  // the transaction is aborted, nothing of the group is visible).
  Error commit_group(std::span<const Event> events) noexcept;
  // Flushes data and meta to disk (mdb_env_sync force). Errors: kIo.
  Error sync() noexcept;
  // Stores a snapshot frame under `sequence` in its own transaction (synced in kSync mode).
  Error put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                     std::uint64_t state_hash);

  std::size_t map_size() const noexcept { return map_size_; }
  std::uint64_t map_grows() const noexcept { return map_grows_; }

  // ---- raw access for Reader ----------------------------------------------------------
  MDB_env* env() const noexcept { return env_; }
  unsigned events_dbi() const noexcept { return events_; }
  unsigned snapshots_dbi() const noexcept { return snapshots_; }
  unsigned meta_dbi() const noexcept { return meta_dbi_; }

 private:
  Journal() = default;
  Error grow_map() noexcept;

  std::string dir_;
  OpenOptions options_;
  MetaInfo meta_;
  MDB_env* env_ = nullptr;
  unsigned events_ = 0;
  unsigned snapshots_ = 0;
  unsigned meta_dbi_ = 0;
  std::size_t map_size_ = 0;
  std::uint64_t map_grows_ = 0;
  SequenceNumber last_at_open_ = 0;
};

// Formats "what: mdb_strerror(rc) (rc)" for messages.
std::string lmdb_error_text(const char* what, int rc);

}  // namespace be::journal
