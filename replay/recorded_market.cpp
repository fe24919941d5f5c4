#include "replay/recorded_market.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/file_read.hpp"
#include "core/json_config.hpp"
#include "engine/format.hpp"
#include "engine/journal_replayer.hpp"
#include "feed/candle_file.hpp"
#include "journal/reader.hpp"
#include "replay/backtest.hpp"
#include "replay/capture_replay.hpp"

namespace be::replay {

namespace {

bool is_market_data(const Event& e) {
  switch (e.header.type) {
    case EventType::kTrade:
    case EventType::kQuote:
    case EventType::kBar:
    case EventType::kBookDelta:
      return true;
    default:
      return false;
  }
}

// The opening records: every input before the first market data.
std::size_t opening_of(const std::vector<Event>& inputs) {
  return static_cast<std::size_t>(std::find_if(inputs.begin(), inputs.end(), is_market_data) -
                                  inputs.begin());
}

}  // namespace

std::vector<Event> RecordedMarket::slice(Part part) const {
  std::vector<Event> out;
  out.reserve(opening + (part.end - part.begin));
  const Nanos t = part.begin < inputs.size() ? inputs[part.begin].header.event_time : 0;
  for (std::size_t i = 0; i < opening; ++i) {
    Event e = inputs[i];
    // A later part opens at its own start, as if the recording began there.
    if (part.begin > opening) {
      e.header.event_time = t;
      e.header.receive_time = t;
      if (e.header.type == EventType::kTimer) {
        Timer timer = e.as<Timer>();
        timer.deadline = t;
        e = Event::make(timer, t, t, e.header.source);
      }
    }
    out.push_back(e);
  }
  out.insert(out.end(), inputs.begin() + static_cast<std::ptrdiff_t>(part.begin),
             inputs.begin() + static_cast<std::ptrdiff_t>(part.end));
  return out;
}

// The time an input arrived in the recording's order: its receive time (the sequencer's clock
// in a journal, the frame's in a capture), else its event time. Event times alone interleave:
// a venue's trade time runs apart from the quotes' receive times.
Nanos RecordedMarket::arrival(const Event& e) noexcept {
  return e.header.receive_time > 0 ? e.header.receive_time : e.header.event_time;
}

Nanos RecordedMarket::first_time() const noexcept {
  return opening < inputs.size() ? arrival(inputs[opening]) : 0;
}
Nanos RecordedMarket::last_time() const noexcept {
  Nanos last = 0;
  for (std::size_t i = opening; i < inputs.size(); ++i)
    last = std::max(last, arrival(inputs[i]));
  return last;
}

std::size_t RecordedMarket::at_fraction(double f) const {
  const Nanos first = first_time();
  const Nanos cut = first + static_cast<Nanos>(static_cast<double>(last_time() - first) *
                                               std::clamp(f, 0.0, 1.0));
  // The first input that arrived at or after the cut opens the next part.
  auto it = std::find_if(inputs.begin() + static_cast<std::ptrdiff_t>(opening), inputs.end(),
                         [cut](const Event& e) { return arrival(e) >= cut; });
  return static_cast<std::size_t>(it - inputs.begin());
}

Expected<RecordedMarket, std::string> load_candle_market(const std::string& path,
                                                         std::string symbol,
                                                         const std::string& venue) {
  if (symbol.empty()) {
    symbol = std::filesystem::path(path).filename().string();
    symbol = symbol.substr(0, symbol.find_first_of("_."));
    for (char& c : symbol)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  auto text = read_file(path);
  if (!text) return Unexpected(text.error());
  return candle_market(*text, path, symbol, venue);
}

Expected<RecordedMarket, std::string> candle_market(std::string_view text,
                                                    const std::string& source,
                                                    const std::string& symbol,
                                                    const std::string& venue) {
  const std::string path = source;
  auto config = derived_deployment(venue, {symbol}, 1);
  if (!config) return Unexpected(path + ": symbol " + symbol + ": " + config.error());
  if (config->instruments.empty()) return Unexpected(path + ": symbol " + symbol + ": too long");
  const engine::InstrumentTable table(config->instruments);
  const InstrumentDefined& def = table.definition(0);
  const CandleOptions options{def.price_scale, def.qty_scale, def.instrument};
  const std::size_t first_byte = text.find_first_not_of(" \t\r\n");
  auto candles = first_byte != std::string_view::npos && text[first_byte] == '['
                     ? parse_candles_json(text, options, source)
                     : parse_candles_csv(text, options, source);
  if (!candles) return Unexpected(candles.error().message);
  if (candles->bars.empty()) return Unexpected(path + ": no bars");

  RecordedMarket market;
  market.config = std::move(*config);
  market.what = "the candle file";
  const Bar& first = candles->bars.front();
  std::vector<Event>& in = market.inputs;
  in.reserve(candles->size() * 3 + 3);
  const Nanos t0 = first.open_time;
  in.push_back(Event::make(def, t0, t0));
  Timer reconcile;
  reconcile.owner = kNoBot;
  reconcile.timer_id = engine::kReconcileTimer;
  reconcile.deadline = t0;
  in.push_back(Event::make(reconcile, t0, t0));
  Connectivity connected;
  connected.venue = def.venue;
  connected.state = ConnectivityState::kConnected;
  in.push_back(Event::make(connected, t0, t0));
  for (const Bar& b : candles->bars) {
    Bar bar = b;
    if (bar.interval_seconds == 0) bar.interval_seconds = 60;
    bar.closed = 1;
    const Nanos close = bar.open_time + static_cast<Nanos>(bar.interval_seconds) * 1'000'000'000;
    Timer tick;
    tick.owner = kNoBot;
    tick.deadline = close;
    in.push_back(Event::make(tick, close, close));
    Quote q;
    q.instrument = def.instrument;
    q.bid_price = q.ask_price = bar.close;
    q.bid_quantity = q.ask_quantity = bar.volume;
    in.push_back(Event::make(q, close, close));
    in.push_back(Event::make(bar, close, close));
  }
  market.opening = opening_of(in);
  return market;
}

Expected<RecordedMarket, std::string> load_capture_market(const std::string& path,
                                                          const std::string& config_file,
                                                          const std::string& venue_name) {
  auto file = CaptureFile::open(path);
  if (!file) return Unexpected(file.error());
  feed::Venue venue = (*file)->venue();
  if (!venue_name.empty()) venue = feed::venue_from_name(venue_name);
  if (venue == feed::Venue::kUnknown) {
    return Unexpected("cannot tell the venue of " + path + " from its name; pass --venue");
  }
  engine::EngineConfig config;
  if (!config_file.empty()) {
    auto text = read_file(config_file);
    if (!text) return Unexpected(text.error());
    auto parsed = engine::parse_engine_config(*text);
    if (!parsed) return Unexpected(config_file + ": " + config::format_errors(parsed.error()));
    config = std::move(*parsed);
  } else {
    auto derived = derive_config(**file, venue);
    if (!derived) return Unexpected(path + ": " + derived.error());
    config = std::move(*derived);
  }
  return capture_market(**file, venue, std::move(config));
}

Expected<RecordedMarket, std::string> capture_market(CaptureFile& file, feed::Venue venue,
                                                     engine::EngineConfig config) {
  RecordedMarket market;
  market.what = "the capture";
  market.config = std::move(config);
  auto fed = feed_capture(file, venue, market.config,
                          [&market](const Event& e) { market.inputs.push_back(e); });
  if (!fed) return Unexpected(fed.error());
  market.opening = opening_of(market.inputs);
  return market;
}

Expected<RecordedMarket, std::string> load_journal_market(const std::string& dir) {
  auto reader = journal::Reader::open(dir, journal::ReaderOptions{});
  if (!reader) return Unexpected(reader.error().message);
  auto start = engine::plan_replay(**reader);
  if (!start) return Unexpected(start.error());
  RecordedMarket market;
  market.what = "the journal";
  market.config = start->config;
  auto fed =
      for_each_market_input(**reader, [&market](const Event& e) { market.inputs.push_back(e); });
  if (!fed) return Unexpected(fed.error());
  market.opening = opening_of(market.inputs);
  return market;
}

}  // namespace be::replay
