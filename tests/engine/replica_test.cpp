// The shadow replica (engine/replica.hpp), in both topologies: it finds no divergence over a
// trading run, its snapshots restore to the live fold's state at their sequence, and a derived
// record the test seam perturbs is reported at its sequence, with both versions, in the
// health problems and /metrics, and found at the same sequence by the journal's own replay.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/journal_replayer.hpp"
#include "engine/snapshot_format.hpp"
#include "tests/engine/engine_fixture.hpp"

namespace be::engine {
namespace {

using namespace test_support;

class ReplicaTest : public ::testing::TestWithParam<Topology> {
 protected:
  EngineConfig config(const TempDir& dir) const {
    EngineConfig c = test_config(dir.path);
    c.topology = GetParam();
    c.idle = "yield";
    return c;
  }
};

// The replica's report once the read model shows everything offered (drain() waits for it).
Engine::ReplicaReport settled(Engine& engine) {
  EXPECT_TRUE(engine.drain(20'000'000'000));
  return engine.replica_report();
}

TEST_P(ReplicaTest, FindsNoDivergenceAndItsSnapshotsRestoreToTheLiveFoldsState) {
  TempDir dir;
  EngineConfig c = config(dir);
  c.snapshot_every_inputs = 300;  // several snapshots over the run, each by the replica
  c.keep_snapshots = 1000;        // retention keeps them all
  std::uint64_t live_hash = 0;
  {
    auto engine = started_engine(c);
    ASSERT_TRUE(engine);
    Market market(5, wall_clock_now());
    ASSERT_TRUE(start_trading(*engine, market, {kGridBot, kDcaBot}));
    ASSERT_TRUE(offer_market(*engine, market, 1500));
    const Engine::ReplicaReport r = settled(*engine);
    EXPECT_EQ(r.divergences, 0u);
    EXPECT_EQ(r.first_divergence, 0u);
    EXPECT_GE(r.snapshots, 3u);
    const auto model = engine->read_model();
    // The clock tick keeps journaling inputs after drain(), so the replica may be past what
    // the model shows (TSan's slower run showed it): a published model never shows more than
    // the replica has applied, and shows something.
    const Engine::ReplicaReport after = engine->replica_report();
    EXPECT_TRUE(model->engine.healthy);
    EXPECT_GT(model->engine.replica_position, 0u);
    EXPECT_LE(model->engine.replica_position, after.applied_position);
    EXPECT_GT(model->engine.fills, 0u) << "the run traded";
    const std::string metrics = engine->metrics_text();
    EXPECT_NE(metrics.find("botengine_replica_divergences_total 0\n"), std::string::npos);
    EXPECT_NE(metrics.find("botengine_replica_seconds_count{kind=\"lag\"}"), std::string::npos);
    EXPECT_EQ(engine->stop(), "");
    live_hash = engine->state_hash();  // the pipeline's fold, after the shutdown input
  }
  // Every snapshot: the fold it restores hashes as it records, and as the journal's own replay
  // from scratch through its sequence (the live fold there: the run had no divergence).
  auto reader = journal::Reader::open(c.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  SequenceNumber at_most = ~SequenceNumber{0};
  int checked = 0;
  bool newest = true;
  while (true) {
    journal::SnapshotView snap;
    bool found = false;
    ASSERT_TRUE((*reader)->find_snapshot(at_most, snap, found).ok());
    if (!found) break;
    const SnapshotParts parts = split_snapshot(snap.state);
    ASSERT_TRUE(parts.ok);
    DeploymentFold restored(c);
    ASSERT_FALSE(restored.fold.restore(parts.fold).has_value()) << snap.sequence;
    const std::uint64_t restored_hash = restored.fold.hashes().combined;
    EXPECT_EQ(restored_hash, snap.state_hash) << snap.sequence;
    const SequenceNumber sequence = snap.sequence;
    at_most = sequence - 1;  // the view dies with the next find_snapshot
    DeploymentFold scratch(c);
    JournalReplayer replayer(**reader, &scratch.fold, {});
    const auto replayed = replayer.run(1, sequence);
    ASSERT_TRUE(replayed.has_value()) << replayed.error();
    EXPECT_EQ(replayed->counts.mismatches, 0u);
    EXPECT_GT(replayed->counts.hashes_checked, 0u) << "the snapshot's hash, at its sequence";
    EXPECT_EQ(scratch.fold.hashes().combined, restored_hash) << "snapshot at " << sequence;
    // The newest is the shutdown's, at the journal's end: the live fold at stop.
    if (newest) {
      EXPECT_EQ(restored_hash, live_hash);
    }
    newest = false;
    ++checked;
  }
  EXPECT_GE(checked, 4) << "the periodic snapshots and the shutdown's";
  EXPECT_EQ(replay_from_scratch(c).derived_mismatches, 0u);
}

TEST_P(ReplicaTest, ReportsAPerturbedDerivedRecordAtItsSequence) {
  TempDir dir;
  const EngineConfig c = config(dir);
  SequenceNumber perturbed = 0;
  {
    auto engine = open_engine(c);
    ASSERT_TRUE(engine);
    // Raised notifications (sequence 0: not journaled) on the publisher thread.
    std::mutex raised_mutex;
    std::vector<Notification> raised;
    engine->set_notification_handler([&](SequenceNumber seq, Nanos, const Notification& n) {
      std::lock_guard lock(raised_mutex);
      if (seq == 0) raised.push_back(n);
    });
    ASSERT_TRUE(engine->start().has_value());
    Market market(6, wall_clock_now());
    ASSERT_TRUE(start_trading(*engine, market, {kGridBot}));
    ASSERT_TRUE(offer_market(*engine, market, 200));
    EXPECT_EQ(settled(*engine).divergences, 0u) << "none before the seam";
    engine->perturb_next_derived_record();
    // A command derives records: the next one is perturbed.
    const CommandResult created = engine->create_bot(UserId{1}, kDcaBot);
    ASSERT_EQ(created.status, CommandStatus::kAccepted) << created.message;
    ASSERT_TRUE(offer_market(*engine, market, 200));
    const Engine::ReplicaReport r = settled(*engine);
    perturbed = r.perturbed_sequence;
    ASSERT_GT(perturbed, 0u);
    EXPECT_EQ(r.first_divergence, perturbed);
    EXPECT_EQ(r.divergences, 1u) << "one record differs, nothing else";
    EXPECT_EQ(r.journaled.header.type, r.replayed.header.type);
    EXPECT_NE(std::memcmp(r.journaled.payload.data(), r.replayed.payload.data(),
                          r.journaled.payload.size()),
              0);
    // Health: unhealthy (the API answers 503), naming the sequence and both versions.
    const auto model = engine->read_model();
    EXPECT_FALSE(model->engine.healthy);
    const std::string needle = "replica diverged at sequence " + std::to_string(perturbed) + " ";
    bool named = false;
    for (const std::string& p : model->engine.problems) {
      if (p.rfind(needle, 0) == 0 && p.find("journaled ") != std::string::npos &&
          p.find("replayed ") != std::string::npos)
        named = true;
    }
    EXPECT_TRUE(named) << "no problem starts with '" << needle << "'";
    EXPECT_NE(engine->metrics_text().find("botengine_replica_divergences_total 1\n"),
              std::string::npos);
    // And a notification, once, naming the record (bounded wait for the publisher thread).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    auto raised_count = [&] {
      std::lock_guard lock(raised_mutex);
      return raised.size();
    };
    while (raised_count() == 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_EQ(engine->stop(), "");
    ASSERT_EQ(raised.size(), 1u);
    EXPECT_EQ(raised[0].kind, NotificationKind::kReplicaDivergence);
    EXPECT_EQ(raised[0].cause, perturbed);
    EXPECT_EQ(raised[0].value1, 1);
  }
  // The one comparison, run over the journal as `replay --verify` does, agrees.
  auto reader = journal::Reader::open(c.data_dir + "/journal");
  ASSERT_TRUE(reader.has_value());
  DeploymentFold scratch(c);
  JournalReplayer::Options stop_at_first;
  stop_at_first.stop_at_divergence = true;
  JournalReplayer replayer(**reader, &scratch.fold, stop_at_first);
  const auto replayed = replayer.run();
  ASSERT_TRUE(replayed.has_value()) << replayed.error();
  ASSERT_TRUE(replayed->first_divergence.has_value());
  EXPECT_EQ(replayed->first_divergence->sequence, perturbed);
  EXPECT_EQ(replayed->first_divergence->what, ReplayDifference::kPayload);
}

// The replica's cost per input and its lag at 100,000 inputs/s: bench/replay/replica_bench.cpp.

INSTANTIATE_TEST_SUITE_P(Topologies, ReplicaTest,
                         ::testing::Values(Topology::kFused, Topology::kPipelined),
                         [](const ::testing::TestParamInfo<Topology>& param) {
                           return std::string(to_string(param.param));
                         });

}  // namespace
}  // namespace be::engine
