// Reading a journal: iterate `events` from any sequence, checking every frame's CRC and that
// sequences are contiguous, and follow the tail of a journal another process is writing.
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

class Reader {
 public:
  // Opens the journal read-only (see Journal::open for the errors) positioned at its start.
  static Expected<std::unique_ptr<Reader>, Error> open(const std::string& dir);
  ~Reader();
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // The next call to next() returns the first record with sequence >= `from`. A journal
  // whose first record is above `from` starts there; one holding records below and above
  // `from` but not `from` itself is a gap error. Clears a previous error.
  void seek(SequenceNumber from) noexcept;

  // kRecord fills `out`; kEnd: no more records in this read transaction; kError: see error().
  ReadStatus next(RecordView& out);

  // New read transaction; the position is kept (the record after the last one returned).
  // Errors: kIo.
  Error refresh();

  // Reads the newest snapshot with sequence <= at_most; false when none. Errors (in the
  // returned Error) kCorrupt/kIo. The view follows the LIFETIME rule above.
  Error find_snapshot(SequenceNumber at_most, SnapshotView& out, bool& found);

  // First and last sequence in the current read transaction (0, 0 when empty).
  Error bounds(SequenceNumber& first, SequenceNumber& last);

  const Error& error() const noexcept { return error_; }
  const Journal& journal() const noexcept { return *journal_; }

 private:
  explicit Reader(std::unique_ptr<Journal> j) : journal_(std::move(j)) {}
  Error begin();
  void end() noexcept;
  ReadStatus fail(Errc code, SequenceNumber seq, const std::string& why);

  std::unique_ptr<Journal> journal_;
  MDB_txn* txn_ = nullptr;
  MDB_cursor* cursor_ = nullptr;
  SequenceNumber from_ = 0;      // position to seek to before the next read (after seek)
  SequenceNumber expected_ = 0;  // the sequence next() must return; 0 = any (fresh seek)
  bool positioned_ = false;      // the cursor sits on the last returned record
  Error error_;
};

}  // namespace be::journal
