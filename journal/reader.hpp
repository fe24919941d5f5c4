// Reading a journal: iterate `events` from any sequence across every segment, checking every
// frame's CRC and that sequences are contiguous (also from one segment to the next), and follow
// the tail of a journal another process is writing, into the segments it rolls to.
//
// Segments are opened one at a time as the iteration reaches them (plus the one a snapshot
// view points into). Given ReaderOptions::archive_dir, the reader also reads archived segments
// before the live ones: each is decompressed into the scratch directory when reached, read,
// and its scratch copy removed when the reader moves on (the scratch space is one segment's
// data file per archived segment open at a time: at most two, the one iterated and the one a
// snapshot view points into, and find_snapshot never reads the archive).
//
// A Reader holds one LMDB read transaction: it sees the journal as of the last open() /
// refresh() and no later commit. refresh() starts a new read transaction (adopting a map the
// writer has grown meanwhile) and continues after the last record returned, so a tail
// follower loops: next() until kEnd, refresh(), next() again.
//
// LIFETIME: a RecordView's payload (and the BlobRef::data decode() produces for a kBlob)
// points into LMDB's memory map under the current read transaction. It stays valid until the
// next refresh(), seek() that renews, or the Reader's destruction; copy what you keep
// (decode_copy() copies blob bytes into a caller buffer).
//
// Thread-safety: one thread at a time per Reader. Errors stop iteration: after kError,
// error() names the sequence and the reason; the Reader stays in error until seek().
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "journal/journal.hpp"

struct MDB_txn;
struct MDB_cursor;

namespace be::journal {

struct RecordView {
  SequenceNumber sequence = 0;
  EventType type = EventType::kInvalid;
  std::uint16_t version = 0;
  std::uint16_t flags = 0;
  std::uint16_t source = 0;
  Nanos event_time = 0;
  Nanos receive_time = 0;
  // Fixed events: the 96 payload bytes. kBlob: the blob's bytes (blob_id/kind below).
  std::span<const std::byte> payload;
  std::uint64_t blob_id = 0;
  std::uint32_t blob_kind = 0;
};

enum class ReadStatus : std::uint8_t { kRecord, kEnd, kError };

// The (type, version) pairs this build can decode into an Event.
bool is_known_record(EventType type, std::uint16_t version) noexcept;

// Rebuilds the in-memory Event. kBlob: BlobRef::data points at view.payload (see LIFETIME).
// Errors: kUnknownRecord (type/version not known to this build).
Error decode(const RecordView& view, Event& out);
// Same, but copies a blob's bytes into `buffer` (at least view.payload.size() bytes) and
// points BlobRef::data there. Errors: also kInvalidArgument when `buffer` is too small.
Error decode_copy(const RecordView& view, Event& out, std::span<std::byte> buffer);

struct ReaderOptions {
  // Also read the segments archived there (journal/layout.hpp), before the live ones.
  std::string archive_dir;
  // Where archived segments are decompressed; empty: <archive_dir>/scratch.
  std::string scratch_dir;
};

class Reader {
 public:
  // Opens the journal read-only (see Journal::open for the errors) positioned at its start:
  // the first record of the first segment (archived first, when given an archive).
  static Expected<std::unique_ptr<Reader>, Error> open(const std::string& dir);
  static Expected<std::unique_ptr<Reader>, Error> open(const std::string& dir,
                                                       const ReaderOptions& options);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next call to next() returns the first record with sequence >= `from`. A journal
  // whose first record is above `from` starts there; one holding records below and above
  // `from` but not `from` itself is a gap error. Clears a previous error.
  void seek(SequenceNumber from) noexcept;

  // kRecord fills `out`; kEnd: no more records in this read transaction; kError: see error().
  ReadStatus next(RecordView& out);

  // New read transactions, and the segments rolled since (tail following); the position is
  // kept (the record after the last one returned). Errors: kIo.
  Error refresh();

  // Reads the newest snapshot with sequence <= at_most, looking through the live segments
  // newest first; false when none. Errors (in the returned Error) kCorrupt/kIo. The view
  // follows the LIFETIME rule above.
  Error find_snapshot(SequenceNumber at_most, SnapshotView& out, bool& found);

  // First and last sequence in the current read transactions (0, 0 when empty). An archived
  // first segment is not decompressed for this: its name (its first sequence) is reported.
  Error bounds(SequenceNumber& first, SequenceNumber& last);

  const Error& error() const noexcept { return error_; }
  const Journal& journal() const noexcept { return *journal_; }
  // The segments this reader iterates, oldest first (archived ones included).
  const std::vector<SegmentPath>& segments() const noexcept { return segments_; }

 private:
  struct OpenSegment {
    SequenceNumber key = 0;  // SegmentPath::first (the legacy segment: its first record)
    std::unique_ptr<Segment> segment;
    MDB_txn* txn = nullptr;
    std::string scratch;  // the decompressed copy's directory, removed on close
  };

  Reader(std::unique_ptr<Journal> j, ReaderOptions options);
  Error list_segments();
  SequenceNumber key_of(std::size_t index) const noexcept;
  std::size_t index_of(SequenceNumber key) const noexcept;
  std::size_t locate(SequenceNumber target) const noexcept;
  Expected<OpenSegment*, Error> acquire(std::size_t index);
  Error begin(OpenSegment& s);
  void close(OpenSegment& s) noexcept;
  void release_unused() noexcept;
  Error enter(std::size_t index);
  void drop_cursor() noexcept;
  ReadStatus fail(Errc code, SequenceNumber seq, const std::string& why);

  std::unique_ptr<Journal> journal_;
  ReaderOptions options_;
  std::vector<SegmentPath> segments_;
  std::vector<std::unique_ptr<OpenSegment>> open_;
  std::size_t scratch_serial_ = 0;
  bool has_current_ = false;
  SequenceNumber current_ = 0;  // key of the segment the cursor is in
  bool has_snapshot_segment_ = false;
  SequenceNumber snapshot_segment_ = 0;  // key of the segment the last snapshot view is in
  MDB_cursor* cursor_ = nullptr;
  SequenceNumber from_ = 0;      // position to seek to before the next read (after seek)
  SequenceNumber expected_ = 0;  // the sequence next() must return; 0 = any (fresh seek)
  bool positioned_ = false;      // the cursor sits on the last returned record
  bool below_from_ = false;      // an earlier segment held records below from_
  Error error_;
};

}  // namespace be::journal
