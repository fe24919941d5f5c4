// An open journal: a directory of segments, one LMDB environment each (docs/ARCHITECTURE.md §5,
// docs/JOURNAL.md "Segments"; journal/segment.hpp is one segment, journal/layout.hpp where
// they live). Writer (journal/writer.hpp) and Reader (journal/reader.hpp) are built on it.
//
// An LMDB file never shrinks, so the journal rolls to a new segment when the head segment
// reaches SegmentOptions::max_bytes or max_age_s. A roll happens between two group commits,
// never inside one: the old head is synced, the new segment is created under a temporary name,
// synced, renamed into place and the directory synced, and only then does the next group commit
// into it. A crash at any step leaves a journal that opens (a temporary segment is removed; a
// renamed empty one is simply the head). Rolling allocates and makes syscalls: it is off the
// per-record path (once per max_bytes of journal).
//
// A journal written before segments (a bare <dir>/data.mdb) opens as its first segment; the
// next write appends to it until it reaches the roll limits, then rolls into
// <dir>/segments/. No migration step.
//
// Retention (RetentionOptions): put_snapshot keeps the newest keep_snapshots snapshots plus the
// pinned ones and deletes the rest; retire_segments() archives (zstd, journal/archive.hpp) or
// deletes the sealed segments that lie entirely before the oldest kept snapshot and hold none
// of the kept ones. The head segment is never retired.
//
// Processes: one writing process at a time; any number of reading processes. Within one
// process open a directory once (LMDB forbids two environments on one file in a process).
//
// Thread-safety: a Journal is used by one thread at a time (the writer thread, or a reader),
// except counters(), which any thread may read.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/expected.hpp"
#include "journal/error.hpp"
#include "journal/layout.hpp"
#include "journal/segment.hpp"

namespace be::journal {

enum class OpenMode : std::uint8_t {
  kReadOnly,         // must exist
  kReadWrite,        // must exist
  kReadWriteCreate,  // created (its first segment with the journal's meta) when absent
};

struct SegmentOptions {
  // Roll once the head segment's data file reaches this many bytes (0: never by size). The
  // check runs before each group commit, so a segment ends at most one group (and the
  // snapshots stored since the last commit) above it.
  std::uint64_t max_bytes = std::uint64_t{256} << 20;
  // Roll once the head segment is this old (0: never by age), checked before each commit.
  std::int64_t max_age_s = 0;
  // The clock for max_age_s; nullptr: the wall clock. Tests hand in a ManualClock.
  const IngressClock* clock = nullptr;
  // Tests only: called at each step of a roll (1 old head synced, 2 new segment created
  // under its temporary name, 3 renamed into place, 4 open as the head) so a test can kill
  // the process there.
  void (*roll_step_hook)(int step) = nullptr;
};

struct RetentionOptions {
  // Keep the newest N snapshots plus the pinned ones; 0 keeps every snapshot.
  std::size_t keep_snapshots = 0;
  // Where retired segments are archived (zstd); may be on another filesystem. Empty: no
  // archive.
  std::string archive_dir;
  // Without an archive, retired segments are deleted only when this is set; otherwise they
  // stay live.
  bool delete_unarchived = false;
  int zstd_level = 1;  // fastest: the archive thread keeps up with ~60 MB/s of journal
  // Tests only: JournalWriter's archive thread calls it before compressing each segment (a
  // test holds it there to show that commits go on meanwhile).
  std::function<void()> archive_start_hook;
};

// One sealed segment leaving the live directory: retire_segments()'s unit of work, split in
// two so that JournalWriter compresses on its own archive thread while the writer thread
// keeps committing (begin and finish run on the journal's thread, the compression anywhere).
struct Retirement {
  SequenceNumber key = 0;    // the segment's name (its first sequence)
  std::string data_file;     // its data.mdb
  std::string archive_file;  // the compressed copy to write; empty: the segment is deleted
};

struct OpenOptions {
  OpenMode mode = OpenMode::kReadOnly;
  Durability durability = Durability::kSync;
  // Initial LMDB map size for a new segment (an existing one keeps its larger recorded size).
  // A commit that hits MDB_MAP_FULL doubles it.
  std::size_t initial_map_size = std::size_t{64} << 20;
  SegmentOptions segments{};
  RetentionOptions retention{};
};

// A segment as the journal knows it.
struct SegmentInfo {
  SegmentPath path;
  SequenceNumber first_record = 0;  // 0 when empty
  SequenceNumber last_record = 0;
  std::vector<SequenceNumber> snapshots;  // ascending
  std::uint64_t bytes = 0;                // data file size
};

// The journal's segment, snapshot and archive counters; any thread reads them (counters()).
inline constexpr auto kJournalCounters = counter_table({
    {"live_segments", "Live journal segments.", CounterKind::kGauge},
    {"live_bytes", "Bytes of the live segments' data files (the head at its last commit).",
     CounterKind::kGauge},
    {"rolls", "Journal segment rolls since the journal was opened."},
    {"segments_archived", "Retired journal segments compressed into the archive."},
    {"archived_bytes", "Compressed bytes written to the journal archive."},
    {"segments_deleted", "Retired journal segments deleted."},
    {"snapshots_kept", "Snapshots in the live journal segments.", CounterKind::kGauge},
    {"snapshots_pruned", "Snapshots deleted by retention (keep_snapshots)."},
    {"pinned_snapshots", "Snapshots pinned against retention.", CounterKind::kGauge},
    {"retention_errors", "Retention or archive steps that failed (the journal itself did not)."},
});
using JournalCounters = Counters<kJournalCounters>;

// Reads data.mdb's two LMDB meta pages without mapping it, for the journal in `dir`: the
// legacy <dir>/data.mdb, or every live segment's (the head's info is returned). Errors: those
// of check_segment_file naming the segment, kNotFound "no journal in DIR" when there is none.
Expected<DataFileInfo, Error> check_data_file(const std::string& dir);

class Journal {
 public:
  // Opens (or creates) the journal in `dir`: every live segment's data file is checked, each
  // sealed segment opened read-only once to learn its first and last record (the last
  // CRC-checked) and snapshots, and consecutive segments must be contiguous. The head stays
  // open in a writing mode. Errors: those of Segment::open naming the segment, kGap (a
  // missing sequence between two segments, named), kCorrupt (a segment holding records below
  // its name, or of another journal), kNotFound.
  static Expected<std::unique_ptr<Journal>, Error> open(const std::string& dir,
                                                        const OpenOptions& options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& dir() const noexcept { return dir_; }
  const MetaInfo& meta() const noexcept { return meta_; }
  Durability durability() const noexcept { return options_.durability; }
  const OpenOptions& options() const noexcept { return options_; }

  // The highest sequence in any segment (0 when empty), read at open.
  SequenceNumber last_sequence_at_open() const noexcept { return last_at_open_; }

  // Live segments, oldest first, as of open and this object's own rolls and retirements.
  const std::vector<SegmentInfo>& segments() const noexcept { return segments_; }

  // ---- write side (OpenMode::kReadWrite*) -----------------------------------------------
  // Rolls first when the head is due (see SegmentOptions), then commits `events` as one write
  // transaction into the head. Allocation-free when no roll is due. Errors: kInvalidArgument
  // (a sequence not above the last one), kIo (nothing of the group is visible; a failed roll
  // leaves the old head in place).
  Error commit_group(std::span<const Event> events) noexcept;
  // Flushes the head to disk. Errors: kIo.
  Error sync() noexcept;
  // Stores a snapshot into the head segment (synced in kSync mode), then prunes snapshots
  // beyond the newest keep_snapshots and the pinned ones. Errors: kIo; a failed prune is
  // counted in retention_errors and reported by last_retention_error(), not returned.
  // (The JournalWriter retires segments after each snapshot; a bare Journal user calls
  // retire_segments() itself.)
  Error put_snapshot(SequenceNumber sequence, std::span<const std::byte> state,
                     std::uint64_t state_hash);

  // Pins keep a snapshot (and so every segment after it) whatever keep_snapshots says; they
  // are persisted in the head segment's meta and carried into every new segment.
  // Errors: kInvalidArgument (no live snapshot at `sequence`), kIo.
  Error pin_snapshot(SequenceNumber sequence);
  // Errors: kInvalidArgument (not pinned), kIo. The snapshot is pruned at the next pass.
  Error unpin_snapshot(SequenceNumber sequence);
  const std::vector<SequenceNumber>& pinned() const noexcept { return pins_; }
  // Every live snapshot, ascending.
  std::vector<SequenceNumber> snapshots() const;

  // Deletes every snapshot that is neither among the newest keep_snapshots nor pinned.
  // Errors: kIo (also counted in retention_errors).
  Error prune_snapshots();
  // Archives (or, with delete_unarchived and no archive, deletes) the sealed segments that
  // lie entirely before the oldest kept snapshot and hold no kept snapshot, oldest first.
  // Cold: compresses whole segments. Errors: kIo (also counted in retention_errors).
  Error retire_segments();
  // The oldest segment retention lets go (see retire_segments), unless one is under way:
  // marked in flight (prune_snapshots leaves it alone, so its file does not change while it
  // is compressed) until finish_retirement. Errors: kIo (the archive directory cannot be
  // created; counted in retention_errors).
  Error begin_retirement(std::optional<Retirement>& out);
  // Ends the retirement begun above. `archived`: the compression's result (ok without an
  // archive). Ok: the live segment is removed and its directory synced. Otherwise the segment
  // stays live for a later pass and the error is counted in retention_errors and returned
  // (a segment pinned meanwhile also stays, without an error).
  Error finish_retirement(const Retirement& r, const Error& archived, std::uint64_t bytes);
  // The last prune or retire failure (empty when none). Writer thread only.
  const std::string& last_retention_error() const noexcept { return last_retention_error_; }

  JournalCounters counters() const noexcept;

  std::size_t map_size() const noexcept;
  std::uint64_t map_grows() const noexcept;

 private:
  Journal() = default;
  Error scan_segments(std::vector<SegmentPath> paths);
  Error open_head();
  bool roll_due() const noexcept;
  Error roll();
  Error create_segment(SequenceNumber first, std::string& final_path, bool rolling);
  std::vector<SequenceNumber> kept_snapshots() const;
  bool may_retire(const SegmentInfo& s, const std::vector<SequenceNumber>& kept) const;
  static SequenceNumber key_of(const SegmentInfo& s) noexcept {
    return s.path.legacy ? s.first_record : s.path.first;
  }
  Error prune();
  void note_retention_error(const Error& e);
  void publish_counters() noexcept;
  Nanos now() const noexcept;

  std::string dir_;
  OpenOptions options_;
  MetaInfo meta_;
  std::vector<SequenceNumber> pins_;
  std::vector<SegmentInfo> segments_;
  std::unique_ptr<Segment> head_;  // segments_.back(), open in writing modes
  SequenceNumber last_at_open_ = 0;
  SequenceNumber last_committed_ = 0;
  std::uint64_t map_grows_before_head_ = 0;
  std::uint64_t sealed_bytes_ = 0;  // data files of the live segments before the head
  std::string last_retention_error_;
  SequenceNumber retiring_ = 0;  // the key of the segment being retired (0: none)

  SharedCounters<kJournalCounters> counters_;
};

}  // namespace be::journal
