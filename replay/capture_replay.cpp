#include "replay/capture_replay.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string_view>

#include "core/json_config.hpp"
#include "engine/format.hpp"
#include "feed/dispatcher.hpp"

namespace be::replay {

// ---- CaptureFile ---------------------------------------------------------------------------

Expected<std::unique_ptr<CaptureFile>, std::string> CaptureFile::open(const std::string& path) {
  std::unique_ptr<CaptureFile> file(new CaptureFile());
  if (capture::CaptureReader::is_capture_file(path)) {
    auto binary = capture::CaptureReader::open(path);
    if (!binary) return Unexpected(binary.error());
    file->binary_ = std::make_unique<capture::CaptureReader>(std::move(*binary));
    file->venue_ = feed::venue_from_name(file->binary_->venue());
    return file;
  }
  file->text_ = std::make_unique<feed::TextCaptureReader>();
  std::string error;
  if (!file->text_->open(path, error)) return Unexpected(error);
  file->venue_ = file->text_->venue();
  return file;
}

std::unique_ptr<CaptureFile> CaptureFile::from_text(std::string text, feed::Venue venue) {
  std::unique_ptr<CaptureFile> file(new CaptureFile());
  file->text_ = std::make_unique<feed::TextCaptureReader>();
  file->text_->assign(std::move(text), venue);
  file->venue_ = venue;
  return file;
}

bool CaptureFile::next(CaptureItem& out) noexcept {
  out = {};
  if (text_) return text_->next(out.record);
  capture::CapturedFrame frame;
  if (!binary_->next(frame)) return false;
  out.record.receive_time = frame.receive_time;
  switch (frame.kind) {
    case capture::FrameKind::kReceived:
      out.record.kind = feed::CaptureLineKind::kMessage;
      out.record.payload = frame.text();
      break;
    case capture::FrameKind::kSent:
      out.record.kind = feed::CaptureLineKind::kSent;
      out.record.payload = frame.text();
      break;
    case capture::FrameKind::kConnected:
      out.record.kind = feed::CaptureLineKind::kConnect;
      out.record.url = frame.text();
      break;
    case capture::FrameKind::kDisconnected:
      out.record.kind = feed::CaptureLineKind::kConnect;
      out.record.payload = frame.text();
      out.disconnect = true;
      break;
    case capture::FrameKind::kRest: {
      const capture::RestFrame rest = capture::split_rest_frame(frame.text());
      out.record.kind = feed::CaptureLineKind::kHttp;
      out.record.url = rest.url;
      out.record.payload = rest.body;
      break;
    }
  }
  return true;
}

void CaptureFile::rewind() noexcept {
  if (text_) {
    text_->rewind();
  } else {
    binary_->rewind();
  }
}

std::uint64_t CaptureFile::bad_lines() const noexcept {
  return text_ ? text_->bad_lines() : 0;
}

std::string CaptureFile::tail() const {
  if (!binary_ || binary_->tail().clean) return {};
  const capture::CaptureTail& t = binary_->tail();
  return "stopped at byte " + std::to_string(t.offset) + ": " + t.reason + " (" +
         std::to_string(t.ignored_bytes) + " bytes ignored)";
}

// ---- derive_config -------------------------------------------------------------------------

namespace {

// Longest first where one is a suffix of another (FDUSD, TUSD and BUSD before USD).
constexpr std::array<std::string_view, 12> kQuoteSuffixes = {
    "FDUSD", "USDT", "BUSD", "USDC", "TUSD", "USD", "EUR", "GBP", "TRY", "BTC", "ETH", "BNB"};

std::pair<std::string_view, std::string_view> split_symbol(std::string_view symbol) {
  const std::size_t sep = symbol.find_first_of("-/");
  if (sep != std::string_view::npos && sep > 0 && sep + 1 < symbol.size()) {
    return {symbol.substr(0, sep), symbol.substr(sep + 1)};
  }
  for (std::string_view q : kQuoteSuffixes) {
    if (symbol.size() > q.size() && symbol.ends_with(q)) {
      return {symbol.substr(0, symbol.size() - q.size()), q};
    }
  }
  return {symbol, "USD"};
}

}  // namespace

Expected<engine::EngineConfig, std::string> derive_config(CaptureFile& file, feed::Venue venue) {
  // One pass through the real parsers, interning every symbol; the deployment holds the ones
  // that produced market data, in order of first sight, up to the fold's instrument capacity.
  feed::CaptureDispatcher dispatcher(feed::UnknownSymbolPolicy::kAutoIntern);
  const std::size_t capacity = engine::FoldConfig{}.oms.instruments;
  std::vector<bool> seen;
  std::vector<InstrumentId> order;
  auto note = [&](const Event& e) {
    InstrumentId id = kNoInstrument;
    switch (e.header.type) {
      case EventType::kTrade:
        id = e.as<Trade>().instrument;
        break;
      case EventType::kQuote:
        id = e.as<Quote>().instrument;
        break;
      case EventType::kBar:
        id = e.as<Bar>().instrument;
        break;
      case EventType::kBookDelta:
        id = e.as<BookDelta>().instrument;
        break;
      default:
        return;
    }
    const std::size_t i = index_of(id);
    if (i >= seen.size()) seen.resize(i + 1, false);
    if (!seen[i]) {
      seen[i] = true;
      order.push_back(id);
    }
  };
  file.rewind();
  CaptureItem item;
  while (file.next(item)) {
    if (!item.disconnect) (void)dispatcher.dispatch(venue, item.record, note);
  }
  file.rewind();
  if (order.empty()) {
    return Unexpected(std::string("the capture has no market data this build parses for venue ") +
                      std::string(feed::to_string(venue)));
  }

  std::vector<std::string_view> symbols;
  for (InstrumentId id : order)
    symbols.push_back(dispatcher.symbols(venue).name(id));
  return derived_deployment(feed::to_string(venue), symbols, capacity);
}

Expected<engine::EngineConfig, std::string> derived_deployment(
    std::string_view venue, const std::vector<std::string_view>& symbols, std::size_t capacity) {
  std::string json = "{\"venues\":[{\"name\":";
  config::append_json_string(json, venue);
  json += "}],\"instruments\":[";
  std::vector<std::string_view> quotes;
  std::size_t defined = 0;
  for (const std::string_view symbol : symbols) {
    if (defined == capacity) break;
    const auto [base, quote] = split_symbol(symbol);
    if (symbol.size() >= InstrumentDefined::kSymbolCapacity ||
        base.size() >= InstrumentDefined::kAssetCapacity ||
        quote.size() >= InstrumentDefined::kAssetCapacity) {
      continue;  // cannot be defined; its messages are rejected as unknown symbols
    }
    if (defined++ != 0) json += ',';
    json += "{\"venue\":";
    config::append_json_string(json, venue);
    json += ",\"symbol\":";
    config::append_json_string(json, symbol);
    json += ",\"base\":";
    config::append_json_string(json, base);
    json += ",\"quote\":";
    config::append_json_string(json, quote);
    json += '}';
    if (std::find(quotes.begin(), quotes.end(), quote) == quotes.end()) quotes.push_back(quote);
  }
  json += "],\"paper\":{\"balances\":{";
  for (std::size_t i = 0; i < quotes.size(); ++i) {
    if (i != 0) json += ',';
    config::append_json_string(json, quotes[i]);
    json += ':';
    config::append_json_string(json, kDerivedQuoteBalance);
  }
  json += "}}}";
  auto parsed = engine::parse_engine_config(json);
  if (!parsed) {
    return Unexpected("the derived deployment: " + config::format_errors(parsed.error()));
  }
  return std::move(*parsed);
}

// ---- feed_capture --------------------------------------------------------------------------

namespace {

// The parsers number the capture venue's symbols densely from 0 in the order the table was
// filled; the deployment numbers all its instruments. One table maps the first to the second.
class Remap {
 public:
  explicit Remap(std::vector<InstrumentId> global) : global_(std::move(global)) {}

  template <class P>
  void instrument(Event& e) const noexcept {
    P body = e.as<P>();
    const std::size_t local = index_of(body.instrument);
    if (local < global_.size()) body.instrument = global_[local];
    std::memcpy(e.payload.data(), &body, sizeof body);  // the header stays as parsed
  }

  void apply(Event& e, VenueId venue) const noexcept {
    switch (e.header.type) {
      case EventType::kTrade:
        instrument<Trade>(e);
        break;
      case EventType::kQuote:
        instrument<Quote>(e);
        break;
      case EventType::kBar:
        instrument<Bar>(e);
        break;
      case EventType::kBookDelta:
        instrument<BookDelta>(e);
        break;
      case EventType::kConnectivity: {
        Connectivity c = e.as<Connectivity>();
        c.venue = venue;
        if (c.instrument != kNoInstrument && index_of(c.instrument) < global_.size()) {
          c.instrument = global_[index_of(c.instrument)];
        }
        std::memcpy(e.payload.data(), &c, sizeof c);
        break;
      }
      default:
        break;
    }
  }

 private:
  std::vector<InstrumentId> global_;
};

}  // namespace

Expected<CaptureReplayStats, std::string> feed_capture(CaptureFile& file, feed::Venue venue,
                                                       const engine::EngineConfig& config,
                                                       InputSink sink) {
  const engine::InstrumentTable table(config.instruments);
  feed::CaptureDispatcher dispatcher(feed::UnknownSymbolPolicy::kReject);
  std::vector<InstrumentId> global;
  VenueId venue_index{};
  for (std::size_t i = 0; i < config.instruments.size(); ++i) {
    const engine::InstrumentSpec& in = config.instruments[i];
    if (feed::venue_from_name(in.venue) != venue) continue;
    dispatcher.symbols(venue).add(in.symbol, feed::InstrumentScales{in.price_scale, in.qty_scale});
    global.push_back(table.definition(i).instrument);
    venue_index = table.definition(i).venue;
  }
  if (global.empty()) {
    return Unexpected("the deployment defines no instrument on venue " +
                      std::string(feed::to_string(venue)) + " (the capture's)");
  }
  const Remap remap(std::move(global));

  CaptureReplayStats stats;
  // Room for the tick arithmetic below to never overflow (year 2262 is the end of Nanos).
  constexpr Nanos kLatest = std::numeric_limits<Nanos>::max() / 2;
  const Nanos tick = config.tick_interval > 0 ? config.tick_interval : Nanos{100'000'000};
  Nanos clock = 0;      // the newest receive time seen
  Nanos next_tick = 0;  // 0: nothing defined yet
  bool connected = false;

  auto emit_connectivity = [&](ConnectivityState state, Nanos t) {
    Connectivity c;
    c.venue = venue_index;
    c.state = state;
    sink(Event::make(c, t, t, index_of(feed::venue_id(venue))));
  };
  auto begin = [&](Nanos t) {
    for (std::size_t i = 0; i < table.size(); ++i)
      sink(Event::make(table.definition(i), t, t));
    Timer reconcile;
    reconcile.owner = kNoBot;
    reconcile.timer_id = engine::kReconcileTimer;
    reconcile.deadline = t;
    sink(Event::make(reconcile, t, t));
    clock = t;
    next_tick = t + tick;
  };
  auto advance = [&](Nanos t) {
    if (t <= clock) return;
    if ((t - next_tick) / tick >= static_cast<Nanos>(kMaxTicksPerJump)) {
      ++stats.time_jumps;
      next_tick = t - (t - next_tick) % tick;
    }
    for (; next_tick <= t; next_tick += tick) {
      Timer timer;
      timer.owner = kNoBot;
      timer.deadline = next_tick;
      sink(Event::make(timer, next_tick, next_tick));
      ++stats.ticks;
    }
    clock = t;
  };
  auto market = [&](const Event& parsed) {
    Event e = parsed;
    remap.apply(e, venue_index);
    if (!connected && e.header.type != EventType::kConnectivity) {
      emit_connectivity(ConnectivityState::kConnected, e.header.receive_time);
      connected = true;
    }
    ++stats.market_events;
    sink(e);
  };

  file.rewind();
  const std::uint64_t bad_before = file.bad_lines();  // the reader counts across passes
  CaptureItem item;
  while (file.next(item)) {
    ++stats.records;
    const Nanos t = item.record.receive_time;
    const bool data = item.record.kind == feed::CaptureLineKind::kMessage ||
                      item.record.kind == feed::CaptureLineKind::kHttp;
    if (t <= 0 || t > kLatest) {
      // No usable time (a config line, or a hostile binary frame): not data to replay.
      if (data || item.disconnect) {
        ++stats.untimed;
      } else {
        (void)dispatcher.dispatch(venue, item.record, market);
      }
      continue;
    }
    if (next_tick == 0) begin(t);
    advance(t);
    if (item.disconnect) {
      ++stats.disconnects;
      emit_connectivity(ConnectivityState::kDisconnected, std::max(t, clock));
      connected = false;
      continue;
    }
    if (item.record.kind == feed::CaptureLineKind::kConnect) {
      ++stats.connects;
      emit_connectivity(ConnectivityState::kConnected, std::max(t, clock));
      connected = true;
    }
    (void)dispatcher.dispatch(venue, item.record, market);
  }
  stats.feed = dispatcher.stats();
  stats.not_parsed = dispatcher.sent() + dispatcher.config_lines() + dispatcher.skipped_http();
  stats.bad_lines = file.bad_lines() - bad_before;
  stats.tail = file.tail();
  return stats;
}

}  // namespace be::replay
