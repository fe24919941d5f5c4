// The engine's internals: Engine::Impl's state and the declarations its .cpp files share.
// Not part of the public interface (engine.hpp): only engine/ and its tests include it.
//
// Where each concern lives:
//   engine.cpp         the public Engine: open, start, stop, offers, drain
//   engine_impl.cpp    construction, the feedback ring, venue answers, halting on a failure
//   pipeline.cpp       the three steps of one input (sequence, risk, orders) and the journal
//   topology.cpp       the threads as agents (core/agent.hpp): sequencer loop, pipelined stage
//                      threads, start-up reconcile and shutdown
//   durable_hold.cpp   durable mode: sends wait for the journal's durable watermark
//   acknowledge.cpp    commands are answered once the journal keeps them
//   disk_guard.cpp     free-space floors: the reserve and the stop
//   snapshots.cpp      the snapshot format, blob lifetimes
//   replica.cpp        the shadow replica: follows the journaled records on its own thread,
//                      verifies them, takes the snapshots and publishes the read model
//   read_model.cpp     the read model and the history the fold does not keep
//   publisher.cpp      the publisher thread: event stream and notifications
//   metrics.cpp        the Prometheus text of /metrics
//   control.cpp        control-plane commands and their outcomes
//   engine_config.cpp  the deployment config
//   live.cpp           live accounts: delivering kLive* actions to the attached gateways,
//                      their answers' way in, dry run at start, venue filters, account views
//
// Time: the files that read a clock do it only through core/clock.hpp (wall_now,
// monotonic_now); the fold never does.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/agent.hpp"
#include "core/clock.hpp"
#include "core/ingress.hpp"
#include "core/spsc_ring.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"
#include "engine/latency_histogram.hpp"
#include "engine/replica.hpp"
#include "engine/snapshot_format.hpp"
#include "engine/stream_buffer.hpp"
#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"
#include "journal/writer.hpp"
#include "net/ws_client.hpp"

namespace be::engine {

struct InputItem {
  Event event;
  Nanos intended = 0;
};

// The seven latencies the read model shows (written by the thread that finishes inputs, read
// by the replica when it publishes: see LatencyHistogram's thread-safety).
struct StageHistograms {
  LatencyHistogram feed, strategy, risk, orders, fold, journal, tick_to_order;
};

// The snapshot format (engine_snapshot, split_snapshot): engine/snapshot_format.hpp.

// ---- The engine's threads as agents (core/agent.hpp); bodies in topology.cpp ---------------
// Thread names (what top, perf and gdb show): "be-seq" (the sequencer: in the fused topology it
// runs all three stages), "be-risk" and "be-orders" (pipelined), "be-publish", "be-replica"
// (replica.hpp); the journal's writer names its own "be-journal".

struct SequencerAgent {
  Engine::Impl& im;
  bool done = false;                   // drained after a stop request, or the engine halted
  std::array<InputItem, 256> batch{};  // what one round takes off the intake
  bool feeds_closed = false;           // the polled feeds ended their connections (stopping)
  void on_start();
  int do_work();
  void on_close();
  bool finished() const noexcept { return done; }
  std::string_view name() const noexcept { return "be-seq"; }
};

// A pipelined stage thread: risk, or orders (with the journal hand-off).
struct StageAgent {
  Engine::Impl& im;
  bool orders;
  void on_start() {}
  int do_work();
  void on_close() {}
  std::string_view name() const noexcept { return orders ? "be-orders" : "be-risk"; }
};

struct PublisherAgent {
  Engine::Impl& im;
  bool reoffered = false;  // the journaled notifications past the notifier's cursor
  void on_start() {}
  int do_work();
  void on_close() { (void)do_work(); }  // what the sequencer's shutdown streamed
  std::string_view name() const noexcept { return "be-publish"; }
};

// config.idle ("spin" | "yield" | "backoff") as a strategy, chosen once at open().
Expected<AnyIdleStrategy, std::string> idle_strategy(std::string_view name);

// ---- Impl ----------------------------------------------------------------------------------

struct Engine::Impl final : oms::VenueResponses {
  Impl(Engine& engine, EngineConfig cfg);
  ~Impl();

  Engine& self;
  EngineConfig config;
  InstrumentTable instruments;  // from config: symbols, scales, assets (immutable)
  AnyIdleStrategy idle;         // every stage thread's, from config.idle

  // ---- Intake (engine_impl.cpp) -----------------------------------------------------------
  Ingress<InputItem> ingress;
  // What the engine feeds itself (paper venue answers, local rejects looped back, durable
  // releases) takes its own ring, drained before the ingress: a venue answer must never be
  // refused because market data filled the ingress. Producer: the thread that finishes
  // inputs (fused: the sequencer; pipelined: the orders stage; the sequencer before the stage
  // threads start and after they exit). Consumer: the sequencer.
  static constexpr std::size_t kFeedbackCapacity = 65'536;
  SpscRing<InputItem> feedback{kFeedbackCapacity};
  std::atomic<std::uint64_t> feedback_full{0};
  std::mutex control_mutex;
  std::optional<Ingress<InputItem>::Producer> control_producer;
  std::mutex offer_mutex;
  std::vector<std::optional<Ingress<InputItem>::Producer>> offer_producers;
  std::vector<std::unique_ptr<feed::SymbolTable>> symbols;
  std::vector<std::unique_ptr<feed::BinanceParser>> parsers;
  std::vector<std::unique_ptr<net::WsClient>> clients;
  // ---- Ingest without a hop (hot_ingest.cpp) ------------------------------------------------
  // Per venue: the feed the pipeline thread polls (null: none; Engine::set_polled_feed may set
  // one while running), the sink that parses and folds its frames, and the feeds the engine
  // made for `"ingest": "hot"` venues.
  std::vector<std::atomic<PolledFeed*>> polled =
      std::vector<std::atomic<PolledFeed*>>(config.venues.size());
  // A polled venue's frames through its parser, in place, each event folded at once.
  struct PolledIngest final : PolledFeedSink {
    PolledIngest(Impl& engine, feed::BinanceParser& venue_parser)
        : im(engine), parser(venue_parser) {}
    Impl& im;
    feed::BinanceParser& parser;
    void frame(const net::Frame& f, Nanos intended) noexcept override;
    void status(const Event& e) noexcept override;
    void take(const InputItem& item) noexcept;
  };
  std::vector<std::unique_ptr<PolledIngest>> polled_sinks;  // by venue; made at construction
  std::vector<std::unique_ptr<PolledFeed>> owned_polled;
  // A stage's exception inside a sink (the parser's callback is noexcept): rethrown on the
  // pipeline thread once the poll returned, so the engine halts as from any input.
  std::exception_ptr polled_failure;
  void make_polled_sinks();                          // construction
  Expected<bool, std::string> start_polled_feeds();  // start(): the hot venues' sessions
  // The pipeline thread, once per round: every polled feed's frames, folded (fused) or handed
  // to the stages (pipelined), at most kPollBudget receive completions (16 KiB each, about 80
  // frames) per feed, so a command or a venue answer waits behind that much market data at
  // most. Returns the messages and status events taken.
  static constexpr unsigned kPollBudget = 4;
  std::size_t poll_feeds();
  // The pipeline thread, when stopping: each feed ends its connection (kDisconnected).
  std::size_t close_polled_feeds();
  void stop_polled_feeds() noexcept;  // Engine::stop, after the pipeline thread has exited
  // One input from a polled feed: applied (fused) or handed on (pipelined).
  void ingest_polled(const InputItem& item);
  std::atomic<std::uint64_t> ingress_full{0};  // pushes refused, from any producer thread
  std::atomic<std::uint64_t> parse_rejects_io{0};
  std::atomic<SequenceNumber> offered{0};

  // VenueResponses: the paper venue answers on the thread that finishes inputs. Live gateways
  // answer through `live_answers_sink` (live.cpp).
  void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override;
  void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override;
  void connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept override;
  void push_from_pipeline(const Event& e) noexcept;
  // ---- Live accounts (live.cpp) -------------------------------------------------------------
  // Attached before start (Engine::attach_live_venues); read on the thread that finishes
  // inputs (thread creation orders the write before every read).
  LiveVenues* live_venues = nullptr;
  // Answers of live gateways from their own threads: one mutex-guarded ring drained before the
  // ingress, so market data never crowds a venue's answer out. Full: the gateway's thread
  // waits for room (backpressure, up to EngineConfig::live_answers_wait while the engine
  // runs); an answer that still finds no room is lost, counted, and its account resynced:
  // take_live_resyncs() hands the sequencer a kDisconnected then a kConnected order-channel
  // input for it, so its orders turn unknown and the venue is asked about each (no ack or
  // fill lost for good), and health says so until that pair is taken.
  std::mutex live_answers_mutex;
  SpscRing<InputItem> live_answers{config.live_answers_capacity};
  std::atomic<std::uint64_t> live_answers_full{0};   // lost (not taken after the wait)
  std::atomic<std::uint64_t> live_answers_waits{0};  // answers that waited for room
  std::atomic<std::uint64_t> live_resyncs{0};        // resync pairs handed to the sequencer
  // Accounts with an answer lost and no resync taken yet (index kAccountCapacity: every
  // account, for a venue-wide answer), and the venue each account's channel last named.
  static constexpr std::uint8_t kResyncDownUp = 1, kResyncDownOnly = 2;
  std::array<std::atomic<std::uint8_t>, oms::kAccountCapacity + 1> live_resync_wanted{};
  std::array<std::atomic<std::uint16_t>, oms::kAccountCapacity> live_venue_of{};
  std::atomic<bool> live_resync_any{false};
  void lose_live_answer(const Event& e) noexcept;
  // The sequencer's side (take_inputs): resync pairs into `out`; how many items it wrote.
  std::size_t take_live_resyncs(std::span<InputItem> out) noexcept;
  // Inside a delivery (the thread that finishes inputs) an answer takes the feedback ring;
  // from any other thread the live ring under its mutex.
  void answer(const Event& e) noexcept;
  struct LiveAnswers final : oms::VenueResponses {
    explicit LiveAnswers(Impl& engine) : im(engine) {}
    Impl& im;
    void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override;
    void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override;
    void order_channel(VenueId v, AccountId a, ConnectivityState s, Nanos t) noexcept override;
    // Venue-wide: every account the gateway carries there.
    void connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept override {
      order_channel(v, kNoAccount, s, t);
    }
  };
  LiveAnswers live_answers_sink{*this};
  // The kLive* actions of one input, after its records were journaled: to the account's
  // gateway, or a local reject looped back when it has none. True when an order left.
  bool deliver_live(const FoldBatch& batch);
  void loop_back_no_venue(const VenueAction& a, Nanos t) noexcept;
  // The runner's word on each account's gateway (Engine::set_live_account_status).
  struct LiveStatus {
    LiveConnection state = LiveConnection::kNone;
    std::string reason;
  };
  mutable std::mutex live_status_mutex;
  std::map<std::uint32_t, LiveStatus> live_status;
  void live_account_view(AccountView& v) const;  // read model (the replica's fold)
  // Health: refused live accounts (not unhealthy), answers lost and not yet resynced
  // (unhealthy).
  void add_live_problems(EngineView& e) const;
  // EngineConfig::dry_run differs from the fold's: journal kDryRunSet/Reset (start()).
  void journal_dry_run();
  // Venue filters defined before start (control_mutex): journaled by start().
  std::vector<InputItem> pending_filters;

  // The sequencer's next inputs: fed-back ones first, then live answers, then the ingress.
  std::size_t take_inputs(std::span<InputItem> out) noexcept;
  bool inputs_waiting() const noexcept;

  // ---- The fold and the journal (pipeline.cpp) -------------------------------------------
  std::vector<oms::PaperStartingBalance> starting_balances;
  std::vector<bots::InstrumentInfo> validation_instruments;
  Fold fold;
  std::unique_ptr<journal::JournalWriter<>> writer;
  SequenceNumber next_position = 1;
  // The last journal position the pipeline wrote (the read model's last_sequence).
  std::atomic<SequenceNumber> journaled_through{0};
  // Recovery: the last input's derived records a kill cut off the journal; open() appends them.
  std::vector<Event> cut_tail;
  SequenceNumber ordinal = 0;
  bool fresh = true;
  std::string journal_error;  // shown as a problem by the read model
  std::uint64_t journal_full_spins = 0;
  StageHistograms latency;

  // One input in flight through the stages (see Fold's phases).
  struct Slot {
    explicit Slot(FoldBatch b) : batch(std::move(b)) {}
    FoldBatch batch;
    StageTimes times;
  };
  // Fused inputs, and inputs the sequencer applies itself before and after the stage threads.
  Slot direct;

  static FoldConfig fold_config(const EngineConfig& c,
                                std::span<const oms::PaperStartingBalance> balances) {
    return engine::fold_config(c, balances);
  }
  static std::vector<oms::PaperStartingBalance> paper_balances(const EngineConfig& c,
                                                               const InstrumentTable& t) {
    return engine::paper_balances(c, t);
  }

  bool journal_append(const Event& e);
  // The three steps of one input; fused runs them back to back on one thread, pipelined on
  // the sequencer, risk and orders threads.
  void sequence_step(const InputItem& item, Slot& slot);
  void risk_step(Slot& slot);
  void orders_step(Slot& slot);
  void apply_input(const InputItem& item);
  void finish_probe(StageTimes& times);
  Event clock_tick(Nanos now) const;

  // Test seam (Engine::inject_stage_fault): the next input through the stage throws.
  std::atomic<int> fault_stage{-1};
  std::string fault_what;  // written before fault_stage, read after it
  void fault_point(EngineStage stage) {
    if (fault_stage.load(std::memory_order_acquire) == static_cast<int>(stage)) [[unlikely]]
      throw_injected_fault();
  }
  [[noreturn]] void throw_injected_fault();

  // ---- Threads (topology.cpp) ---------------------------------------------------------------
  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint64_t> loops{0};       // sequencer iterations completed (drain() waits on it)
  std::atomic<SequenceNumber> sequenced{0};  // inputs handed to the stages (sequencer thread)
  Nanos next_tick = 0;                       // the sequencer's next clock tick
  // Pipelined: kSlots batches circulate sequencer -> to_risk -> risk -> to_orders -> orders
  // -> free_slots -> sequencer, so at most kSlots inputs are in flight and nothing allocates.
  static constexpr std::uint32_t kSlots = 16;
  std::vector<std::unique_ptr<Slot>> slots;
  SpscRing<std::uint32_t> to_risk{kSlots};
  SpscRing<std::uint32_t> to_orders{kSlots};
  SpscRing<std::uint32_t> free_slots{kSlots};

  SequencerAgent sequencer_agent{*this};
  StageAgent risk_agent{*this, false}, orders_agent{*this, true};
  PublisherAgent publisher_agent{*this};
  std::unique_ptr<AgentRunner<SequencerAgent>> sequencer;
  std::unique_ptr<AgentRunner<StageAgent>> risk_runner, orders_runner;
  std::unique_ptr<AgentRunner<PublisherAgent>> publisher;
  ReplicaAgent replica_agent{*this};
  std::unique_ptr<AgentRunner<ReplicaAgent>> replica_runner;

  // Starts the sequencer (which starts the stage threads) and the publisher.
  Expected<bool, std::string> start_threads();
  // Waits for the sequencer to drain and shut the fold down, then stops the publisher.
  void stop_threads() noexcept;
  void start_stage_threads();
  void stop_stage_threads() noexcept;
  // Runs a runner's agent on its role's CPUs (core/thread_placement.hpp) with the engine's
  // failure reporting.
  template <class A>
  std::unique_ptr<AgentRunner<A>> make_runner(A& agent, ThreadRole role,
                                              AnyIdleStrategy idle_strategy);
  bool hand_on(const InputItem& item);
  bool wait_completed();
  void recovery_reconcile();
  void shutdown_fold();

  // ---- Failure: an exception escaping an engine thread (engine_impl.cpp) -------------------
  // The first failure halts the engine: intake refused (running() false), the stages stop,
  // the read model turns unhealthy with the reason (what /api/v1/health shows), stderr says it.
  std::atomic<bool> halted{false};
  mutable std::mutex problems_mutex;
  std::string halt_reason;  // the first failure
  void halt(const std::string& reason) noexcept;
  std::string failure() const;
  bool is_halted() const noexcept { return halted.load(std::memory_order_acquire); }

  // ---- Durable hold (durable_hold.cpp) ----------------------------------------------------
  // Durable mode: inputs whose orders wait for the journal's durable watermark (the orders
  // stage only). Once it covers them, the latency probe is told and a kReleaseTimer input lets
  // the fold hand their sends to the paper venue.
  struct PendingProbe {
    SequenceNumber position;  // of the input in the journal
    SequenceNumber ordinal;
    StageTimes times;
    bool has_order;
  };
  std::deque<PendingProbe> pending_probes;
  SequenceNumber release_through = 0;  // inputs whose sends may leave
  SequenceNumber release_offered = 0;  // ... as told to the fold by a kReleaseTimer input
  void hold_or_finish(Slot& slot, SequenceNumber input_position, bool has_order);
  void release_durable();
  bool fold_holds_sends() const noexcept { return config.journal == JournalMode::kDurable; }

  // ---- Blobs (snapshots.cpp) ----------------------------------------------------------------
  // Blob bytes stay alive until the journal has committed them and the replica applied them
  // (it follows committed records only, and releases each once applied).
  std::mutex blob_mutex;
  std::map<std::uint64_t, std::unique_ptr<std::string>> blobs;
  std::atomic<std::uint64_t> next_blob{1};
  BlobRef keep_blob(std::uint32_t kind, const std::string& bytes);

  // ---- The shadow replica (replica.cpp) -------------------------------------------------------
  // The work that reads the whole fold, the read model and the snapshots, happens on the
  // replica's thread from its own fold; the pipeline hands it every journaled record.
  ReplicaObserver replica_observer{*this};
  Replica replica{fold_config(config, starting_balances), replica_observer};
  std::atomic<bool> publish_requested{false};
  void replica_offer(const Event& record, Nanos finished) noexcept;  // the pipeline
  Expected<bool, std::string> replica_open();                        // Engine::open, after recovery
  int replica_follow();
  void replica_snapshot();
  void replica_view(EngineView& e, Nanos now);
  // Test seam (Engine::perturb_next_derived_record).
  std::atomic<bool> perturb_next_derived{false};
  std::atomic<SequenceNumber> perturbed_sequence{0};
  void perturb(Event& record) noexcept;

  // ---- Read model (read_model.cpp) --------------------------------------------------------
  mutable std::mutex model_mutex;
  std::shared_ptr<const ReadModel> model;
  std::atomic<SequenceNumber> published{0};           // inputs the current read model includes
  std::atomic<SequenceNumber> published_position{0};  // ... and journal records
  // Read-model history the fold does not keep (the replica's thread once started).
  struct BotHistory {
    // The last kFills FillApplied records, as journaled: a ring, so noting a fill never
    // allocates once the bot has its history; formatted when published.
    static constexpr std::size_t kFills = 200;
    std::vector<Event> fills;
    std::uint64_t trade_count = 0;  // fills[trade_count % kFills] is the next slot
    std::vector<EquityPoint> equity;
    BotHistory() { fills.reserve(kFills); }
    template <class Visit>
    void for_each_fill_newest_first(Visit visit) const {
      for (std::size_t k = 0; k < fills.size(); ++k)
        visit(fills[(trade_count - 1 - k) % fills.size()]);
    }
    void note(const Event& fill);
  };
  std::map<std::uint32_t, BotHistory> bot_history;
  void note_fill(const Event& e);
  FillView fill_view(const Event& fill) const;
  // The history travels in snapshots after the fold's bytes (see engine_snapshot()).
  std::vector<std::byte> history_bytes() const;
  bool restore_history(std::span<const std::byte> bytes);
  void publish(Nanos now);
  void build_read_model(ReadModel& m, Nanos now);
  // The bots as last published (the replica's thread): per bot id index, what its view was
  // built from, so a publication rebuilds only the views that would differ (read_model.cpp).
  struct PublishedBot {  // read for the bots whose view is rebuilt
    AccountId account{};
    bool circuit_open = false, kill_switch = false;
    std::uint32_t position = 0;  // in the published list
    std::shared_ptr<const BotView> view;
  };
  struct PublishedBots {
    // Per bot id index, dense: what every publication scans (a few bytes a bot).
    std::vector<std::uint8_t> shown;
    std::vector<std::uint32_t> strategy_versions, order_versions;
    std::vector<InstrumentId> instruments;
    std::vector<PublishedBot> by_id;
    std::vector<std::uint32_t> bots_per_account;                   // of the shown bots
    std::vector<std::int64_t> reference_prices, valuation_prices;  // per instrument
    std::vector<std::uint8_t> price_moved;                         // per instrument
    std::vector<std::uint32_t> changed;                            // scratch: bot ids
    std::uint64_t risk_flag_changes = ~std::uint64_t{0};
    BotViews list;                // as last published
    std::uint64_t rebuilt = 0;    // views rebuilt, since open
    std::uint64_t published = 0;  // views published, since open
  };
  PublishedBots published_bots;
  std::vector<std::string_view> counter_names;  // the read model's, in order (read_model.cpp)
  std::atomic<bool> rebuild_every_view{false};  // test seam (Engine::rebuild_every_view)
  void publish_bots(ReadModel& m);
  BotView bot_view(const stage::BotSummary& summary);
  std::vector<BalanceView> balances_of(AccountId account) const;
  void directory_views(ReadModel& m) const;
  // The directory as last published (model_mutex): what directory commands are validated
  // against, under directory_mutex (directory_commands.cpp).
  std::shared_ptr<const Directory> directory_view;
  void add_problems(EngineView& e) const;
  // After a halt: the last published view, unhealthy, with the reason (the fold is not read:
  // the failing stage may have left it mid-input).
  void publish_halted();

  // ---- Event stream and notifications (publisher.cpp) -------------------------------------
  // Event stream: pipeline -> publisher (ring), publisher -> API (bounded deque).
  SpscRing<Event> stream_ring{65'536};
  // Notifications travel apart from the stream (which may drop): if this ring ever
  // overflows, nothing more is handed to the notifier in this process, so its cursor stays
  // below the lost one and the next start re-offers them from the journal.
  SpscRing<Event> notify_ring{16'384};
  std::atomic<bool> notify_overflow{false};
  std::atomic<std::uint64_t> stream_dropped{0};
  // The last non-price record the stream ring refused (orders stage; the ring's push publishes
  // it): the publisher moves the buffer's first_seq past it, so no client resumes across it.
  std::atomic<SequenceNumber> stream_lost_through{0};
  SequenceNumber stream_lost_seen = 0;  // publisher thread
  StreamBuffer stream{config.stream_capacity, config.instruments.size()};
  // Each bot's owner, for the stream's per-user view. Written by the orders stage when a bot is
  // created (its first BotStatus) before that record is pushed, so the publisher, which reads
  // it after popping any later record, sees it; seeded from the recovered fold by stream_open().
  std::vector<std::atomic<std::uint32_t>> stream_owners =
      std::vector<std::atomic<std::uint32_t>>(config.fold.oms.bots);
  std::mutex notify_mutex;
  NotificationHandler notify;
  std::function<std::string()> metrics_extra;
  // Journaled notifications past the notifier's cursor, re-offered first (publisher thread).
  struct PendingNotification {
    SequenceNumber sequence;
    Nanos time;
    Notification note;
  };
  std::vector<PendingNotification> pending_notifications;
  // Price updates reach the stream at most once per instrument per kPriceStreamInterval of
  // event time: a screen needs no more, and formatting every trade of a busy market took the
  // publisher thread a core's worth of CPU that the pipeline needed (docs/API.md).
  static constexpr Nanos kPriceStreamInterval = 10'000'000;
  std::vector<Nanos> price_streamed_at;  // by instrument; sized at construction
  // A journaled record's way out: the notifier, the stream (orders stage).
  void stream_record(const Event& e) noexcept;
  bool price_due(const Event& trade) noexcept;
  void publish_stream(const Event& e);
  // Engine::open, after recovery: the buffer starts at the journal's position, owners known.
  void stream_open();

  // ---- Commands and their outcomes (commands.cpp) -----------------------------------------
  std::atomic<std::uint32_t> next_bot{0};
  std::atomic<std::uint64_t> capacity_refused{0};  // creates past engine.capacity.bots
  std::atomic<std::uint64_t> next_request{1};
  struct Outcome {
    bool applied = false;
    bool accepted = false;
    SequenceNumber sequence = 0;
    std::string refusal;  // the directory's reason, when it refused
  };
  std::mutex request_mutex;
  std::condition_variable request_cv;
  std::map<std::uint64_t, Outcome> outcomes;
  CommandResult submit(OperatorCommand command, const std::string* blob,
                       std::uint32_t blob_kind = kBotConfigBlobKind);
  // The thread that finishes inputs: a journaled command's outcome and its audit entry.
  void note_command(const Event& e, const FoldBatch& batch);

  // ---- Users and accounts (directory_commands.cpp) ------------------------------------------
  // Directory commands and bot account checks one at a time, each against the directory its
  // predecessor left (every answer waits for the read model that shows it).
  std::mutex directory_mutex;
  std::shared_ptr<const Directory> published_directory() const;
  CommandResult submit_directory(OperatorCommand c, std::uint32_t blob_kind,
                                 const std::string* blob);
  // Every journaled operator command, oldest first: read from the journal at recovery, then
  // noted as each is applied (bounded: the oldest go first past kMaxAudit).
  static constexpr std::size_t kMaxAudit = 1'000'000;
  mutable std::mutex audit_mutex;
  std::vector<AuditEntry> audit_log;
  void note_audit(const Event& command, std::string outcome);

  // ---- Acknowledgements (acknowledge.cpp) ---------------------------------------------------
  // A command is answered once the journal keeps it under the durability mode (docs/API.md,
  // "What an answer means"): durable = synced, async and none = committed, off = applied only.
  // The publisher thread watches the watermark while commands wait (ack_waiters > 0) and wakes
  // them; a failed journal halts the engine with its reason, so every later command is refused
  // at once.
  std::atomic<std::uint32_t> ack_waiters{0};
  SequenceNumber ack_seen = 0;  // publisher thread: the kept position it last woke waiters for
  // The highest journal position kept under the mode; every position when there is no journal.
  SequenceNumber kept_position() const noexcept;
  // "" while the journal is healthy; else the reason, with the real error and, for an I/O
  // error, what the filesystem holding the journal has left.
  std::string journal_failure() const;
  // Waits (bounded) until the journal keeps `position`; on failure, fills `refused`.
  bool wait_kept(SequenceNumber position, CommandResult& refused);
  // Publisher thread: wakes waiting commands when the watermark moved; halts on a failed journal.
  int watch_journal();
  // What stop() could not record (the shutdown command, the final snapshot), for the exit code.
  std::string shutdown_problem;

  // ---- Disk floors (disk_guard.cpp) ----------------------------------------------------------
  // The publisher thread looks at the journal's filesystem every kDiskLookInterval; crossing
  // the reserve floor journals kDiskReserveSet/Reset (risk refuses what adds exposure), the
  // stop floor halts intake before the filesystem is full.
  std::atomic<std::int64_t> disk_free{-1};
  std::atomic<bool> disk_reserve_on{false};  // as last journaled (recovery: as the fold has it)
  Nanos next_disk_look = 0;
  int watch_disk();
  bool journal_command(const OperatorCommand& command);  // control producer, any thread
};

// The 422 answer to a command with bad fields: every one named (control.cpp).
CommandResult invalid_command(std::vector<config::FieldError> errors);

// One histogram's figures as the read model shows them (read_model.cpp).
StageLatency stage_latency(std::string name, const LatencyHistogram& h);

// Free bytes for an unprivileged writer on the filesystem holding `dir`; nullopt if unknown.
std::optional<unsigned long long> free_bytes(const std::string& dir);

Expected<bool, std::string> recover(Engine::Impl& im, const std::string& dir,
                                    Engine::RecoveryReport& report);

}  // namespace be::engine
