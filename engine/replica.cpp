// The shadow replica (replica.hpp): the pipeline's hand-off, the replica thread's loop, its
// snapshots, and what it reports (health, metrics, the log).
#include "engine/replica.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "core/log.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

JournalReplayer::Options replica_options() {
  JournalReplayer::Options o;
  o.compare = true;
  o.compare_state_hashes = true;
  o.stop_at_divergence = false;  // keep following: the count and the first one are reported
  o.tolerate_cut_inputs = false;
  return o;
}

// A record as the health answer shows it: type, flags and the 96 payload bytes in hex.
std::string describe(const Event& e) {
  std::string out(to_string(e.header.type));
  char buf[32];
  std::snprintf(buf, sizeof buf, " flags=0x%x payload=", static_cast<unsigned>(e.header.flags));
  out += buf;
  for (std::byte b : e.payload) {
    std::snprintf(buf, sizeof buf, "%02x", static_cast<unsigned>(b));
    out += buf;
  }
  return out;
}

}  // namespace

Replica::Replica(const FoldConfig& config, ReplayObserver& observer)
    : fold(config, drop), replayer(fold, replica_options(), &observer) {
  unpublished.reserve(kFreshnessSamples);
}

std::string Replica::divergence_problem() const {
  std::lock_guard lock(mutex);
  if (!first_divergence) return {};
  const ReplayDivergence& d = *first_divergence;
  return "replica diverged at sequence " + std::to_string(d.sequence) + " (input " +
         std::to_string(d.input) + ", " + std::string(to_string(d.what)) + "; " +
         std::to_string(divergences.load()) + " divergent records so far): journaled " +
         (d.what == ReplayDifference::kExtra ? "none" : describe(d.journaled)) + "; replayed " +
         (d.what == ReplayDifference::kMissing ? "none" : describe(d.replayed)) +
         "; snapshots stopped";
}

// ---- The replay loop's additions ------------------------------------------------------------

void ReplicaObserver::on_record(const Event& e) {
  if (e.header.type == EventType::kFillApplied && e.derived()) im.note_fill(e);
}

void ReplicaObserver::on_divergence(const ReplayDivergence& d) {
  im.replica.divergences.fetch_add(1, std::memory_order_relaxed);
  bool first = false;
  {
    std::lock_guard lock(im.replica.mutex);
    if (!im.replica.first_divergence) {
      im.replica.first_divergence = d;
      first = true;
    }
  }
  if (first) {
    log::write(log::Level::kError, log::kEngine, im.replica.divergence_problem());
    im.publish_requested.store(true, std::memory_order_release);         // health says it at once
    im.replica.divergence_alert.store(true, std::memory_order_release);  // and a notification
  }
}

// ---- Pipeline side --------------------------------------------------------------------------

void Engine::Impl::replica_offer(const Event& record, Nanos finished) noexcept {
  const ReplicaItem item{record, finished};
  for (std::uint32_t spins = 0; !replica.ring.try_push(item); ++spins) {
    if (is_halted()) return;  // nobody follows any more
    replica.full_spins.fetch_add(1, std::memory_order_relaxed);
    if (spins > 64) std::this_thread::yield();
  }
}

// ---- Replica thread -------------------------------------------------------------------------

// At open, after recovery: the replica starts from the pipeline's fold (a copy through its
// snapshot bytes; a fresh journal's folds are equal already).
Expected<bool, std::string> Engine::Impl::replica_open() {
  if (fold.ordinal() > 0) {
    if (auto refused = replica.fold.restore(fold.snapshot()))
      return Unexpected("replica: the recovered fold does not restore: " + *refused);
  }
  replica.replayer.begin();
  replica.position = next_position - 1;
  replica.applied_position.store(replica.position, std::memory_order_release);
  return true;
}

void ReplicaAgent::on_start() {
  im.replica.last_publish = wall_now();
  im.replica.last_snapshot = wall_now();
}

int ReplicaAgent::do_work() {
  if (im.is_halted() || (im.writer && im.writer->failed())) {
    done = true;  // the sequencer publishes the halt; nothing more is committed
    return 0;
  }
  const bool draining = im.replica.drain.load(std::memory_order_acquire);
  const int work = im.replica_follow();
  // A request (a command's answer, drain()) wants a read model that shows every input the
  // pipeline had finished when it asked: the replica publishes once it has applied them.
  Replica& r = im.replica;
  if (im.publish_requested.exchange(false, std::memory_order_acq_rel)) {
    r.publish_goal = std::max(r.publish_goal, im.self.applied_inputs());
    r.publish_wanted = true;
  }
  const Nanos now = wall_now();
  if (now - r.last_publish >= im.config.publish_interval ||
      (r.publish_wanted && r.fold.ordinal() >= r.publish_goal)) {
    r.publish_wanted = false;
    im.publish(now);
  }
  if (draining && work == 0 && im.replica.ring.empty_approx()) done = true;
  return work;
}

// After the pipeline's shutdown: the last read model and snapshot (not after a halt).
void ReplicaAgent::on_close() {
  if (im.is_halted()) return;
  im.publish(wall_now());
  im.replica_snapshot();
}

int Engine::Impl::replica_follow() {
  const SequenceNumber committed = writer ? writer->committed() : ~SequenceNumber{0};
  const auto items = replica.ring.peek(256);
  std::size_t k = 0;
  for (; k < items.size(); ++k) {
    const ReplicaItem& item = items[k];
    const SequenceNumber sequence = item.record.header.sequence;
    if (sequence > committed) break;
    replica.replayer.step(item.record, sequence, replica.result);
    replica.position = sequence;
    if (item.record.header.type == EventType::kBlob && !item.record.derived()) {
      // Applied here and committed: its bytes are needed no more.
      std::lock_guard lock(blob_mutex);
      blobs.erase(item.record.as<BlobRef>().blob_id);
    }
    if (item.finished == 0) continue;
    // The end of an input: every record of it applied or compared.
    const Nanos now = wall_now();
    replica.lag.record(now - item.finished);
    ++replica.inputs;
    ++replica.inputs_since_snapshot;
    if (replica.unpublished.size() < Replica::kFreshnessSamples)
      replica.unpublished.push_back(item.finished);
    replica.applied_position.store(sequence, std::memory_order_release);
    if (replica.inputs_since_snapshot >= config.snapshot_every_inputs ||
        now - replica.last_snapshot >= config.snapshot_interval) {
      replica_snapshot();
    }
  }
  replica.ring.release(k);
  return static_cast<int>(k);
}

// A snapshot of the replica's state after the input ending at `replica.position` (the
// journal holds it: the replica follows committed records only), keyed by that position.
void Engine::Impl::replica_snapshot() {
  replica.last_snapshot = wall_now();
  if (!writer || replica.inputs_since_snapshot == 0) return;
  if (replica.divergences.load(std::memory_order_relaxed) != 0) return;  // not the live state
  const auto bytes = engine_snapshot(replica.fold.snapshot(), history_bytes(), config.source_text);
  const std::uint64_t hash = replica.fold.hashes().combined;
  if (auto err = writer->write_snapshot(replica.position, bytes, hash); !err.ok()) {
    std::lock_guard lock(replica.mutex);
    replica.snapshot_error = "snapshot: " + err.message;
    return;
  }
  replica.snapshots.fetch_add(1, std::memory_order_relaxed);
  replica.inputs_since_snapshot = 0;
}

// ---- What it reports --------------------------------------------------------------------------

// Read model (replica thread, publishing): the figures, and each input's freshness.
void Engine::Impl::replica_view(EngineView& e, Nanos now) {
  for (const Nanos finished : replica.unpublished)
    replica.freshness.record(now - finished);
  replica.unpublished.clear();
  e.replica_position = replica.position;
  e.replica_divergences = replica.divergences.load(std::memory_order_relaxed);
  e.replica_snapshots = replica.snapshots.load(std::memory_order_relaxed);
  e.replica_full_spins = replica.full_spins.load(std::memory_order_relaxed);
  e.replica_latency.push_back(stage_latency("lag", replica.lag));
  e.replica_latency.push_back(stage_latency("freshness", replica.freshness));
  e.replica_latency.push_back(stage_latency("publish", replica.publish));
  if (std::string problem = replica.divergence_problem(); !problem.empty()) {
    e.healthy = false;
    e.problems.push_back(std::move(problem));
  }
  std::lock_guard lock(replica.mutex);
  if (!replica.snapshot_error.empty()) {
    e.healthy = false;
    e.problems.push_back(replica.snapshot_error);
  }
}

// ---- Test seam --------------------------------------------------------------------------------

// Flips one payload byte of the next derived record before it is journaled (the journal, the
// stream and the replica all see it): what the fold re-derives there differs.
void Engine::Impl::perturb(Event& record) noexcept {
  perturb_next_derived.store(false, std::memory_order_relaxed);
  record.payload[0] ^= std::byte{0x5a};
  perturbed_sequence.store(record.header.sequence, std::memory_order_release);
}

void Engine::perturb_next_derived_record() {
  impl_->perturbed_sequence.store(0, std::memory_order_relaxed);
  impl_->perturb_next_derived.store(true, std::memory_order_release);
}

Engine::ReplicaReport Engine::replica_report() const {
  const Replica& r = impl_->replica;
  ReplicaReport out;
  out.applied_position = r.applied_position.load(std::memory_order_acquire);
  out.divergences = r.divergences.load(std::memory_order_relaxed);
  out.snapshots = r.snapshots.load(std::memory_order_relaxed);
  out.perturbed_sequence = impl_->perturbed_sequence.load(std::memory_order_acquire);
  std::lock_guard lock(r.mutex);
  if (r.first_divergence) {
    out.first_divergence = r.first_divergence->sequence;
    out.journaled = r.first_divergence->journaled;
    out.replayed = r.first_divergence->replayed;
  }
  return out;
}

}  // namespace be::engine
