// The engine: the fold (engine/fold.hpp) driven by a sequencer, fed by venue
// connections, journaled, snapshotted, recovered at start, and observed and steered through
// the ControlPlane (engine/control.hpp).
//
//   WsClient I/O thread --parse (feed/)--> Event --+
//   control API threads --commands, blobs-------->  +--> Ingress (MPSC) --+
//   paper venue answers, loop-back rejects,                               +--> sequencer:
//   durable releases --------------------------> feedback ring (first) --+   input ordinal,
//   sequencer: clock tick every tick_interval                                fold, journal
//                                                                             input + derived
//   journal writer thread: group commits, watermarks                          records, send
//   publisher thread: stream ring -> JSON stream buffer                       orders, publish
//                                                                             read model,
//                                                                             snapshot
//
// Topology (EngineConfig::topology): `fused`: the sequencer and all three business stages
// run on one pipeline thread, one input at a time. `pipelined`: the sequencer runs the
// strategy phase, a risk thread and an orders thread the next two (see Engine::Impl). The
// parse runs on each venue's I/O thread either way. Every engine thread runs on a
// core::AgentRunner and is named ("be-seq", "be-risk", "be-orders", "be-publish"; the
// journal's "be-journal"); every thread runs on the CPUs the process's placement plan gives
// its role (EngineConfig::threads, core/thread_placement.hpp: a CPU that cannot be had is
// logged and shown in health and metrics, the thread then runs unpinned) and the stage
// threads idle with the configured strategy. In durable mode orders leave once the journal's
// durable watermark covers their input (fold.hpp, kReleaseTimer).
//
// Failure: an exception escaping any engine thread halts the engine: the reason goes to
// stderr and to failure(), intake is refused (running() turns false), the other threads stop,
// and the read model turns unhealthy with the reason among its problems (/api/v1/health
// answers 503 saying why). Nothing more is journaled or snapshotted; stop() still joins.
//
// Start-up: open the journal in data_dir/journal, load the newest snapshot whose state
// restores, apply the journal tail through the fold (answers of the paper venue are dropped:
// the journal holds them), then mark orders in flight unknown and reconcile them with the
// venue (journaled inputs), then define instruments and initial balances if the journal was
// new, then start intake.
//
// Thread-safety: ControlPlane members from any thread; start/stop/offer_frame as documented.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/expected.hpp"
#include "core/thread_placement.hpp"
#include "engine/control.hpp"
#include "engine/fold.hpp"
#include "engine/live_venues.hpp"
#include "engine/polled_feed.hpp"

namespace be::engine {

struct InstrumentSpec {
  std::string venue = "binance";
  std::string symbol;  // "BTCUSDT"
  std::string base, quote;
  std::uint8_t price_scale = 8;
  std::uint8_t qty_scale = 8;
  std::int64_t tick_size = 0, step_size = 0, min_notional = 0;  // at the scales; 0 = none
};

// Where a venue's frames are received and parsed (docs/CONFIG.md "venues"): `thread`, the
// Beast client's I/O thread, which parses and pushes events through the ingress; `hot`, the
// pipeline thread itself polls the socket through io_uring (engine/polled_feed.hpp), ws://
// only.
enum class Ingest : std::uint8_t { kThread, kHot };
std::string_view to_string(Ingest ingest) noexcept;

struct VenueSpec {
  std::string name = "binance";
  std::string url;  // market-data WebSocket (combined stream); empty: no connection
  std::vector<std::string> channels = {"trade", "bookTicker"};
  Ingest ingest = Ingest::kThread;
};

enum class JournalMode : std::uint8_t { kOff, kAsync, kDurable, kNone };
std::string_view to_string(JournalMode mode) noexcept;
std::optional<JournalMode> journal_mode_from(std::string_view name) noexcept;

// fused: the sequencer and the three stages on one thread. pipelined: a thread per stage
// (sequencer + strategy, risk, orders + journal hand-off) connected by SPSC rings.
enum class Topology : std::uint8_t { kFused, kPipelined };
std::string_view to_string(Topology topology) noexcept;
std::optional<Topology> topology_from(std::string_view name) noexcept;

struct EngineConfig {
  std::string data_dir = "./data";
  JournalMode journal = JournalMode::kAsync;
  Topology topology = Topology::kFused;
  std::string idle = "backoff";  // "spin" | "yield" | "backoff"; every stage thread
  // Where every thread runs (docs/CONFIG.md "threads"): the runner installs
  // placement_plan(config, usable_cpus()) before it starts any thread. A config built in code
  // places nothing (policy none); parse_engine_config's default is policy auto.
  PlacementConfig threads{};
  std::uint64_t snapshot_every_inputs = 100'000;
  Nanos snapshot_interval = 60'000'000'000;
  Nanos tick_interval = 100'000'000;
  Nanos publish_interval = 250'000'000;
  std::vector<VenueSpec> venues;
  std::vector<InstrumentSpec> instruments;
  // Paper balances at start of a new journal: asset -> amount (decimal text).
  std::vector<std::pair<std::string, std::string>> balances;
  FoldConfig fold{};
  bool cancel_open_orders_on_shutdown = true;
  // Free-space floors of the filesystem holding the journal (docs/CONFIG.md "engine.disk_*"):
  // below the reserve, new bots and orders that add exposure are refused while everything that
  // reduces risk is still journaled; below the stop floor intake stops before the filesystem
  // is full. 0 turns a floor off.
  // Journal segments and retention (docs/JOURNAL.md "Segments and retention"): roll a segment
  // at this size (0: never by size) or age (0: never by age); keep the newest
  // keep_snapshots snapshots (0: all) plus pinned ones; retired segments go compressed to
  // journal_archive_dir (unset: <data_dir>/archive; empty: no archive), or are deleted when
  // journal_delete_unarchived, else stay.
  std::uint64_t journal_segment_bytes = std::uint64_t{256} << 20;
  std::int64_t journal_segment_age_s = 0;
  std::size_t keep_snapshots = 3;
  std::optional<std::string> journal_archive_dir;
  bool journal_delete_unarchived = false;
  std::uint64_t disk_reserve_bytes = std::uint64_t{128} << 20;
  std::uint64_t disk_stop_bytes = std::uint64_t{32} << 20;
  std::size_t stream_capacity = 65'536;
  std::size_t ingress_capacity = 8192;
  // Bot configs created when the journal is new (the demo's bots), started at once.
  std::vector<std::string> initial_bots;
  // The runner's tokens file (runner/api/auth.hpp), in file order: journaled as users at the
  // first start whose journal holds no users (a new journal, or one from before users were
  // journaled), keeping each user's id (its line number from 1). From then on the journal is
  // the source of truth for users and accounts (docs/ACCOUNTS.md).
  struct InitialUser {
    std::string name;
    bool admin = false;
    std::string token_sha256;  // 64 lowercase hex digits
  };
  std::vector<InitialUser> initial_users;
  // Trust anchors for wss:// venues (empty: the system's).
  std::string ca_file;
  // Live accounts (docs/ACCOUNTS.md "Live accounts"). dry_run: every live account's orders
  // are answered by the paper venue on the live market (`run --dry-run`); the engine journals
  // kDryRunSet/kDryRunReset at start when this differs from the journal's last word, so a
  // replay routes as the run did. max_live_accounts: create_account of a live account past it
  // is refused (409): a runner's gateways share its I/O threads, and this is what one runner
  // is sized and tested for.
  bool dry_run = false;
  std::uint32_t max_live_accounts = 1000;
  // What a live account's gateway does with an open order of the account that is not ours
  // (oms/venue.hpp ForeignOrderPolicy): `foreign_orders` for every live account, unless its
  // entry in `live_accounts` says otherwise. Runner-side (the gateway's), not folded.
  oms::ForeignOrderPolicy foreign_orders = oms::ForeignOrderPolicy::kReport;
  // How long a live gateway's thread waits for room in the engine's full live-answers ring
  // before the answer is lost and its account resynced (engine_impl.hpp; not in the config
  // file: tests shorten it). live_answers_capacity: that ring's slots, a power of two (not in
  // the config file: tests shrink it, so that filling it is quick under a sanitizer too).
  std::chrono::milliseconds live_answers_wait{2'000};
  std::size_t live_answers_capacity = 65'536;
  struct LiveAccountSettings {
    std::uint32_t account = 0;
    oms::ForeignOrderPolicy foreign_orders = oms::ForeignOrderPolicy::kReport;
  };
  std::vector<LiveAccountSettings> live_accounts;
  // The config's own text (set by parse_engine_config): journaled as the first record of a
  // new journal (a kBlob of kind kEngineConfigBlobKind) so that a replay rebuilds the same
  // fold (paper venue fees, balances, instruments) without being told.
  std::string source_text;
  // Notifications journaled after this sequence are handed to the notification handler
  // again at start, before any live one (the journal is the notifier's outbox: its cursor
  // says what was delivered). UINT64_MAX: none.
  SequenceNumber notifications_after = ~SequenceNumber{0};
};

// Blob kinds the engine journals (Blob.kind): a bot's JSON config (create, update) and the
// deployment config. Journaled numbers: append, never renumber.
inline constexpr std::uint32_t kBotConfigBlobKind = 1;
inline constexpr std::uint32_t kEngineConfigBlobKind = 2;
// 3..5: users and accounts (kUserBlobKind, kAccountBlobKind, kKeyBlobKind: directory.hpp).

// Parses the deployment config (docs/CONFIG.md): every bad field named.
Expected<EngineConfig, std::vector<config::FieldError>> parse_engine_config(std::string_view json);

// What the runner installs (core/thread_placement.hpp) for this config on these CPUs: the hot
// roles are the pipeline thread, and in the pipelined topology the risk and orders threads.
PlacementPlan placement_plan(const EngineConfig& config, std::span<const int> usable_cpus);
// What a runner calls once, on its main thread, before it starts any other: installs
// placement_plan(config, usable_cpus()) for the process, sends placement failures to the log
// (component engine, warning) and places the calling thread as ThreadRole::kOthers (its name
// kept). Returns the plan installed.
PlacementPlan place_threads(const EngineConfig& config);

// The fold a deployment runs. The engine, recovery, replay and backtests all build theirs
// with these two, so they agree (durable mode holds paper sends, say).
class InstrumentTable;
// The configured opening balances at their assets' ids and scales (parse_engine_config
// validated them: an unknown asset or a bad decimal is skipped here).
std::vector<oms::PaperStartingBalance> paper_balances(const EngineConfig& config,
                                                      const InstrumentTable& instruments);
// `balances` must outlive the call only: the fold copies them.
FoldConfig fold_config(const EngineConfig& config,
                       std::span<const oms::PaperStartingBalance> balances);

// Per-input timestamps for the latency harness, all on the wall clock (ns since the epoch).
struct StageTimes {
  Nanos intended = 0;   // the harness's intended send time (0 for live inputs)
  Nanos received = 0;   // receive_time stamped at ingress
  Nanos sequenced = 0;  // taken off the ingress by the sequencer
  Nanos strategy = 0;   // after the strategy stage
  Nanos risk = 0;       // after the risk stage (pipelined: includes the ring hop to it)
  Nanos orders = 0;     // after the order manager and paper venue: the whole fold
  Nanos journaled = 0;  // after the records were handed to the journal
  Nanos sent = 0;       // when the first order of this input went to the venue; 0: none
  EventType type = EventType::kInvalid;
};

// The business stages, for the fault-injection test seam.
enum class EngineStage : std::uint8_t { kStrategy, kRisk, kOrders };

class LatencyProbe {
 public:
  virtual ~LatencyProbe() = default;
  // Called after each input on the thread that finished it (fused: the pipeline thread;
  // pipelined: the orders stage); must not block or allocate.
  virtual void on_input(const StageTimes& times) noexcept = 0;
};

class Engine final : public ControlPlane {
 public:
  // Opens (and recovers) the engine; nothing runs until start(). Errors: a bad config, a
  // journal that cannot be opened or is corrupt, a snapshot/tail mismatch.
  static Expected<std::unique_ptr<Engine>, std::string> open(EngineConfig config);
  ~Engine() override;

  // Starts the pipeline, venue connections and publisher threads.
  Expected<bool, std::string> start();
  // Graceful stop: intake stops, a kShutdown command is journaled (cancelling open orders
  // when configured), the journal is flushed and a final snapshot written. Returns "" when all
  // of that was recorded; otherwise what was not and why (the journal's error), so the caller
  // can exit non-zero instead of claiming a clean stop.
  std::string stop();
  bool running() const noexcept { return running_.load(std::memory_order_acquire); }

  // ---- Bench and test hooks -------------------------------------------------------------
  // One wire frame from `venue` (its index in config.venues) parsed on the caller's thread
  // (one caller thread per venue at a time, and not while that venue has a live connection)
  // and offered to the ingress. False when the ingress is full (counted) or it did not parse.
  bool offer_frame(std::size_t venue, std::string_view frame, Nanos receive_time,
                   Nanos intended_time);
  // A feed the pipeline thread polls for `venue` (engine/polled_feed.hpp): its frames are
  // parsed with the venue's parser and folded on the pipeline thread, no ingress between. For
  // a venue without a connection of its own (no url; false otherwise), before or after
  // start(); the pipeline thread may still be polling a replaced (or, nullptr, detached) feed
  // in its current round, so every feed set must stay valid until stop() returns. A venue
  // configured `"ingest": "hot"` gets one from the engine.
  bool set_polled_feed(std::size_t venue, PolledFeed* feed);
  // Any input event (market data, timers, venue answers) offered from the caller's thread.
  bool offer_event(const Event& event, Nanos intended_time = 0);
  void set_latency_probe(LatencyProbe* probe) noexcept { probe_.store(probe); }
  // Blocks until every input offered so far is applied and read_model() includes it
  // (bounded by `timeout`).
  bool drain(Nanos timeout);
  // Test seam: the next input through `stage` throws std::runtime_error(what) on that stage's
  // thread, as a bug in the stage would (the engine halts; see Failure above).
  void inject_stage_fault(EngineStage stage, std::string what);
  // Test seam: the next derived record is journaled with one payload byte flipped, as a
  // nondeterministic stage would leave it; the shadow replica must report its sequence.
  void perturb_next_derived_record();
  // Test seam: while on, every publication rebuilds every bot's view, as the first one does
  // (what a publication that rebuilds only the changed bots must equal).
  void rebuild_every_view(bool on);
  // The shadow replica (engine/replica.hpp): how far it follows, what it found. Any thread.
  struct ReplicaReport {
    SequenceNumber applied_position = 0;    // the last record of the last input it applied
    std::uint64_t divergences = 0;          // divergent records found
    std::uint64_t snapshots = 0;            // snapshots it wrote
    SequenceNumber first_divergence = 0;    // the first one's sequence (0: none)
    Event journaled{}, replayed{};          // both versions there (see ReplayDivergence)
    SequenceNumber perturbed_sequence = 0;  // the test seam's record (0: none yet)
  };
  ReplicaReport replica_report() const;
  // Why the engine halted on its own ("" while it runs, and after a clean stop()).
  std::string failure() const;

  // What recovery did at open().
  struct RecoveryReport {
    SequenceNumber snapshot_position = 0;  // 0: none used
    SequenceNumber tail_records = 0;
    SequenceNumber last_position = 0;
    std::uint64_t unknown_orders = 0;  // in flight, marked unknown and reconciled
    std::uint64_t derived_mismatches = 0;
    // Derived records of the journal's last input that a kill had cut off, re-derived by the
    // recovery and appended before anything else.
    std::uint64_t completed_records = 0;
    std::uint64_t state_hash = 0;
    std::uint64_t verified_records = 0;  // records checked since the last verified checkpoint
    // What recovery passed over and why (a damaged snapshot, an unusable checkpoint):
    // printed by `run` and shown as problems in health.
    std::vector<std::string> warnings;
    double seconds = 0;
  };
  const RecoveryReport& recovery() const noexcept { return recovery_; }
  std::uint64_t state_hash() const;  // pipeline thread or stopped engine only
  SequenceNumber applied_inputs() const noexcept { return applied_.load(); }
  const EngineConfig& config() const noexcept { return config_; }

  // ---- ControlPlane -----------------------------------------------------------------------
  std::shared_ptr<const ReadModel> read_model() const override;
  CommandResult create_bot(UserId user, std::string_view config_json) override;
  BulkCreateResult create_bots(UserId user, std::span<const std::string> configs) override;
  CommandResult update_bot(UserId user, bool is_admin, BotId bot,
                           std::string_view config_json) override;
  CommandResult bot_command(UserId user, bool is_admin, BotId bot,
                            OperatorCommandKind kind) override;
  CommandResult kill_switch(UserId user, bool is_admin, CommandScope scope, std::uint32_t id,
                            bool set) override;
  std::vector<config::FieldError> validate_bot_config(std::string_view json) const override;
  CommandResult create_user(UserId by, std::string_view json) override;
  CommandResult update_user(UserId by, UserId user, std::string_view json) override;
  CommandResult create_account(UserId by, std::string_view json) override;
  CommandResult remove_account(UserId by, AccountId account) override;
  CommandResult attach_key(UserId by, AccountId account, std::string_view key_name,
                           std::string_view key_fingerprint) override;
  std::vector<AuditEntry> audit(SequenceNumber after, std::size_t max) const override;
  StreamBatch stream_since(SequenceNumber after, std::size_t max) const override;
  StreamWindow stream_window() const override;
  std::string metrics_text() const override;

  // Notifications journaled since start (and after `delivered_through` at recovery), for the
  // notifier: called on the publisher thread. Sequence 0: one the engine raises without
  // journaling it, kReplicaDivergence (its `cause` names the divergent record), once per
  // process.
  using NotificationHandler = std::function<void(SequenceNumber, Nanos, const Notification&)>;
  void set_notification_handler(NotificationHandler handler);
  // Extra Prometheus text appended to metrics_text() (the notifier's counters, say).
  void set_metrics_extra(std::function<std::string()> extra);
  // The journal's instance id ("" with the journal off): idempotency keys use it.
  std::string instance_id() const;

  // ---- Live accounts (engine/live_venues.hpp) ---------------------------------------------
  // The gateways of the live accounts: attach before start() (it must outlive the engine's
  // threads: until stop()). Without it a live account's bots are refused at start (409) and
  // nothing is sent live (replay, backtest, tests).
  void attach_live_venues(LiveVenues* venues) noexcept;
  // Where gateways answer (any thread; every call becomes a journaled input).
  oms::VenueResponses& venue_responses() noexcept;
  // The runner's word on a live account's gateway, shown in AccountView (connection,
  // refusal). Not journaled (the journal holds what the gateway said: its Connectivity
  // inputs); any thread. `reason` names why for kRefused and is shown as given: never a key.
  void set_live_account_status(AccountId account, LiveConnection state, std::string reason);
  // exchangeInfo's filters for the deployment's instruments at `venue`: each instrument named
  // is journaled as an InstrumentDefined input (same id, symbol, scales and assets, the
  // venue's tick size, step size and minimum notional), so risk checks them and a replay
  // applies the same. Decimals as the venue prints them ("" : none). An unknown symbol or a
  // bad decimal refuses the call (422, every bad field named) with nothing journaled. Call
  // after open(), before start() (journaled first thing at start) or after it.
  struct VenueFilter {
    std::string symbol;                              // "BTCUSDT"
    std::string tick_size, step_size, min_notional;  // "0.01000000"; "" or "0": none
  };
  CommandResult define_venue_filters(std::string_view venue, std::span<const VenueFilter> filters);

  struct Impl;

 private:
  explicit Engine(EngineConfig config);
  // EngineConfig::initial_users into a journal that holds no users (start()).
  Expected<bool, std::string> import_users();
  EngineConfig config_;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> running_{false};
  std::atomic<LatencyProbe*> probe_{nullptr};
  std::atomic<SequenceNumber> applied_{0};
  RecoveryReport recovery_;
};

}  // namespace be::engine
