#include "engine/journal_replayer.hpp"

#include <array>
#include <cstring>
#include <utility>

#include "core/json_config.hpp"
#include "core/names.hpp"

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

Expected<ReplayResult, std::string> JournalReplayer::run(SequenceNumber from,
                                                         SequenceNumber through) {
  ReplayResult result;
  ordinal_ = fold_ != nullptr ? fold_->ordinal() : 0;
  produced_ = {};
  next_produced_ = 0;
  stopped_ = false;
  const bool compare = options_.compare && fold_ != nullptr;
  reader_.seek(from);
  journal::RecordView view;
  Event e;
  while (!stopped_) {
    const auto status = reader_.next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) return Unexpected(reader_.error().message);
    if (view.sequence > through) break;
    if (auto err = journal::decode(view, e); !err.ok()) return Unexpected(err.message);
    ++result.counts.records;
    if (observer_ != nullptr) observer_->on_record(e);
    if (e.derived()) {
      ++result.counts.derived;
      if (compare) compare_derived(e, view.sequence, result);
      continue;
    }
    if (fold_ == nullptr) continue;
    if (compare && next_produced_ < produced_.size() && !options_.tolerate_cut_inputs) {
      diverge(result, {ReplayDifference::kExtra, view.sequence, ordinal_, Event{},
                       produced_[next_produced_], produced_.size() - next_produced_});
      if (stopped_) break;
    }
    const auto records = fold_->apply(e, ++ordinal_);
    ++result.counts.inputs;
    produced_ = records.subspan(1);
    next_produced_ = 0;
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

}  // namespace be::engine
