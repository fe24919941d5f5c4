// The shadow replica: a second fold on its own thread ("be-replica") that follows every record
// the pipeline journals, applies each input, re-derives every derived record and compares it
// with the journaled one through the one replay comparison (JournalReplayer::step, the same
// code as recovery and `replay --verify`). It, not the pipeline, takes the snapshots and
// publishes the read model, so the hot thread never does work in proportion to the state and
// the pipelined topology never stops its stages for either (docs/ARCHITECTURE.md §6).
//
//   pipeline (the thread that finishes inputs)         be-replica
//   journal_append(r) ... then offer every record --> [ ring ] --> records up to the journal's
//   of the input, the last one stamped with the                    committed() (journal off:
//   time it finished                                               all), one at a time:
//                                                                  step() -> compare; at each
//                                                                  input's end: lag, snapshot
//                                                                  when due; read model when due
//
// With the journal on it follows the committed journal (a record reaches it once the writer
// committed it, so a snapshot's sequence is always one the journal holds and the read model
// never shows what a crash could lose); with the journal off it follows the sequenced stream
// in memory. The pipeline waits (spinning, counted) when the ring is full: the replica's
// snapshots must see every record.
//
// A divergence is a health problem: the read model turns unhealthy naming the first divergent
// sequence and both versions (so /api/v1/health answers 503), /metrics counts them, the log
// says it once. Snapshots stop after one (the replica's state is no longer the live fold's).
//
// Memory: a second fold as large as the pipeline's, plus the ring (kCapacity records).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/spsc_ring.hpp"
#include "engine/engine.hpp"
#include "engine/fold.hpp"
#include "engine/journal_replayer.hpp"
#include "engine/latency_histogram.hpp"
#include "oms/venue.hpp"

namespace be::engine {

// One journaled record on its way to the replica. `finished`: on the last record of an input,
// the wall time the pipeline finished that input; 0 on the others.
struct ReplicaItem {
  Event record;
  Nanos finished = 0;
};

// The replica thread as an agent (core/agent.hpp); bodies in replica.cpp.
struct ReplicaAgent {
  Engine::Impl& im;
  bool done = false;
  void on_start();
  int do_work();
  void on_close();
  bool finished() const noexcept { return done; }
  std::string_view name() const noexcept { return "be-replica"; }
};

// What the replica adds to the replay loop: fills for the read model's history, blobs released
// once it has applied them, divergences reported (bodies in replica.cpp).
struct ReplicaObserver final : ReplayObserver {
  explicit ReplicaObserver(Engine::Impl& engine) : im(engine) {}
  Engine::Impl& im;
  void on_record(const Event& record) override;
  void on_divergence(const ReplayDivergence& divergence) override;
};

struct Replica {
  static constexpr std::size_t kCapacity = 65'536;  // records
  // Inputs whose read-model freshness is measured per publication (more are counted only).
  static constexpr std::size_t kFreshnessSamples = 1 << 17;

  Replica(const FoldConfig& config, ReplayObserver& observer);

  // ---- Shared with the pipeline ----------------------------------------------------------------
  SpscRing<ReplicaItem> ring{kCapacity};
  std::atomic<std::uint64_t> full_spins{0};  // the pipeline waited for room (pipeline thread)
  std::atomic<bool> drain{false};            // stop: finish what the ring holds, then close

  // ---- Replica thread ----------------------------------------------------------------------
  oms::DiscardResponses drop;  // the paper venue's answers: the journal holds them as inputs
  Fold fold;
  JournalReplayer replayer;
  ReplayResult result;
  SequenceNumber position = 0;  // the last record applied or compared
  std::uint64_t inputs = 0;     // inputs applied since open
  std::uint64_t inputs_since_snapshot = 0;
  Nanos last_snapshot = 0;
  Nanos last_publish = 0;
  std::uint64_t inputs_at_last_publish = 0;
  double events_per_second = 0;
  std::vector<Nanos> unpublished;  // when each input since the last publication was finished
  bool publish_wanted = false;     // asked for a read model showing inputs through publish_goal
  SequenceNumber publish_goal = 0;

  // ---- Any thread --------------------------------------------------------------------------
  LatencyHistogram lag;        // pipeline finished an input -> the replica applied it
  LatencyHistogram freshness;  // pipeline finished an input -> a read model showing it
  LatencyHistogram publish;    // building and swapping in one read model
  std::atomic<SequenceNumber> applied_position{0};
  std::atomic<std::uint64_t> divergences{0};
  std::atomic<std::uint64_t> snapshots{0};
  mutable std::mutex mutex;
  std::optional<ReplayDivergence> first_divergence;  // under mutex
  // The first divergence waits for the publisher thread to raise its notification.
  std::atomic<bool> divergence_alert{false};
  std::string snapshot_error;  // under mutex

  // The health problem line for the first divergence ("" without one).
  std::string divergence_problem() const;
};

}  // namespace be::engine
