#include "engine/journal_replayer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "core/json_config.hpp"
#include "core/names.hpp"
#include "engine/snapshot_format.hpp"

namespace be::engine {

namespace {

constexpr std::array<Named<ReplayDifference>, 7> kDifferenceNames{{
    {ReplayDifference::kNone, "none"},
    {ReplayDifference::kType, "type"},
    {ReplayDifference::kFlags, "flags"},
    {ReplayDifference::kPayload, "payload"},
    {ReplayDifference::kStateHash, "state hash"},
    {ReplayDifference::kMissing, "not derived by the replay"},
    {ReplayDifference::kExtra, "not in the journal"},
}};
static_assert(names_every_code(kDifferenceNames,
                               static_cast<std::size_t>(ReplayDifference::kExtra) + 1));

bool same_hashes(const StateHash& a, const StateHash& b) noexcept {
  return a.strategy == b.strategy && a.risk == b.risk && a.orders == b.orders &&
         a.combined == b.combined;
}

ReplayDifference difference(const Event& journaled, const Event& replayed) noexcept {
  if (journaled.header.type != replayed.header.type) return ReplayDifference::kType;
  if (journaled.header.flags != replayed.header.flags) return ReplayDifference::kFlags;
  if (std::memcmp(journaled.payload.data(), replayed.payload.data(), journaled.payload.size()) !=
      0) {
    return ReplayDifference::kPayload;
  }
  return ReplayDifference::kNone;
}

}  // namespace

std::string_view to_string(ReplayDifference what) noexcept {
  return name_of(kDifferenceNames, what);
}

void JournalReplayer::diverge(ReplayResult& result, const ReplayDivergence& divergence) {
  ++result.counts.mismatches;
  if (observer_ != nullptr) observer_->on_divergence(divergence);
  if (!result.first_divergence) result.first_divergence = divergence;
  if (options_.stop_at_divergence) stopped_ = true;
}

void JournalReplayer::compare_derived(const Event& record, SequenceNumber sequence,
                                      ReplayResult& result) {
  if (record.header.type == EventType::kStateHash) {
    if (!options_.compare_state_hashes) return;
    ++result.counts.hashes_checked;
    const StateHash mine = fold_->state_hash_record();
    if (!same_hashes(record.as<StateHash>(), mine)) {
      diverge(result, {ReplayDifference::kStateHash, sequence, ordinal_, record,
                       Event::make(mine, record.header.event_time, 0), 0});
    }
    return;
  }
  if (next_produced_ >= produced_.size()) {
    diverge(result, {ReplayDifference::kMissing, sequence, ordinal_, record, Event{}, 0});
    return;
  }
  const Event& mine = produced_[next_produced_++];
  ++result.counts.compared;
  if (const ReplayDifference what = difference(record, mine); what != ReplayDifference::kNone) {
    diverge(result, {what, sequence, ordinal_, record, mine, 0});
  }
}

void JournalReplayer::begin() noexcept {
  ordinal_ = fold_ != nullptr ? fold_->ordinal() : 0;
  produced_ = {};
  next_produced_ = 0;
  stopped_ = false;
}

bool JournalReplayer::step(const Event& e, SequenceNumber sequence, ReplayResult& result) {
  const bool compare = options_.compare && fold_ != nullptr;
  ++result.counts.records;
  if (observer_ != nullptr) observer_->on_record(e);
  if (e.derived()) {
    ++result.counts.derived;
    if (compare) compare_derived(e, sequence, result);
    return !stopped_;
  }
  if (fold_ == nullptr) return true;
  if (compare && next_produced_ < produced_.size() && !options_.tolerate_cut_inputs) {
    diverge(result, {ReplayDifference::kExtra, sequence, ordinal_, Event{},
                     produced_[next_produced_], produced_.size() - next_produced_});
    if (stopped_) return false;
  }
  const auto records = fold_->apply(e, ++ordinal_);
  ++result.counts.inputs;
  produced_ = records.subspan(1);
  next_produced_ = 0;
  return !stopped_;
}

// The snapshots in [from, through], oldest first (damaged ones left out).
std::vector<JournalReplayer::SnapshotHash> JournalReplayer::snapshot_hashes(
    SequenceNumber from, SequenceNumber through) {
  std::vector<SnapshotHash> out;
  SequenceNumber at_most = through;
  while (at_most >= from && at_most > 0) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = reader_->find_snapshot(at_most, snap, found); !e.ok()) {
      if (e.code != journal::Errc::kCorrupt || e.sequence == 0) break;
      at_most = e.sequence - 1;
      continue;
    }
    if (!found || snap.sequence < from) break;
    out.push_back({snap.sequence, snap.state_hash});
    at_most = snap.sequence - 1;
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void JournalReplayer::compare_snapshot(const SnapshotHash& snapshot, const Event& record,
                                       ReplayResult& result) {
  if (record.header.type == EventType::kStateHash) return;  // compared as a record
  ++result.counts.hashes_checked;
  const StateHash mine = fold_->state_hash_record();
  if (mine.combined == snapshot.combined) return;
  StateHash stored;
  stored.at = ordinal_;
  stored.combined = snapshot.combined;
  diverge(result, {ReplayDifference::kStateHash, snapshot.sequence, ordinal_,
                   Event::make(stored, record.header.event_time, 0),
                   Event::make(mine, record.header.event_time, 0), 0});
}

Expected<ReplayResult, std::string> JournalReplayer::run(SequenceNumber from,
                                                         SequenceNumber through) {
  if (reader_ == nullptr) return Unexpected(std::string("replayer: no journal to read"));
  ReplayResult result;
  begin();
  std::vector<SnapshotHash> snapshots;
  if (options_.compare && options_.compare_state_hashes && fold_ != nullptr)
    snapshots = snapshot_hashes(from, through);
  std::size_t next_snapshot = 0;
  reader_->seek(from);
  journal::RecordView view;
  Event e;
  while (!stopped_) {
    const auto status = reader_->next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) return Unexpected(reader_->error().message);
    if (view.sequence > through) break;
    if (auto err = journal::decode(view, e); !err.ok()) return Unexpected(err.message);
    if (!step(e, view.sequence, result)) break;
    for (; next_snapshot < snapshots.size() && snapshots[next_snapshot].sequence <= view.sequence;
         ++next_snapshot) {
      if (snapshots[next_snapshot].sequence == view.sequence)
        compare_snapshot(snapshots[next_snapshot], e, result);
    }
  }
  return result;
}

Expected<std::optional<EngineConfig>, std::string> read_journal_config(journal::Reader& reader) {
  reader.seek(1);
  std::optional<EngineConfig> found;
  journal::RecordView view;
  for (int k = 0; k < 16; ++k) {
    if (reader.next(view) != journal::ReadStatus::kRecord) break;
    if (view.type != EventType::kBlob || view.blob_kind != kEngineConfigBlobKind) continue;
    auto parsed = parse_engine_config(
        std::string_view(reinterpret_cast<const char*>(view.payload.data()), view.payload.size()));
    if (!parsed) return Unexpected(config::format_errors(parsed.error()));
    found = std::move(*parsed);
    break;
  }
  reader.seek(1);
  return found;
}

Expected<ReplayStart, std::string> plan_replay(journal::Reader& reader) {
  ReplayStart start;
  SequenceNumber last = 0;
  if (auto e = reader.bounds(start.first_record, last); !e.ok()) return Unexpected(e.message);
  auto recorded = read_journal_config(reader);
  if (!recorded) return Unexpected("the journal's config: " + recorded.error());
  // An engine journal starts at 1; a later first record means retention took the start away.
  if (start.first_record <= 1 || *recorded) {
    if (*recorded) start.config = std::move(**recorded);
    return start;
  }
  // The oldest snapshot from which every later record is live: its StateHash record is at or
  // after the record before the first one held.
  const SequenceNumber needed = start.first_record - 1;
  SequenceNumber at_most = last;
  std::string deployment;
  while (at_most >= needed && at_most > 0) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = reader.find_snapshot(at_most, snap, found); !e.ok()) {
      if (e.code != journal::Errc::kCorrupt || e.sequence == 0) return Unexpected(e.message);
      start.damaged_snapshots.push_back(e.sequence);
      at_most = e.sequence - 1;
      continue;
    }
    if (!found || snap.sequence < needed) break;
    const SnapshotParts parts = split_snapshot(snap.state);
    if (parts.ok) {
      start.snapshot = snap.sequence;
      deployment.assign(parts.deployment);
    }
    at_most = snap.sequence - 1;
  }
  if (start.snapshot == 0) {
    return Unexpected("the journal's records before " + std::to_string(start.first_record) +
                      " were retired and no snapshot it still holds starts after them: replay "
                      "with --archive DIR (where retention archived them)");
  }
  if (!deployment.empty()) {
    auto parsed = parse_engine_config(deployment);
    if (!parsed) {
      return Unexpected("the deployment in the snapshot at sequence " +
                        std::to_string(start.snapshot) + ": " +
                        config::format_errors(parsed.error()));
    }
    start.config = std::move(*parsed);
  }
  return start;
}

Expected<bool, std::string> restore_snapshot(journal::Reader& reader, SequenceNumber sequence,
                                             Fold& fold) {
  const std::string at = "snapshot at sequence " + std::to_string(sequence);
  journal::SnapshotView snap;
  bool found = false;
  if (auto e = reader.find_snapshot(sequence, snap, found); !e.ok()) {
    return Unexpected(at + ": " + e.message);
  }
  if (!found || snap.sequence != sequence) return Unexpected(at + ": not in the journal");
  const SnapshotParts parts = split_snapshot(snap.state);
  if (!parts.ok) return Unexpected(at + ": not an engine snapshot");
  if (auto refused = fold.restore(parts.fold))
    return Unexpected(at + " does not restore: " + *refused);
  return true;
}

}  // namespace be::engine
