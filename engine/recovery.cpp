// Recovery: the newest snapshot that restores (older ones when a newer is refused), then the
// journal tail through the same fold with the JournalReplayer (engine/journal_replayer.hpp),
// comparing every re-derived record and state hash with the journaled ones; then the
// notifier's outbox from its cursor. Called once by Engine::open, before any
// thread starts.
#include <new>
#include <string>

#include "engine/engine_impl.hpp"
#include "engine/journal_check.hpp"
#include "engine/journal_replayer.hpp"
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
  // What this run will build on is checked first: every record since the last verified
  // checkpoint (a journal that cannot be trusted is refused here, before anything appends).
  auto checked = check_journal_tail(dir, **reader);
  if (!checked) return Unexpected(checked.error());
  report.verified_records = checked->records;
  if (!checked->warning.empty()) report.warnings.push_back(checked->warning);
  SequenceNumber first = 0, last = 0;
  if (auto e = (*reader)->bounds(first, last); !e.ok()) return Unexpected(e.message);
  report.last_position = last;
  // Newest snapshot that restores; older ones are tried if a newer one is refused.
  SequenceNumber at_most = last;
  SequenceNumber from = 1;
  // A fold rebuilt after a refused snapshot answers into this until open() reconnects it to
  // the engine: it must outlive the tail replay below.
  oms::DiscardResponses drop;
  bool refused_snapshot = false;
  while (at_most > 0) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = (*reader)->find_snapshot(at_most, snap, found); !e.ok()) {
      // A damaged snapshot record: fall back to an older one (plus a longer tail), and say so.
      if (e.code != journal::Errc::kCorrupt || e.sequence == 0) return Unexpected(e.message);
      report.warnings.push_back("snapshot at sequence " + std::to_string(e.sequence) +
                                " skipped: " + e.message);
      at_most = e.sequence - 1;
      continue;
    }
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
    report.warnings.push_back("snapshot at sequence " + std::to_string(snap.sequence) +
                              " skipped: it does not restore into this deployment's fold");
    refused_snapshot = true;
    im.bot_history.clear();
    im.fold.~Fold();
    new (&im.fold) Fold(Engine::Impl::fold_config(im.config, im.starting_balances), im);
    im.fold.set_responses(drop);
    at_most = snap.sequence - 1;
  }
  // Older snapshots are what a fallback or `replay --verify` would need: a damaged one is
  // reported now (CRC only; the newest restorable one was restored above).
  for (SequenceNumber older = report.snapshot_position; older > 1;) {
    journal::SnapshotView snap;
    bool found = false;
    const journal::Error e = (*reader)->find_snapshot(older - 1, snap, found);
    if (e.ok() && !found) break;
    if (!e.ok() && (e.code != journal::Errc::kCorrupt || e.sequence == 0)) break;
    if (!e.ok()) report.warnings.push_back("older snapshot damaged: " + e.message);
    older = e.ok() ? snap.sequence : e.sequence;
  }
  // The tail through the one replay loop: every derived record and state hash compared
  // (an input whose derived records a kill cut off is no mismatch), fills noted for the read
  // model. After a refused snapshot the journal's state hashes are another fold layout's:
  // only the derived records are compared.
  struct NoteFills final : ReplayObserver {
    Engine::Impl& im;
    explicit NoteFills(Engine::Impl& i) : im(i) {}
    void on_record(const Event& e) override {
      if (e.header.type == EventType::kFillApplied) im.note_fill(e);
    }
  } note_fills(im);
  JournalReplayer::Options options;
  options.tolerate_cut_inputs = true;
  options.compare_state_hashes = !refused_snapshot;
  JournalReplayer replayer(**reader, &im.fold, options, &note_fills);
  auto replayed = replayer.run(from);
  if (!replayed) return Unexpected(replayed.error());
  // Only the last input can have lost its derived records (sequences are dense, and the next
  // input follows them): Engine::open appends them before anything else, so the journal reads
  // as if the kill had come a moment later and `replay --verify` finds every input's records.
  const auto cut = replayer.cut_records();
  im.cut_tail.assign(cut.begin(), cut.end());
  report.tail_records = replayed->counts.records;
  report.derived_mismatches = replayed->counts.mismatches;
  im.ordinal = im.fold.ordinal();
  im.next_position = last + 1;
  // The audit: every operator command the journal's live segments hold. A directory
  // command's outcome is re-derived by a directory of its own fed the same records (the
  // directory depends on nothing else); a bot command's is not kept across restarts.
  {
    Directory shadow(im.fold.directory().config());
    DirectoryEffect effect;
    journal::RecordView view;
    (*reader)->seek(first);
    while ((*reader)->next(view) == journal::ReadStatus::kRecord) {
      if (view.type != EventType::kOperatorCommand && view.type != EventType::kBlob) continue;
      if ((view.flags & kFlagDerived) != 0) continue;
      Event e;
      if (!journal::decode(view, e).ok()) continue;
      e.header.sequence = view.sequence;
      shadow.on_input(e, effect);
      if (view.type != EventType::kOperatorCommand) continue;
      im.note_audit(
          e, effect.command ? effect.refusal : "journaled (outcome not kept across restarts)");
    }
  }
  // The notifier's outbox: every Notification after its cursor, wherever the snapshot is.
  if (im.config.notifications_after < last) {
    journal::RecordView view;
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
