// Recovery: the newest snapshot that restores (older ones when a newer is refused), then the
// journal tail through the same fold, comparing every re-derived record with the journaled
// one; then the notifier's outbox from its cursor. Called once by Engine::open, before any
// thread starts.
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "engine/engine_impl.hpp"
#include "journal/reader.hpp"

namespace be::engine {

Expected<bool, std::string> recover(Engine::Impl& im, const std::string& dir,
                                    Engine::RecoveryReport& report) {
  auto data = journal::check_data_file(dir);
  if (!data) {
    if (data.error().code == journal::Errc::kNotFound) return true;  // a new journal
    return Unexpected("journal " + dir + ": " + data.error().message);
  }
  auto reader = journal::Reader::open(dir);
  if (!reader) return Unexpected("journal " + dir + ": " + reader.error().message);
  SequenceNumber first = 0, last = 0;
  if (auto e = (*reader)->bounds(first, last); !e.ok()) return Unexpected(e.message);
  report.last_position = last;
  // Newest snapshot that restores; older ones are tried if a newer one is refused.
  SequenceNumber at_most = last;
  SequenceNumber from = 1;
  // A fold rebuilt after a refused snapshot answers into this until open() reconnects it to
  // the engine: it must outlive the tail replay below.
  oms::DiscardResponses drop;
  while (at_most > 0) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = (*reader)->find_snapshot(at_most, snap, found); !e.ok())
      return Unexpected(e.message);
    if (!found) break;
    // The snapshot is keyed by the StateHash record's position: everything up to it applied.
    const SnapshotParts parts = split_snapshot(snap.state);
    if (parts.ok && !im.fold.restore(parts.fold) &&
        (parts.history.empty() || im.restore_history(parts.history))) {
      report.snapshot_position = snap.sequence;
      from = snap.sequence + 1;
      im.ordinal = im.fold.ordinal();
      break;
    }
    // A refused snapshot leaves the fold partly restored: start over from scratch.
    im.bot_history.clear();
    im.fold.~Fold();
    new (&im.fold) Fold(Engine::Impl::fold_config(im.config, im.starting_balances), im);
    im.fold.set_responses(drop);
    at_most = snap.sequence - 1;
  }
  (*reader)->seek(from);
  journal::RecordView view;
  std::vector<Event> expected;  // derived records journaled for the current input
  std::vector<Event> produced;
  for (;;) {
    const auto status = (*reader)->next(view);
    if (status == journal::ReadStatus::kEnd) break;
    if (status == journal::ReadStatus::kError) return Unexpected((*reader)->error().message);
    Event e;
    if (auto err = journal::decode(view, e); !err.ok()) return Unexpected(err.message);
    ++report.tail_records;
    if (e.header.type == EventType::kFillApplied) im.note_fill(e);  // the read model's history
    if (e.derived()) {
      // Compare with what the fold re-derived for the same input, in order.
      if (!produced.empty()) {
        const Event& mine = produced.front();
        if (mine.header.type != e.header.type ||
            std::memcmp(mine.payload.data(), e.payload.data(), e.payload.size()) != 0) {
          ++report.derived_mismatches;
        }
        produced.erase(produced.begin());
      } else if (e.header.type != EventType::kStateHash) {
        ++report.derived_mismatches;
      }
      continue;
    }
    const auto records = im.fold.apply(e, ++im.ordinal);
    produced.assign(records.begin() + 1, records.end());
  }
  im.next_position = last + 1;
  // The notifier's outbox: every Notification after its cursor, wherever the snapshot is.
  if (im.config.notifications_after < last) {
    (*reader)->seek(im.config.notifications_after + 1);
    while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
      if (view.type != EventType::kNotification) continue;
      Event e;
      if (!journal::decode(view, e).ok()) continue;
      if (im.pending_notifications.size() >= 1'000'000) break;  // bounded; the cursor stays
      im.pending_notifications.push_back(
          {view.sequence, e.header.event_time, e.as<Notification>()});
    }
  }
  return true;
}

}  // namespace be::engine
