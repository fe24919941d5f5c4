// What `run` checks before it extends a journal (docs/JOURNAL.md, "Opening for writing"):
// every record since the last verified checkpoint, with the reader's CRC and contiguity checks,
// and the checkpoint itself. The checkpoint is a small file beside the journal's data,
// `verified`, naming the journal instance and the last sequence checked, protected by its own
// CRC32C; it is rewritten (write, fsync, rename, fsync the directory) after each check. The
// whole journal is `journal verify`'s job; this bounds a restart to what the last run wrote.
//
// Refused, with the sequence and the reason: a record that fails its CRC or breaks the
// sequence, a journal that ends before its checkpoint (records lost), a checkpoint of another
// journal instance is no refusal (the journal was replaced: everything is checked again).
// Thread-safety: none needed (Engine::open and stop, before and after the threads).
#pragma once

#include <optional>
#include <string>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "engine/engine.hpp"
#include "journal/reader.hpp"

namespace be::engine {

struct VerifiedCheckpoint {
  std::string instance_id;     // the journal's meta instance id
  SequenceNumber through = 0;  // every record up to here passed its checks
  bool present() const noexcept { return !instance_id.empty(); }
};

// The checkpoint in journal directory `dir` (not present() when there is none); an error
// naming the file when it is damaged (its CRC fails or a field is malformed).
Expected<VerifiedCheckpoint, std::string> read_checkpoint(const std::string& dir);
// Replaces it durably. Errors: the OS's, as a message.
Expected<bool, std::string> write_checkpoint(const std::string& dir,
                                             const VerifiedCheckpoint& checkpoint);

struct JournalCheck {
  SequenceNumber from = 0;     // the first record checked (0: none)
  SequenceNumber through = 0;  // the last
  std::uint64_t records = 0;   // how many
  bool whole_journal = false;  // no usable checkpoint: everything was checked
  std::string warning;         // why the checkpoint was not used, when it was not
};

// Checks what `reader` holds after the checkpoint of `dir` (all of it without one) and, when
// every record passes, writes the checkpoint at the journal's end. Leaves the reader to be
// seek()ed by the caller. Errors: "journal DIR cannot be trusted: ..." with the sequence.
Expected<JournalCheck, std::string> check_journal_tail(const std::string& dir,
                                                       journal::Reader& reader);

struct SnapshotCheck {
  std::uint64_t snapshots = 0;  // every snapshot the journal holds, newest first
  SequenceNumber newest = 0;
};

// `replay --verify`'s snapshot pass: every snapshot's frame, and that its bytes restore into a
// fold of `config` whose state hash is the one the snapshot records (which the replay checked
// against the re-derived state at that point through the journaled StateHash). What `run`
// would restore from is then known good. Errors: the first snapshot that fails, by sequence.
Expected<SnapshotCheck, std::string> check_snapshots(journal::Reader& reader,
                                                     const EngineConfig& config);

}  // namespace be::engine
