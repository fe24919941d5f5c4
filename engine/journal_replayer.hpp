// The one journal-to-fold replay loop: read a journal range, apply each input through a
// Fold, and compare every derived record the journal holds with what the fold re-derives
// for the same input. Recovery (engine/recovery.cpp), `botengine replay [--verify]`
// (runner/cmd_replay.cpp), the journal backtest (replay/backtest.hpp) and the replay benches
// (bench/harness/engine_fixture.hpp) all run it, so they agree on what "the journal replays"
// means (docs/JOURNAL.md, "Replay").
//
// What is compared, per derived record, in journal order (with Options::compare):
//   - a StateHash record: its strategy, risk, orders and combined hashes against the fold's
//     hashes at that point (engines before the shadow replica journaled one with every
//     snapshot);
//   - run() only: a snapshot the journal holds at the sequence of any other record (the
//     replica's, keyed by the last record of an input): its combined hash against the fold's
//     once that record is read (a snapshot that fails its CRC is the snapshot pass's business);
//   - any other derived record: against the fold's next record for the current input, by
//     type, then flags, then the 96 payload bytes (sequence and times are the journal's);
//   - when the next input arrives, the fold must have no record left for the previous one.
// The first divergence is kept (sequence, input, what differed, both versions) and every
// divergence is counted; a replay stops at the first one with Options::stop_at_divergence.
// The journal's end is no divergence even if the fold derived more for the last input: a
// crash can cut an input's derived records off the end.
//
// Without a fold the replayer only reads and decodes, and the observer sees every record:
// what a backtest feeds its own fold from.
//
// The live shadow replica (engine/replica.hpp) runs the same comparison without a reader:
// it feeds the committed records it follows one at a time to step().
//
// Thread-safety: one thread; the fold and reader are the caller's and must not be used
// elsewhere during run() or step(). Allocation: none per record (the fold's own aside).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/expected.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "journal/reader.hpp"

namespace be::engine {

// What differed at the first divergent record.
enum class ReplayDifference : std::uint8_t {
  kNone,
  kType,       // the fold derived a record of another type there
  kFlags,      // same type, other flags
  kPayload,    // same type and flags, other payload bytes
  kStateHash,  // a journaled StateHash differs from the fold's hashes at that point
  kMissing,    // the journal holds a derived record the fold did not derive
  kExtra,      // the fold derived more records for an input than the journal holds
};
std::string_view to_string(ReplayDifference what) noexcept;

struct ReplayDivergence {
  ReplayDifference what = ReplayDifference::kNone;
  // The journal record where it showed: the divergent record, or (kExtra) the next input.
  SequenceNumber sequence = 0;
  SequenceNumber input = 0;  // the ordinal of the input whose derived records differ
  Event journaled{};         // the journal's record (kExtra: none)
  // The fold's version: its record (kMissing: none; kExtra: the first record the journal
  // lacks; kStateHash: Fold::state_hash_record() then).
  Event replayed{};
  std::size_t extra = 0;  // kExtra: how many records the journal lacks
};

struct ReplayCounts {
  std::uint64_t records = 0;         // journal records read
  std::uint64_t inputs = 0;          // inputs applied to the fold
  std::uint64_t derived = 0;         // derived records read (StateHash included)
  std::uint64_t compared = 0;        // derived records compared with the fold's (not hashes)
  std::uint64_t hashes_checked = 0;  // StateHash records and snapshots compared
  std::uint64_t mismatches = 0;      // divergences found
};

struct ReplayResult {
  ReplayCounts counts;
  std::optional<ReplayDivergence> first_divergence;
};

// What a caller adds to the loop. Both are called on the replaying thread; neither may apply
// inputs to the fold (the fold's records for the current input are being compared).
class ReplayObserver {
 public:
  virtual ~ReplayObserver() = default;
  // Every record read, in order, before it is applied or compared (recovery notes fills for
  // the read model's history here; a backtest feeds the market to its own fold).
  virtual void on_record(const Event& record) { (void)record; }
  // Every divergence, when found.
  virtual void on_divergence(const ReplayDivergence& divergence) { (void)divergence; }
};

class JournalReplayer {
 public:
  struct Options {
    // Compare derived records and state hashes (see the file comment); off: count them only
    // (a plain `botengine replay`, the benches' throughput figure).
    bool compare = true;
    // With compare: also compare StateHash records and snapshots. Recovery clears it after refusing
    // a snapshot: the deployment then lays the fold out otherwise than the one that journaled the
    // hashes (other table capacities hash otherwise), while derived records still agree.
    bool compare_state_hashes = true;
    // Stop at the first divergence (`--verify` prints it); else count them all and go on.
    bool stop_at_divergence = false;
    // A crash can cut an input's derived records off the journal's end, and the restarted
    // engine appends its next input right after: set, an input whose journaled derived
    // records stop short of the fold's is no divergence (recovery); clear, it is (kExtra).
    bool tolerate_cut_inputs = false;
  };

  // `fold`: null to read and decode only. Its inputs are numbered on from fold->ordinal().
  JournalReplayer(journal::Reader& reader, Fold* fold, Options options,
                  ReplayObserver* observer = nullptr) noexcept
      : reader_(&reader), fold_(fold), options_(options), observer_(observer) {}
  // Without a reader: records come through step() only (the live replica); run() refuses.
  JournalReplayer(Fold& fold, Options options, ReplayObserver* observer = nullptr) noexcept
      : reader_(nullptr), fold_(&fold), options_(options), observer_(observer) {}

  // Replays the records with sequence in [from, through] (from 1: the whole journal; from a
  // snapshot's sequence + 1 with the fold restored from it: its tail). Errors: the reader's
  // (a gap, a bad CRC, I/O) or a record this build cannot decode, as a message.
  Expected<ReplayResult, std::string> run(
      SequenceNumber from = 1, SequenceNumber through = std::numeric_limits<SequenceNumber>::max());
  // The loop's body, for a caller that reads the records itself: numbering starts over from
  // the fold's ordinal at begin(); each step() takes the next record (`sequence`: its journal
  // position) exactly as run() would, counting and keeping divergences in `result`. False
  // once stopped (Options::stop_at_divergence).
  void begin() noexcept;
  bool step(const Event& record, SequenceNumber sequence, ReplayResult& result);
  // After run(): the derived records the fold produced for the last input that the journal
  // does not hold (a kill cut them off its end; empty when nothing was cut). Valid until the
  // fold applies another input.
  std::span<const Event> cut_records() const noexcept { return produced_.subspan(next_produced_); }

 private:
  void diverge(ReplayResult& result, const ReplayDivergence& divergence);
  struct SnapshotHash {
    SequenceNumber sequence;
    std::uint64_t combined;
  };
  std::vector<SnapshotHash> snapshot_hashes(SequenceNumber from, SequenceNumber through);
  void compare_snapshot(const SnapshotHash& snapshot, const Event& record, ReplayResult& result);
  void compare_derived(const Event& record, SequenceNumber sequence, ReplayResult& result);

  journal::Reader* reader_;
  Fold* fold_;
  Options options_;
  ReplayObserver* observer_;
  SequenceNumber ordinal_ = 0;
  std::span<const Event> produced_;  // the fold's derived records for the current input
  std::size_t next_produced_ = 0;    // the first of them not yet compared
  bool stopped_ = false;
};

// The deployment a journal recorded: the first kBlob of kind kEngineConfigBlobKind among its
// first 16 records. nullopt when there is none; an error (the config's field errors, or the
// reader's) when it does not parse. Leaves the reader positioned at the journal's start.
Expected<std::optional<EngineConfig>, std::string> read_journal_config(journal::Reader& reader);

// Where a replay of a journal starts, and with which deployment (docs/JOURNAL.md, "Replaying a
// retired journal"). A journal whose reader holds its first records replays from its start,
// with the config it recorded (read_journal_config; the defaults when none). One whose first
// segments retention archived or deleted (and that was opened without the archive) replays
// from the oldest snapshot it still holds, restored into a fold of the deployment that
// snapshot records: every record after it is live, which retention guarantees.
struct ReplayStart {
  EngineConfig config;
  SequenceNumber first_record = 0;  // the first record the reader holds (0: empty journal)
  SequenceNumber snapshot = 0;      // 0: from the start; else restore this one, replay after it
  std::vector<SequenceNumber> damaged_snapshots;  // skipped because they fail their CRC
};
// Errors: the config does not parse; the start was retired and no snapshot at or after it
// remains ("replay with --archive"); the reader's errors.
Expected<ReplayStart, std::string> plan_replay(journal::Reader& reader);

// Restores the fold part of the snapshot at `sequence` into `fold` (built from the same
// deployment). Errors name the sequence: missing, damaged, or refused by the fold.
Expected<bool, std::string> restore_snapshot(journal::Reader& reader, SequenceNumber sequence,
                                             Fold& fold);

}  // namespace be::engine
