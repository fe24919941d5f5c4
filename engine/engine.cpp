// The public Engine: open (with recovery), start, stop, the bench and test offers, drain.
// Internals in engine_impl.hpp (which names the file of each concern).
#include "engine/engine.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <filesystem>
#include <thread>

#include "engine/engine_impl.hpp"
#include "journal/reader.hpp"
#include "oms/order.hpp"
#include "strategies/plugin/catalog.hpp"

namespace be::engine {

// ---- Open and recovery ---------------------------------------------------------------------

Engine::Engine(EngineConfig config) : config_(std::move(config)) {}

Engine::~Engine() {
  stop();
}

Expected<std::unique_ptr<Engine>, std::string> Engine::open(EngineConfig config) {
  if (config.ingress_capacity < 2 || config.ingress_capacity > Ingress<InputItem>::kMaxCapacity) {
    return Unexpected("ingress_capacity must be in [2, " +
                      std::to_string(Ingress<InputItem>::kMaxCapacity) + "]");
  }
  if (!std::has_single_bit(config.live_answers_capacity) ||
      config.live_answers_capacity > SpscRing<InputItem>::kMaxCapacity) {
    return Unexpected("live_answers_capacity must be a power of two up to " +
                      std::to_string(SpscRing<InputItem>::kMaxCapacity));
  }
  auto idle = idle_strategy(config.idle);  // chosen once: the stage threads never compare names
  if (!idle) return Unexpected("engine.idle: " + idle.error());
  std::unique_ptr<Engine> engine(new Engine(config));
  engine->impl_ = std::make_unique<Impl>(*engine, std::move(config));
  Impl& im = *engine->impl_;
  im.idle = std::move(*idle);
  const Nanos started = monotonic_now();
  if (im.config.journal != JournalMode::kOff) {
    const std::string dir = im.config.data_dir + "/journal";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return Unexpected("cannot create " + dir + ": " + ec.message());
    // Recovery first, read-only; the writer opens the same directory after the reader closed
    // (LMDB: one environment per file per process).
    oms::DiscardResponses drop;
    im.fold.set_responses(drop);
    (void)plugin::take_refused_build();  // a note from before this recovery is not its own
    auto recovered = recover(im, dir, engine->recovery_);
    im.fold.set_responses(im);
    if (!recovered) return Unexpected(recovered.error());
    // A journaled plugin bot another build would run: stop before anything is written.
    if (auto refused = plugin::take_refused_build()) return Unexpected("recovery: " + *refused);
    journal::WriterOptions wo;
    wo.durability = im.config.journal == JournalMode::kDurable ? journal::Durability::kSync
                    : im.config.journal == JournalMode::kAsync ? journal::Durability::kAsync
                                                               : journal::Durability::kNone;
    wo.group_max_records = 1024;
    wo.queue_capacity = std::size_t{1} << 18;
    wo.segments.max_bytes = im.config.journal_segment_bytes;
    wo.segments.max_age_s = im.config.journal_segment_age_s;
    wo.retention.keep_snapshots = im.config.keep_snapshots;
    // Retention is on by default: retired segments go compressed to <data_dir>/archive, so a
    // runner left alone keeps a bounded live journal (docs/JOURNAL.md, "Retention and archive").
    wo.retention.archive_dir =
        im.config.journal_archive_dir.value_or(im.config.data_dir + "/archive");
    wo.retention.delete_unarchived = im.config.journal_delete_unarchived;
    auto writer = journal::JournalWriter<>::open(dir, wo);
    if (!writer) return Unexpected("journal " + dir + ": " + writer.error().message);
    im.writer = std::move(*writer);
    for (Event e : im.cut_tail) {
      e.header.sequence = im.next_position++;
      if (!im.journal_append(e)) return Unexpected("journal " + dir + ": " + im.journal_error);
      // A notification among them was never offered to the notifier: it goes out first.
      if (e.header.type == EventType::kNotification) {
        im.pending_notifications.push_back(
            {e.header.sequence, e.header.event_time, e.as<Notification>()});
      }
    }
    engine->recovery_.completed_records = im.cut_tail.size();
    im.cut_tail.clear();
  }
  im.fresh = im.ordinal == 0;
  im.disk_reserve_on.store(im.fold.risk().engine().disk_reserve());
  // Orders whose fate the journal does not know: the reconcile input at start asks the venue.
  im.fold.orders().for_each_order([&](const oms::ManagedOrder& m) {
    const oms::OrderState s = m.order.state;
    if (s == oms::OrderState::kPendingNew || s == oms::OrderState::kPendingCancel ||
        s == oms::OrderState::kUnknown) {
      ++engine->recovery_.unknown_orders;
    }
  });
  // Next ids after what the journal holds.
  std::uint32_t max_bot = 0;
  bool any_bot = false;
  for (const auto& b : im.fold.strategy().describe()) {
    max_bot = std::max(max_bot, index_of(b.id));
    any_bot = true;
  }
  // Never an id a deleted bot had: its client order ids are in the journal and at the venue.
  im.next_bot.store(std::max(any_bot ? max_bot + 1 : 0, im.fold.strategy().next_bot_id()));
  engine->recovery_.seconds = static_cast<double>(monotonic_now() - started) / 1e9;
  engine->recovery_.state_hash = im.fold.hashes().combined;
  if (auto replica = im.replica_open(); !replica) return Unexpected(replica.error());
  im.journaled_through.store(im.next_position - 1);
  im.stream_open();
  im.publish(wall_now());
  return engine;
}

// ---- Running -------------------------------------------------------------------------------

Expected<bool, std::string> Engine::start() {
  if (running_.load()) return true;
  Impl& im = *impl_;
  // Every initial bot is checked before anything is journaled: a bad one leaves no
  // half-created deployment behind.
  if (im.fresh) {
    std::string problems;
    for (std::size_t i = 0; i < im.config.initial_bots.size(); ++i) {
      for (const config::FieldError& e : validate_bot_config(im.config.initial_bots[i])) {
        if (!problems.empty()) problems += "; ";
        problems += "bots[" + std::to_string(i) + "]" + (e.field.empty() ? "" : ".") + e.field +
                    ": " + e.message;
      }
    }
    if (!problems.empty()) return Unexpected(problems);
  }
  auto control = im.ingress.make_producer();
  if (!control) return Unexpected(std::string("ingress: no producer"));
  im.control_producer.emplace(std::move(*control));
  if (im.fresh) {
    // A new journal: the deployment config first (replay rebuilds the fold from it), then
    // reference data; the paper account's opening balances come from the venue itself
    // (reconciliation after start).
    if (!im.config.source_text.empty()) {
      const BlobRef ref = im.keep_blob(kEngineConfigBlobKind, im.config.source_text);
      im.control_producer->try_push(InputItem{Event::make(ref, wall_now(), wall_now()), 0});
    }
    for (std::size_t i = 0; i < im.instruments.size(); ++i) {
      im.control_producer->try_push(
          InputItem{Event::make(im.instruments.definition(i), wall_now(), wall_now()), 0});
    }
  }
  {
    // The venue's filters named before start, then dry run as this start wants it.
    std::lock_guard lock(im.control_mutex);
    for (const InputItem& item : im.pending_filters)
      im.control_producer->try_push(item);
    im.pending_filters.clear();
    im.journal_dry_run();
  }
  running_.store(true);
  // Venue connections first: the pipeline thread reads `clients` (for the read model), so
  // the vector is complete before that thread exists. Frames that arrive meanwhile wait in
  // the ingress.
  im.clients.resize(im.config.venues.size());
  for (std::size_t v = 0; v < im.config.venues.size(); ++v) {
    const VenueSpec& spec = im.config.venues[v];
    if (spec.url.empty() || spec.ingest == Ingest::kHot) continue;  // hot: polled, below
    auto producer = im.ingress.make_producer();
    if (!producer) return Unexpected(std::string("ingress: no producer for venue"));
    auto shared = std::make_shared<Ingress<InputItem>::Producer>(std::move(*producer));
    net::WsClientConfig wc;
    wc.url = spec.url;
    wc.venue = VenueId{static_cast<std::uint16_t>(v)};
    wc.ca_file = im.config.ca_file;
    net::WsClientHandlers h;
    feed::BinanceParser* parser = im.parsers[v].get();
    h.on_frame = [&im, parser, shared](const net::Frame& f) {
      if (f.kind != net::FrameKind::kData || im.is_halted()) return;
      const auto r = parser->parse(f.payload, f.receive_time, [&](const Event& e) {
        if (!shared->try_push(InputItem{e, 0})) ++im.ingress_full;
      });
      if (!r.ok()) im.parse_rejects_io.fetch_add(1, std::memory_order_relaxed);
    };
    h.on_status = [&im, shared](const Event& e) {
      if (im.is_halted()) return;
      if (!shared->try_push(InputItem{e, 0})) ++im.ingress_full;
    };
    auto client = std::make_unique<net::WsClient>(wc, h);
    std::string error;
    if (!client->start(&error)) {
      running_.store(false);
      for (auto& c : im.clients)
        if (c) c->stop();
      return Unexpected("venue " + spec.name + ": " + error);
    }
    for (const InstrumentSpec& in : im.config.instruments) {
      if (in.venue != spec.name) continue;
      for (const std::string& ch : spec.channels)
        client->subscribe(in.symbol, ch);
    }
    im.clients[v] = std::move(client);
  }
  // Polled feeds (`"ingest": "hot"` venues, set_polled_feed) before the pipeline thread,
  // which reads the vectors.
  if (auto feeds = im.start_polled_feeds(); !feeds) {
    running_.store(false);
    stop();
    return feeds;
  }
  if (auto threads = im.start_threads(); !threads) {
    running_.store(false);
    stop();
    return Unexpected("engine threads: " + threads.error());
  }
  // The demo's bots on a new journal, started once the market is flowing (a bot started
  // before its feed connects would see its instrument in safe mode).
  const bool any_client = std::any_of(im.clients.begin(), im.clients.end(),
                                      [](const auto& c) { return c != nullptr; }) ||
                          !im.owned_polled.empty();
  if (im.fresh && !im.config.initial_bots.empty() && any_client) {
    const Nanos deadline = monotonic_now() + 10'000'000'000;
    while (monotonic_now() < deadline && running()) {
      const auto model = read_model();
      const bool up = model && !model->engine.feeds.empty() &&
                      std::all_of(model->engine.feeds.begin(), model->engine.feeds.end(),
                                  [](const FeedView& f) { return f.state == "connected"; }) &&
                      model->engine.market_ready;
      if (up) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (auto imported = import_users(); !imported) {
    stop();
    return imported;
  }
  if (im.fresh) {
    for (const std::string& json : im.config.initial_bots) {
      const CommandResult r = create_bot(kEngineUser, json);
      if (r.status != CommandStatus::kAccepted) return Unexpected("initial bot: " + r.message);
      const CommandResult s = bot_command(kEngineUser, true, r.bot, OperatorCommandKind::kStartBot);
      if (s.status != CommandStatus::kAccepted) return Unexpected("starting bot: " + s.message);
    }
  }
  return true;
}

// Also after a halt (running() is already false then): the threads are joined either way.
std::string Engine::stop() {
  if (!impl_) return {};
  Impl& im = *impl_;
  running_.store(false, std::memory_order_release);
  for (auto& c : im.clients)
    if (c) c->stop();  // intake stops first
  im.stop_threads();   // the pipeline thread ended the polled feeds' connections
  im.stop_polled_feeds();
  if (im.writer) {
    const journal::Error closed = im.writer->close();
    if (im.shutdown_problem.empty() && !closed.ok()) {
      im.shutdown_problem = "the shutdown could not be recorded: " + im.journal_failure();
      if (im.journal_failure().empty()) im.shutdown_problem += closed.message;
    }
  }
  if (im.shutdown_problem.empty() && !im.journal_error.empty()) {
    im.shutdown_problem = "not everything was recorded: " + im.journal_error;
  }
  if (im.shutdown_problem.empty() && im.is_halted()) {
    im.shutdown_problem = "the engine had halted: " + im.failure();
  }
  im.clients.clear();
  return im.shutdown_problem;
}

bool Engine::offer_frame(std::size_t venue, std::string_view frame, Nanos receive_time,
                         Nanos intended_time) {
  Impl& im = *impl_;
  if (venue >= im.parsers.size() || im.is_halted()) return false;
  auto& producer = im.offer_producers[venue];
  if (!producer) {
    std::lock_guard lock(im.offer_mutex);
    auto p = im.ingress.make_producer();
    if (!p) return false;
    producer.emplace(std::move(*p));
  }
  bool pushed = true;
  const auto r = im.parsers[venue]->parse(frame, receive_time, [&](const Event& e) {
    if (!producer->try_push(InputItem{e, intended_time})) pushed = false;
  });
  if (!r.ok()) return false;
  if (!pushed) ++im.ingress_full;
  if (pushed) im.offered.fetch_add(r.events, std::memory_order_relaxed);
  return pushed;
}

bool Engine::offer_event(const Event& event, Nanos intended_time) {
  Impl& im = *impl_;
  if (im.is_halted()) return false;
  auto& producer = im.offer_producers.back();
  if (!producer) {
    std::lock_guard lock(im.offer_mutex);
    auto p = im.ingress.make_producer();
    if (!p) return false;
    producer.emplace(std::move(*p));
  }
  if (!producer->try_push(InputItem{event, intended_time})) {
    ++im.ingress_full;
    return false;
  }
  im.offered.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Engine::drain(Nanos timeout) {
  // Everything offered before the call is applied once the ingress was seen empty, the
  // sequencer then completed two whole iterations (it took what it held off the ingress), the
  // stages completed every input sequenced by then, and the ingress is still empty (what those
  // inputs fed back, paper answers and local rejects, would be in it; if it refilled, this
  // repeats); then a read model is published that includes them. Clock ticks keep arriving,
  // so "nothing moves" is never the signal.
  const Nanos deadline = monotonic_now() + timeout;
  Impl& im = *impl_;
  auto wait_until = [&](auto done) {
    while (!done()) {
      if (monotonic_now() >= deadline || !running()) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  };
  while (monotonic_now() < deadline) {
    if (!im.inputs_waiting()) {
      const std::uint64_t seen = im.loops.load(std::memory_order_acquire);
      if (!wait_until([&] { return im.loops.load(std::memory_order_acquire) >= seen + 2; }))
        return false;
      const SequenceNumber target = im.sequenced.load(std::memory_order_acquire);
      if (!wait_until([&] { return applied_.load(std::memory_order_acquire) >= target; }))
        return false;
      if (im.inputs_waiting()) continue;
      // And the read model shows it.
      im.publish_requested.store(true, std::memory_order_release);
      return wait_until([&] { return im.published.load(std::memory_order_acquire) >= target; });
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return false;
}

std::uint64_t Engine::state_hash() const {
  return impl_->fold.hashes().combined;
}

std::string Engine::instance_id() const {
  return impl_->writer ? impl_->writer->meta().instance_id : std::string();
}

}  // namespace be::engine
