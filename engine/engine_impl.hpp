// The engine's internals, shared by engine.cpp (threads, recovery) and control.cpp
// (commands, read model). Not part of the public interface.
#pragma once

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "core/clock.hpp"
#include "core/fixed_point.hpp"
#include "core/ingress.hpp"
#include "core/order_intent.hpp"
#include "core/spsc_ring.hpp"
#include "feed/binance.hpp"
#include "net/ws_client.hpp"
#include "feed/symbol_table.hpp"
#include "journal/reader.hpp"
#include "journal/writer.hpp"
#include "oms/order.hpp"
#include "engine/engine.hpp"
#include "engine/format.hpp"

namespace be::engine {

namespace detail {

struct InputItem {
  Event event;
  Nanos intended = 0;
};

// Fixed log2-bucketed latency histogram for the read model and /metrics (the bench harness
// has the precise one): 64 buckets of powers of two nanoseconds.
struct Log2Histogram {
  std::array<std::uint64_t, 64> buckets{};
  std::uint64_t count = 0;
  std::uint64_t max = 0;
  std::uint64_t sum = 0;
  void record(std::int64_t ns) noexcept {
    const auto v = static_cast<std::uint64_t>(ns < 0 ? 0 : ns);
    ++buckets[v == 0 ? 0 : 64 - static_cast<std::size_t>(__builtin_clzll(v))];
    ++count;
    sum += v;
    max = std::max(max, v);
  }
  std::uint64_t percentile(double p) const noexcept {
    if (count == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(p * static_cast<double>(count - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      seen += buckets[b];
      if (seen >= rank) return b == 0 ? 0 : (std::uint64_t{1} << b) - 1;  // bucket upper bound
    }
    return max;
  }
};

inline Nanos wall_now() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline void pin_to_cpu(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

inline constexpr std::uint32_t kBotConfigBlobKind = 1;

// An engine snapshot: the fold's state, then the read model's history (fills and equity
// curves the fold does not keep), so both survive a restart.
//   +--------+-------------+------------------+------------+---------------+
//   | "BESN" | u32 version | u64 fold length  | fold bytes | history bytes |
//   +--------+-------------+------------------+------------+---------------+
// Bytes without the magic are a fold snapshot alone (tools that write only the fold).
inline constexpr std::array<char, 4> kSnapshotMagic = {'B', 'E', 'S', 'N'};
inline constexpr std::uint32_t kSnapshotVersion = 1;

inline std::vector<std::byte> engine_snapshot(const std::vector<std::byte>& fold_bytes,
                                              const std::vector<std::byte>& history) {
  std::vector<std::byte> out(kSnapshotMagic.size() + 4 + 8 + fold_bytes.size() + history.size());
  std::byte* p = out.data();
  const std::uint64_t fold_size = fold_bytes.size();
  std::memcpy(p, kSnapshotMagic.data(), kSnapshotMagic.size());
  std::memcpy(p + 4, &kSnapshotVersion, 4);
  std::memcpy(p + 8, &fold_size, 8);
  if (!fold_bytes.empty()) std::memcpy(p + 16, fold_bytes.data(), fold_bytes.size());
  if (!history.empty()) std::memcpy(p + 16 + fold_size, history.data(), history.size());
  return out;
}

struct SnapshotParts {
  std::span<const std::byte> fold, history;
  bool ok = true;
};
inline SnapshotParts split_snapshot(std::span<const std::byte> bytes) {
  SnapshotParts parts;
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kSnapshotMagic.data(), 4) != 0) {
    parts.fold = bytes;
    return parts;
  }
  std::uint32_t version = 0;
  std::uint64_t fold_size = 0;
  std::memcpy(&version, bytes.data() + 4, 4);
  std::memcpy(&fold_size, bytes.data() + 8, 8);
  if (version != kSnapshotVersion || fold_size > bytes.size() - 16) {
    parts.ok = false;
    return parts;
  }
  parts.fold = bytes.subspan(16, fold_size);
  parts.history = bytes.subspan(16 + fold_size);
  return parts;
}

}  // namespace detail
using namespace detail;

// ---- Impl ----------------------------------------------------------------------------------

struct Engine::Impl final : oms::VenueResponses {
  Engine& self;
  EngineConfig config;
  InstrumentTable instruments;  // from config: symbols, scales, assets (immutable)
  Ingress<InputItem> ingress;
  // What the engine feeds itself (paper venue answers, local rejects looped back, durable
  // releases) takes its own ring, drained before the ingress: a venue answer must never be
  // refused because market data filled the ingress. Producer: the thread that finishes
  // inputs (fused: the pipeline thread; pipelined: the orders stage; the sequencer before the
  // stage threads start and after they exit). Consumer: the sequencer.
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

  std::vector<oms::PaperStartingBalance> starting_balances;
  std::vector<bots::InstrumentInfo> validation_instruments;
  Fold fold;
  std::unique_ptr<journal::JournalWriter<>> writer;
  SequenceNumber next_position = 1;
  SequenceNumber ordinal = 0;
  bool fresh = true;

  // Blob bytes stay alive until the journal has committed them.
  std::mutex blob_mutex;
  std::map<std::uint64_t, std::unique_ptr<std::string>> blobs;
  std::vector<std::pair<std::uint64_t, SequenceNumber>> blob_positions;  // pipeline thread
  std::atomic<std::uint64_t> next_blob{1};
  std::atomic<std::uint32_t> next_bot{0};
  std::atomic<std::uint64_t> next_request{1};

  // Command results, by request id.
  struct Outcome {
    bool applied = false;
    bool accepted = false;
    SequenceNumber sequence = 0;
  };
  std::mutex request_mutex;
  std::condition_variable request_cv;
  std::map<std::uint64_t, Outcome> outcomes;

  // Durable-mode sends waiting for the watermark.
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

  // Read model.
  mutable std::mutex model_mutex;
  std::shared_ptr<const ReadModel> model;

  // Event stream: pipeline -> publisher (ring), publisher -> API (bounded deque).
  SpscRing<Event> stream_ring;
  // Notifications travel apart from the stream (which may drop): if this ring ever
  // overflows, nothing more is handed to the notifier in this process, so its cursor stays
  // below the lost one and the next start re-offers them from the journal.
  SpscRing<Event> notify_ring{16'384};
  std::atomic<bool> notify_overflow{false};
  std::atomic<std::uint64_t> stream_dropped{0};
  mutable std::mutex stream_mutex;
  std::deque<StreamItem> stream;
  std::uint64_t stream_cursor = 0;
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

  // Metrics (the orders stage writes, publish copies while the stages are quiescent).
  Log2Histogram strategy_latency, risk_latency, orders_latency, fold_latency, journal_latency,
      feed_latency, tick_to_order;
  std::uint64_t inputs_total = 0;
  std::atomic<std::uint64_t> ingress_full{0};  // pushes refused, from any producer thread
  std::uint64_t journal_full_spins = 0;
  std::uint64_t parse_rejects = 0;
  std::atomic<std::uint64_t> parse_rejects_io{0};
  std::uint64_t snapshots = 0;
  std::string journal_error;
  Nanos last_publish = 0;
  std::uint64_t inputs_at_last_publish = 0;
  double events_per_second = 0;
  std::uint64_t inputs_since_snapshot = 0;
  Nanos last_snapshot = 0;

  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint64_t> loops{0};       // sequencer iterations completed (drain() waits on it)
  std::atomic<SequenceNumber> sequenced{0};  // inputs handed to the stages (sequencer thread)
  std::atomic<SequenceNumber> published{0};  // inputs the current read model includes
  std::atomic<SequenceNumber> published_position{0};  // ... and journal records

  // One input in flight through the stages (see Fold's phases).
  struct Slot {
    explicit Slot(FoldBatch b) : batch(std::move(b)) {}
    FoldBatch batch;
    StageTimes times;
  };
  // Fused inputs, and inputs the sequencer applies itself while the stages are quiescent.
  Slot direct;
  // Pipelined: kSlots batches circulate sequencer -> to_risk -> risk -> to_orders -> orders
  // -> free_slots -> sequencer, so at most kSlots inputs are in flight and nothing allocates.
  static constexpr std::uint32_t kSlots = 16;
  std::vector<std::unique_ptr<Slot>> slots;
  SpscRing<std::uint32_t> to_risk{kSlots};
  SpscRing<std::uint32_t> to_orders{kSlots};
  SpscRing<std::uint32_t> free_slots{kSlots};
  // Quiescence: an odd pause_epoch asks the stage threads to park once their input ring is
  // empty; each acknowledges by storing the epoch it parked in.
  std::atomic<std::uint64_t> pause_epoch{0};
  std::atomic<std::uint64_t> risk_parked{0}, orders_parked{0};
  std::atomic<bool> stages_exit{false};
  std::thread risk_thread, orders_thread;

  std::thread pipeline;
  std::thread publisher;
  std::atomic<SequenceNumber> offered{0};

  Impl(Engine& engine, EngineConfig cfg)
      : self(engine),
        config(std::move(cfg)),
        instruments(config.instruments),
        ingress(config.ingress_capacity, 16 + config.venues.size()),
        starting_balances(paper_balances(config, instruments)),
        fold(fold_config(config, starting_balances), *this),
        stream_ring(65'536),
        direct(fold.make_batch()),
        price_streamed_at(config.instruments.size(), std::numeric_limits<Nanos>::min() / 2) {
    if (config.topology == Topology::kPipelined) {
      for (std::uint32_t i = 0; i < kSlots; ++i)
        slots.push_back(std::make_unique<Slot>(fold.make_batch()));
    }
    for (std::size_t i = 0; i < instruments.size(); ++i) {
      const InstrumentDefined& d = instruments.definition(i);
      bots::InstrumentInfo info;
      info.id = d.instrument;
      info.price_scale = d.price_scale;
      info.qty_scale = d.qty_scale;
      info.tick_size = d.tick_size;
      info.step_size = d.step_size;
      info.min_notional = d.min_notional;
      validation_instruments.push_back(info);
    }
    for (std::size_t v = 0; v < config.venues.size(); ++v) {
      auto table = std::make_unique<feed::SymbolTable>(feed::UnknownSymbolPolicy::kReject);
      // Instrument ids are the deployment's (the index in config.instruments), whichever
      // venue lists the symbol.
      for (std::size_t i = 0; i < config.instruments.size(); ++i) {
        const InstrumentSpec& in = config.instruments[i];
        if (in.venue == config.venues[v].name) {
          table->add(in.symbol, feed::InstrumentScales{in.price_scale, in.qty_scale},
                     InstrumentId{static_cast<std::uint32_t>(i)});
        }
      }
      parsers.push_back(
          std::make_unique<feed::BinanceParser>(VenueId{static_cast<std::uint16_t>(v)}, *table));
      symbols.push_back(std::move(table));
    }
    offer_producers.resize(config.venues.size() + 1);
  }

  static FoldConfig fold_config(const EngineConfig& c,
                                std::span<const oms::PaperStartingBalance> balances) {
    return engine::fold_config(c, balances);
  }
  static std::vector<oms::PaperStartingBalance> paper_balances(const EngineConfig& c,
                                                               const InstrumentTable& t) {
    return engine::paper_balances(c, t);
  }

  // Read-model history the fold does not keep (pipeline thread only).
  struct BotHistory {
    // The last kFills FillApplied records, as journaled: a ring, so noting a fill on the
    // pipeline never allocates once the bot has its history; formatted when published.
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
    void note(const Event& fill) {
      if (fills.size() < kFills) {
        fills.push_back(fill);
      } else {
        fills[trade_count % kFills] = fill;
      }
      ++trade_count;
    }
  };
  std::map<std::uint32_t, BotHistory> bot_history;
  std::atomic<bool> publish_requested{false};
  void note_fill(const Event& e);
  FillView fill_view(const Event& fill) const;
  // The history travels in snapshots after the fold's bytes (see engine_snapshot()).
  std::vector<std::byte> history_bytes() const;
  bool restore_history(std::span<const std::byte> bytes);
  CommandResult submit(OperatorCommand command, const std::string* blob);

  // VenueResponses: the paper venue answers on the pipeline thread; into the ingress.
  void respond(const OrderUpdate& u, Nanos t, Nanos r) noexcept override {
    push_from_pipeline(Event::make(u, t, r != 0 ? r : wall_now()));
  }
  void respond(const BalanceUpdate& b, Nanos t, Nanos r) noexcept override {
    push_from_pipeline(Event::make(b, t, r != 0 ? r : wall_now()));
  }
  void connectivity(VenueId v, ConnectivityState s, Nanos t) noexcept override {
    Connectivity c;
    c.venue = v;
    c.state = s;
    push_from_pipeline(Event::make(c, t, wall_now()));
  }
  void push_from_pipeline(const Event& e) noexcept {
    if (!feedback.try_push(InputItem{e, 0})) feedback_full.fetch_add(1, std::memory_order_relaxed);
  }
  // The sequencer's next inputs: fed-back ones first, then the ingress.
  std::size_t take_inputs(std::span<InputItem> out) noexcept {
    std::size_t n = 0;
    while (n < out.size() && feedback.try_pop(out[n]))
      ++n;
    return n + ingress.drain(out.subspan(n));
  }
  bool inputs_waiting() const noexcept {
    return ingress.size_approx() != 0 || !feedback.empty_approx();
  }

  // ---- Pipeline thread ------------------------------------------------------------------
  bool journal_append(const Event& e) {
    if (!writer) return true;
    for (std::uint32_t spins = 0;; ++spins) {
      const auto status = writer->try_append(e);
      if (status == journal::AppendStatus::kOk) return true;
      if (status != journal::AppendStatus::kFull) {
        journal_error = std::string("journal: ") + journal::to_string(status);
        return false;
      }
      ++journal_full_spins;
      if (spins > 64) std::this_thread::yield();
    }
  }

  // The three steps of one input; fused runs them back to back on one thread, pipelined
  // on the sequencer, risk and orders threads.
  void sequence_step(const InputItem& item, Slot& slot) {
    StageTimes& times = slot.times;
    times = StageTimes{};
    times.intended = item.intended;
    times.received = item.event.header.receive_time;
    times.sequenced = wall_now();
    times.type = item.event.header.type;
    fold.strategy_phase(item.event, ++ordinal, slot.batch);
    ++inputs_since_snapshot;
    sequenced.store(ordinal, std::memory_order_release);
    times.strategy = wall_now();
  }

  void risk_step(Slot& slot) {
    fold.risk_phase(slot.batch);
    slot.times.risk = wall_now();
  }

  // The order manager, then everything that leaves the fold: the journal, the stream and the
  // notifier, the loop-back rejects, the metrics and the latency probe.
  void orders_step(Slot& slot) {
    fold.order_phase(slot.batch);
    StageTimes& times = slot.times;
    times.orders = wall_now();
    const auto records = slot.batch.records.records();
    ++inputs_total;
    const SequenceNumber input_position = next_position;
    bool has_order = false;
    for (const Event& r : records) {
      Event e = r;
      e.header.sequence = next_position++;
      if (!journal_append(e)) stop_requested.store(true);
      if (e.header.type == EventType::kBlob) {
        blob_positions.emplace_back(e.as<BlobRef>().blob_id, e.header.sequence);
      }
      if (e.header.type == EventType::kOrderNew) has_order = true;
      if (e.header.type == EventType::kNotification && !notify_ring.try_push(e)) {
        notify_overflow.store(true, std::memory_order_release);
      }
      if (e.derived() || e.header.type == EventType::kConnectivity ||
          e.header.type == EventType::kOrderUpdate ||
          (e.header.type == EventType::kTrade && price_due(e))) {
        if (!stream_ring.try_push(e)) stream_dropped.fetch_add(1, std::memory_order_relaxed);
      }
      if (e.header.type == EventType::kOperatorCommand) note_command(e, records);
      if (e.header.type == EventType::kFillApplied) note_fill(e);
    }
    times.journaled = wall_now();
    for (const VenueAction& a : slot.batch.actions) {
      if (a.kind == VenueAction::Kind::kLoopBackReject) {
        push_from_pipeline(Event::make(a.reject, slot.batch.engine_time, wall_now()));
      }
    }
    strategy_latency.record(times.strategy - times.sequenced);
    risk_latency.record(times.risk - times.strategy);
    orders_latency.record(times.orders - times.risk);
    fold_latency.record(times.orders - times.sequenced);
    journal_latency.record(times.journaled - times.orders);
    if (times.received != 0) feed_latency.record(times.sequenced - times.received);
    bool sends = has_order;
    for (const VenueAction& a : slot.batch.actions)
      sends = sends || a.kind != VenueAction::Kind::kLoopBackReject;
    if (sends && config.journal == JournalMode::kDurable && writer) {
      pending_probes.push_back({input_position, slot.batch.ordinal, times, has_order});
      if (!has_order) finish_probe(times);
    } else {
      if (has_order) times.sent = times.journaled;
      finish_probe(times);
    }
    self.applied_.store(slot.batch.ordinal, std::memory_order_release);
  }

  // Price updates reach the stream at most once per instrument per kPriceStreamInterval of
  // event time: a screen needs no more, and formatting every trade of a busy market took the
  // publisher thread a core's worth of CPU that the pipeline needed (docs/API.md).
  static constexpr Nanos kPriceStreamInterval = 10'000'000;
  std::vector<Nanos> price_streamed_at;  // by instrument; sized at construction
  bool price_due(const Event& trade) noexcept {
    const auto i = static_cast<std::size_t>(index_of(trade.as<Trade>().instrument));
    if (i >= price_streamed_at.size()) return false;
    if (trade.header.event_time < price_streamed_at[i] + kPriceStreamInterval) return false;
    price_streamed_at[i] = trade.header.event_time;
    return true;
  }

  void apply_input(const InputItem& item) {
    sequence_step(item, direct);
    risk_step(direct);
    orders_step(direct);
  }

  void finish_probe(StageTimes& times) {
    if (times.sent != 0) {
      const Nanos origin = times.intended != 0 ? times.intended : times.received;
      if (origin != 0) tick_to_order.record(times.sent - origin);
    }
    if (LatencyProbe* p = self.probe_.load(std::memory_order_acquire)) p->on_input(times);
  }

  void release_durable() {
    if (!writer || (pending_probes.empty() && release_offered == release_through)) return;
    const Nanos now = wall_now();
    if (!pending_probes.empty()) {
      const SequenceNumber durable = writer->durable();
      while (!pending_probes.empty() && pending_probes.front().position <= durable) {
        PendingProbe& p = pending_probes.front();
        if (p.has_order) {
          p.times.sent = now;
          finish_probe(p.times);
        }
        release_through = std::max(release_through, p.ordinal);
        pending_probes.pop_front();
      }
    }
    if (release_offered < release_through && fold_holds_sends()) {
      Timer t;
      t.owner = kNoBot;
      t.timer_id = kReleaseTimer;
      t.deadline = static_cast<Nanos>(release_through);
      // Refused (ingress full): offered again on the next call.
      if (feedback.try_push(InputItem{Event::make(t, now, now), 0}))
        release_offered = release_through;
    } else {
      release_offered = release_through;
    }
  }
  bool fold_holds_sends() const noexcept {
    return config.journal == JournalMode::kDurable && config.fold.paper_venue;
  }

  void note_command(const Event& e, std::span<const Event> records) {
    const auto c = e.as<OperatorCommand>();
    if (c.request_id == 0) return;
    bool accepted = false;
    for (const Event& r : records) {
      if (r.header.type == EventType::kBotStatus && r.as<BotStatus>().bot == c.bot) accepted = true;
      if (r.header.type == EventType::kNotification &&
          r.as<Notification>().kind == NotificationKind::kKillSwitch) {
        accepted = true;
      }
    }
    if (c.kind == OperatorCommandKind::kKillSwitchSet ||
        c.kind == OperatorCommandKind::kKillSwitchReset ||
        c.kind == OperatorCommandKind::kCircuitReset) {
      accepted = true;  // idempotent: setting a set switch is not an error
    }
    {
      std::lock_guard lock(request_mutex);
      outcomes[c.request_id] = Outcome{true, accepted, e.header.sequence};
    }
    request_cv.notify_all();
  }

  Event clock_tick(Nanos now) const {
    Timer t;
    t.owner = kNoBot;
    t.deadline = now;
    return Event::make(t, now, now);
  }

  void take_snapshot() {
    if (!writer) return;
    const auto bytes = engine_snapshot(fold.snapshot(), history_bytes());
    const StateHash sh = fold.state_hash_record();  // stages quiescent: at == ordinal
    Event e = Event::make(sh, fold.strategy().engine_time(), 0);
    e.header.flags = kFlagDerived;
    e.header.sequence = next_position++;
    journal_append(e);
    if (auto err = writer->write_snapshot(e.header.sequence, bytes, sh.combined); !err.ok()) {
      journal_error = "snapshot: " + err.message;
    }
    ++snapshots;
    inputs_since_snapshot = 0;
  }

  void release_blobs() {
    if (blob_positions.empty()) return;
    const SequenceNumber committed = writer ? writer->committed() : next_position;
    std::lock_guard lock(blob_mutex);
    std::erase_if(blob_positions, [&](const auto& p) {
      if (p.second > committed) return false;
      blobs.erase(p.first);
      return true;
    });
  }

  void run_pipeline() {
    pin_to_cpu(config.topology == Topology::kPipelined ? config.cpus[0] : config.cpu);
    last_publish = 0;
    last_snapshot = wall_now();
    // Orders in flight at the crash (or never answered) are unknown until the venue says.
    recovery_reconcile();
    run_sequencer(config.topology == Topology::kPipelined);
    shutdown_fold();
  }

  // The periodic work that reads or writes the whole fold: the read model, blob release and
  // snapshots. Fused: between inputs. Pipelined: with the stages quiescent.
  bool housekeeping_due(Nanos now) {
    return now - last_publish >= config.publish_interval ||
           publish_requested.load(std::memory_order_acquire) ||
           inputs_since_snapshot >= config.snapshot_every_inputs ||
           (inputs_since_snapshot > 0 && now - last_snapshot >= config.snapshot_interval);
  }
  void housekeeping(Nanos now) {
    if (now - last_publish >= config.publish_interval ||
        publish_requested.exchange(false, std::memory_order_acq_rel)) {
      publish(now);
      release_blobs();
    }
    if (inputs_since_snapshot >= config.snapshot_every_inputs ||
        (inputs_since_snapshot > 0 && now - last_snapshot >= config.snapshot_interval)) {
      take_snapshot();
      last_snapshot = now;
    }
  }

  // ---- The sequencer loop, and the pipelined topology -------------------------------------
  // Fused: the sequencer applies each input whole. Pipelined: it runs the strategy phase and
  // hands the batch on; the risk and orders threads each own their stage. The fold is whole
  // again only while the stages are quiescent (every sequenced input completed, both stage
  // threads parked): that is when the sequencer publishes the read model and snapshots, and
  // after the stage threads exit, when it applies the shutdown itself.
  void run_sequencer(bool pipelined) {
    if (pipelined) {
      for (std::uint32_t i = 0; i < kSlots; ++i)
        free_slots.try_push(i);  // before the consumer thread exists
      stages_exit.store(false);
      risk_thread = std::thread([this] { run_risk_stage(); });
      orders_thread = std::thread([this] { run_orders_stage(); });
    }
    const auto dispatch = [&](const InputItem& item) {
      if (pipelined) {
        hand_on(item);
      } else {
        apply_input(item);
      }
    };
    std::array<InputItem, 256> batch;
    Nanos next_tick = wall_now();
    unsigned idle_rounds = 0;
    for (;;) {
      const bool stopping = stop_requested.load(std::memory_order_acquire);
      const std::size_t n = take_inputs(std::span(batch));
      for (std::size_t i = 0; i < n; ++i)
        dispatch(batch[i]);
      const Nanos now = wall_now();
      if (now >= next_tick) {
        dispatch(InputItem{clock_tick(now), 0});
        next_tick = now + config.tick_interval;
      }
      if (!pipelined) release_durable();  // pipelined: the orders stage does
      if (housekeeping_due(now)) {
        if (pipelined) quiesce();
        housekeeping(now);
        if (pipelined) resume();
      }
      loops.fetch_add(1, std::memory_order_release);
      if (stopping && n == 0) break;
      if (n == 0) {
        idle(idle_rounds);
      } else {
        idle_rounds = 0;
      }
    }
    if (pipelined) {
      wait_completed();
      stages_exit.store(true, std::memory_order_release);
      risk_thread.join();
      orders_thread.join();
    }
  }

  void hand_on(const InputItem& item) {
    std::uint32_t index = 0;
    for (unsigned spins = 0; !free_slots.try_pop(index); ++spins)
      backoff(spins);  // every slot in flight: the stages set the pace
    Slot& slot = *slots[index];
    sequence_step(item, slot);
    // Never full: kSlots slots and a ring of kSlots.
    while (!to_risk.try_push(index))
      __builtin_ia32_pause();
  }

  static void backoff(unsigned spins) {
    if (spins < 256) {
      __builtin_ia32_pause();
    } else {
      std::this_thread::yield();
    }
  }

  void wait_completed() {
    const SequenceNumber target = ordinal;
    for (unsigned spins = 0; self.applied_.load(std::memory_order_acquire) < target; ++spins)
      backoff(spins);
  }

  void quiesce() {
    wait_completed();
    const std::uint64_t epoch = pause_epoch.fetch_add(1, std::memory_order_acq_rel) + 1;
    for (unsigned spins = 0; risk_parked.load(std::memory_order_acquire) != epoch ||
                             orders_parked.load(std::memory_order_acquire) != epoch;
         ++spins) {
      backoff(spins);
    }
  }
  void resume() { pause_epoch.fetch_add(1, std::memory_order_acq_rel); }

  // A stage thread with an empty input ring parks while the sequencer asks (odd epoch).
  void park_if_asked(std::atomic<std::uint64_t>& parked) {
    const std::uint64_t epoch = pause_epoch.load(std::memory_order_acquire);
    if ((epoch & 1) == 0) return;
    parked.store(epoch, std::memory_order_release);
    for (unsigned spins = 0; pause_epoch.load(std::memory_order_acquire) == epoch &&
                             !stages_exit.load(std::memory_order_acquire);
         ++spins) {
      backoff(spins);
    }
  }

  void run_risk_stage() {
    run_stage(
        config.cpus[1], to_risk, to_orders, risk_parked, [this](Slot& s) { risk_step(s); }, [] {});
  }
  // Durable mode: probes wait for the watermark here, between inputs and when idle.
  void run_orders_stage() {
    run_stage(
        config.cpus[2], to_orders, free_slots, orders_parked,
        [this](Slot& s) {
          orders_step(s);
          release_durable();
        },
        [this] { release_durable(); });
  }
  // A stage thread: take a slot from `in`, run the step, hand the slot to `out` (never full:
  // kSlots slots, rings of kSlots).
  template <class Step, class OnIdle>
  void run_stage(int cpu, SpscRing<std::uint32_t>& in, SpscRing<std::uint32_t>& out,
                 std::atomic<std::uint64_t>& parked, Step step, OnIdle on_idle) {
    pin_to_cpu(cpu);
    unsigned idle_rounds = 0;
    std::uint32_t index = 0;
    for (;;) {
      if (in.try_pop(index)) {
        step(*slots[index]);
        while (!out.try_push(index))
          __builtin_ia32_pause();
        idle_rounds = 0;
        continue;
      }
      if (stages_exit.load(std::memory_order_acquire)) return;
      on_idle();
      park_if_asked(parked);
      idle(idle_rounds);
    }
  }

  void idle(unsigned& rounds) {
    ++rounds;
    if (config.idle == "spin") {
      __builtin_ia32_pause();
    } else if (config.idle == "yield" || rounds < 64) {
      std::this_thread::yield();
    } else {
      // Back-off park: bounded so the clock tick and the publisher keep their cadence.
      std::this_thread::sleep_for(std::chrono::microseconds(rounds < 256 ? 50 : 500));
    }
  }

  // Orders in flight at a crash (or never answered) are unknown until the venue says: a
  // journaled reconcile input (see kReconcileTimer), so replays reconcile alike.
  void recovery_reconcile() {
    Timer t;
    t.owner = kNoBot;
    t.timer_id = kReconcileTimer;
    const Nanos now = wall_now();
    t.deadline = now;
    apply_input(InputItem{Event::make(t, now, now), 0});
  }

  void shutdown_fold() {
    // Journaled like any command, so a replay ends the same way.
    OperatorCommand c;
    c.kind = OperatorCommandKind::kShutdown;
    const Nanos now = wall_now();
    if (config.cancel_open_orders_on_shutdown) {
      apply_input(InputItem{Event::make(c, now, now), 0});
      // Drain what the shutdown produced (cancels answered by the paper venue; durable: once
      // the journal holds them, bounded by 5 s).
      const Nanos deadline = wall_now() + 5'000'000'000;
      std::array<InputItem, 256> batch;
      for (int round = 0; round < 4; ++round) {
        while (fold_holds_sends() && writer && !pending_probes.empty() &&
               writer->durable() < pending_probes.back().position && wall_now() < deadline) {
          std::this_thread::yield();
        }
        release_durable();
        const std::size_t n = take_inputs(std::span(batch));
        for (std::size_t i = 0; i < n; ++i)
          apply_input(batch[i]);
      }
    }
    publish(wall_now());
    take_snapshot();
  }

  // ---- Read model -------------------------------------------------------------------------
  void publish(Nanos now) {
    auto m = std::make_shared<ReadModel>();
    build_read_model(*m, now);
    {
      std::lock_guard lock(model_mutex);
      model = std::move(m);
    }
    published.store(ordinal, std::memory_order_release);  // the stages are quiescent here
    published_position.store(next_position - 1, std::memory_order_release);
    {
      // Commands wait for a read model that shows them (submit()).
      std::lock_guard lock(request_mutex);
    }
    request_cv.notify_all();
    last_publish = now;
  }

  void build_read_model(ReadModel& m, Nanos now);

  // ---- Publisher thread -------------------------------------------------------------------
  void run_publisher() {
    {
      std::lock_guard lock(notify_mutex);
      if (notify) {
        for (const PendingNotification& p : pending_notifications)
          notify(p.sequence, p.time, p.note);
      }
      pending_notifications.clear();
    }
    Event e;
    while (!stop_requested.load(std::memory_order_acquire) || !stream_ring.empty_approx() ||
           !notify_ring.empty_approx()) {
      bool any = false;
      while (notify_ring.try_pop(e)) {
        any = true;
        if (notify_overflow.load(std::memory_order_acquire)) continue;
        std::lock_guard lock(notify_mutex);
        if (notify) notify(e.header.sequence, e.header.event_time, e.as<Notification>());
      }
      while (stream_ring.try_pop(e)) {
        any = true;
        publish_stream(e);
      }
      if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  void publish_stream(const Event& e) {
    StreamItem item;
    item.json = stream_json(e, instruments);
    if (item.json.empty()) return;
    item.bot = stream_owner(e);
    std::lock_guard lock(stream_mutex);
    item.cursor = ++stream_cursor;
    stream.push_back(std::move(item));
    while (stream.size() > config.stream_capacity)
      stream.pop_front();
  }
};

Expected<bool, std::string> recover(Engine::Impl& im, const std::string& dir,
                                    Engine::RecoveryReport& report);

}  // namespace be::engine
