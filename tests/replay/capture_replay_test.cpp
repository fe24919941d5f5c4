// replay/capture_replay + replay/backtest: a capture's frames go through the real parsers into
// the engine's fold, instruments first, times from the capture; a backtest over the same
// capture gives byte-identical reports; malformed input is counted, never fatal.
#include "replay/capture_replay.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/civil_time.hpp"
#include "feed/record/capture_writer.hpp"
#include "replay/backtest.hpp"
#include "tests/replay/generated_capture.hpp"
#include "tests/support/shared_data.hpp"

namespace {

using be::Event;
using be::EventType;
using be::Nanos;
using be::feed::Venue;
using be::replay::Backtest;
using be::replay::CaptureFile;
using be::replay::derive_config;
using be::replay::feed_capture;

using be::test::generated_binance_capture;
using be::test::kStart;
using be::test::seconds_text;
using be::test::shared_data;

const char* kMarketMaker =
    R"({"name":"mm","symbol":"BTCUSDT","strategy":{"type":"market_maker","parameters":)"
    R"({"spread_bps":10,"skew_bps":5,"requote_bps":2,"order_size":0.01,"inventory_cap":0.05}}})";

struct Inputs {
  std::vector<Event> inputs;
  be::replay::CaptureReplayStats stats;
};

Inputs collect(CaptureFile& file, Venue venue, const be::engine::EngineConfig& config) {
  Inputs run;
  auto stats = feed_capture(file, venue, config, [&](const Event& e) { run.inputs.push_back(e); });
  EXPECT_TRUE(stats) << (stats ? "" : stats.error());
  if (stats) run.stats = *stats;
  return run;
}

struct Report {
  std::string json, html;
  std::uint64_t inputs = 0;
  std::uint64_t hash = 0;
  std::string bots;  // the bots' states and the fold's counters, for failure messages
};

std::string describe(const Backtest& bt) {
  std::string out;
  for (const auto& b : bt.fold().strategy().describe()) {
    out += "bot " + std::to_string(be::index_of(b.id)) + " " + b.symbol + " state " +
           std::to_string(static_cast<int>(b.state)) + " reason " +
           std::to_string(static_cast<int>(b.reason)) + " inputs " + std::to_string(b.inputs) +
           " fills " + std::to_string(b.fills) + " suppressed " +
           std::to_string(b.suppressed_intents) + "; ";
  }
  const auto& f = bt.fold().stats();
  return out + "orders " + std::to_string(f["orders_sent"]) + " fills " +
         std::to_string(f["fills"]) + " risk rejects " + std::to_string(f["risk_rejects"]);
}

Report backtest(CaptureFile& file, Venue venue, const be::engine::EngineConfig& config,
                std::vector<std::string> bots) {
  Backtest bt(config, std::move(bots), true);
  auto stats = feed_capture(file, venue, config, [&](const Event& e) { bt.market(e); });
  EXPECT_TRUE(stats) << (stats ? "" : stats.error());
  return {bt.report_json(), bt.report_html(), bt.inputs(), bt.fold().hashes().combined,
          describe(bt)};
}

be::engine::EngineConfig parse_config(const std::string& json) {
  auto c = be::engine::parse_engine_config(json);
  EXPECT_TRUE(c) << (c ? "" : be::config::format_errors(c.error()));
  return c ? *c : be::engine::EngineConfig{};
}

TEST(CaptureReplay, shouldDefineEveryInstrumentAndReconcileBeforeMarketDataAtCaptureTime) {
  auto file = CaptureFile::from_text(generated_binance_capture(30), Venue::kBinance);
  const auto config = parse_config(
      R"({"instruments":[{"symbol":"BTCUSDT","base":"BTC","quote":"USDT"},)"
      R"({"symbol":"ETHUSDT","base":"ETH","quote":"USDT"}],"paper":{"balances":{"USDT":"1000"}}})");
  const Inputs run = collect(*file, Venue::kBinance, config);
  ASSERT_GE(run.inputs.size(), 4u);
  for (std::size_t i = 0; i < 2; ++i) {
    ASSERT_EQ(run.inputs[i].header.type, EventType::kInstrumentDefined) << i;
    EXPECT_EQ(be::index_of(run.inputs[i].as<be::InstrumentDefined>().instrument), i);
    EXPECT_EQ(run.inputs[i].header.event_time, kStart);  // the connect line's time
  }
  ASSERT_EQ(run.inputs[2].header.type, EventType::kTimer);
  EXPECT_EQ(run.inputs[2].as<be::Timer>().timer_id, be::engine::kReconcileTimer);
  ASSERT_EQ(run.inputs[3].header.type, EventType::kConnectivity);
  EXPECT_EQ(run.inputs[3].as<be::Connectivity>().state, be::ConnectivityState::kConnected);
  // Then 30 quotes and 30 trades, all for instrument 0, plus the clock ticks.
  std::size_t quotes = 0, trades = 0, ticks = 0;
  Nanos last_tick = kStart;
  for (std::size_t i = 4; i < run.inputs.size(); ++i) {
    const Event& e = run.inputs[i];
    if (e.header.type == EventType::kQuote) {
      ++quotes;
      EXPECT_EQ(be::index_of(e.as<be::Quote>().instrument), 0u);
    } else if (e.header.type == EventType::kTrade) {
      ++trades;
      EXPECT_EQ(be::index_of(e.as<be::Trade>().instrument), 0u);
    } else if (e.header.type == EventType::kTimer) {
      ++ticks;
      EXPECT_EQ(e.header.event_time, last_tick + config.tick_interval);
      last_tick = e.header.event_time;
    } else {
      ADD_FAILURE() << "unexpected input " << be::to_string(e.header.type);
    }
  }
  EXPECT_EQ(quotes, 30u);
  EXPECT_EQ(trades, 30u);
  // The last record is at kStart + 50 ms + 29 * 100 ms + 1 ms: ticks at +100 ms .. +2900 ms.
  EXPECT_EQ(ticks, 29u);
  EXPECT_EQ(run.stats.ticks, ticks);
  EXPECT_EQ(run.stats.connects, 1u);
  EXPECT_EQ(run.stats.feed.rejected(), 0u);
}

TEST(CaptureReplay, shouldGiveByteIdenticalReportsForTwoBacktestsOfTheSameCapture) {
  auto file = CaptureFile::from_text(generated_binance_capture(3000), Venue::kBinance);
  auto config = derive_config(*file, Venue::kBinance);
  ASSERT_TRUE(config) << config.error();
  ASSERT_EQ(config->instruments.size(), 1u);
  EXPECT_EQ(config->instruments[0].base, "BTC");
  EXPECT_EQ(config->instruments[0].quote, "USDT");
  const Report a = backtest(*file, Venue::kBinance, *config, {kMarketMaker});
  const Report b = backtest(*file, Venue::kBinance, *config, {kMarketMaker});
  EXPECT_EQ(a.json, b.json);
  EXPECT_EQ(a.html, b.html);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.inputs, b.inputs);
  // The bot traded: a report with no trades would compare equal trivially.
  EXPECT_NE(a.json.find("\"bot\":0"), std::string::npos) << a.json << "\n" << a.bots;
  EXPECT_EQ(a.json.find("\"trades\":0,"), std::string::npos) << a.json << "\n" << a.bots;
  // Event time comes from the capture: the report covers the capture's span.
  EXPECT_NE(a.json.find("\"from_ns\":\"" + std::to_string(kStart) + '"'), std::string::npos)
      << a.json;
  EXPECT_NE(a.json.find("\"from\":\"" + be::rfc3339_ns(kStart) + '"'), std::string::npos) << a.json;
}

TEST(CaptureReplay, shouldReportEveryBotWithItsRatiosChartsAndFillsInASelfContainedPage) {
  // A market maker that trades and an RSI bot whose thresholds it never reaches.
  const char* idle =
      R"({"name":"idle <rsi>","symbol":"BTCUSDT","strategy":{"type":"rsi","parameters":)"
      R"({"period":14,"oversold":1,"overbought":99,"quantity":0.001}}})";
  auto file = CaptureFile::from_text(generated_binance_capture(3000), Venue::kBinance);
  auto config = derive_config(*file, Venue::kBinance);
  ASSERT_TRUE(config) << config.error();
  const Report r = backtest(*file, Venue::kBinance, *config, {kMarketMaker, idle});
  // Both bots, the idle one with no trade, named and with undefined ratios.
  EXPECT_NE(r.json.find(R"({"bot":0,"name":"mm","symbol":"BTCUSDT","trades":)"), std::string::npos)
      << r.json;
  EXPECT_NE(r.json.find(R"({"bot":1,"name":"idle <rsi>","symbol":"BTCUSDT","trades":0,)"),
            std::string::npos)
      << r.json;
  EXPECT_NE(r.json.find(R"("profit_factor":null,"expectancy":"0.00000000","return":0.0000,)"
                        R"("sharpe":null,"sortino":null,"calmar":null})"),
            std::string::npos)
      << r.json;
  // 300 s of market: five minute periods, so the market maker's ratios are numbers.
  const std::size_t mm = r.json.find("\"sharpe\":");
  ASSERT_NE(mm, std::string::npos);
  EXPECT_NE(r.json.substr(mm, 12), "\"sharpe\":null") << r.json;
  for (const char* key : {"\"annualisation\":\"returns per 60 s", "\"capital\":\"10000\"",
                          "\"benchmark\":{\"symbol\":\"BTCUSDT\",\"return\":",
                          "\"monthly\":[{\"month\":\"2023-11\",\"pnl\":[", "\"fills\":[{\"time\":",
                          "\"max_drawdown_duration_s\":", "\"fills_not_listed\":0}"}) {
    EXPECT_NE(r.json.find(key), std::string::npos) << key << "\n" << r.json;
  }
  // The page: a chart with axes, UTC time labels and a legend per series; the bot's name
  // escaped; the JSON wrapped inside the page; nothing loaded from anywhere else.
  for (const char* part : {"<svg xmlns=\"http://www.w3.org/2000/svg\"",
                           "time (UTC), from 2023-11-14", ">22:13</text>", "bot 1 idle &lt;rsi&gt;",
                           "buy and hold BTCUSDT", "<table id=\"bots\">", "<table id=\"monthly\">",
                           "<table id=\"fills\">", "overflow-wrap:anywhere", "sqrt(525600)"}) {
    EXPECT_NE(r.html.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(r.html.find("idle <rsi>"), std::string::npos);
  for (const char* external : {"<script", "<link", " src=", "url(", "@import", "href="}) {
    EXPECT_EQ(r.html.find(external), std::string::npos) << external;
  }
  // The SVG namespace is the only address in the page.
  std::size_t addresses = 0;
  for (std::size_t at = r.html.find("http"); at != std::string::npos;
       at = r.html.find("http", at + 1)) {
    ++addresses;
    EXPECT_EQ(r.html.compare(at, 26, "http://www.w3.org/2000/svg"), 0) << r.html.substr(at, 60);
  }
  EXPECT_GE(addresses, 1u);
}

TEST(CaptureReplay, shouldRemapIdsToTheDeploymentAndRejectSymbolsItDoesNotDefine) {
  std::string text = generated_binance_capture(5);
  text += seconds_text(kStart + 900'000'000) +
          R"(: {"stream":"ethusdt@trade","data":{"e":"trade","E":1700000000900,"s":"ETHUSDT",)"
          R"("t":1,"p":"2000.00","q":"1","T":1700000000900,"m":true,"M":true}})"
          "\n";
  auto file = CaptureFile::from_text(text, Venue::kBinance);
  // BTCUSDT is the deployment's second instrument (the first is on another venue).
  const auto config =
      parse_config(R"({"venues":[{"name":"kraken"},{"name":"binance"}],"instruments":[)"
                   R"({"venue":"kraken","symbol":"XBT/USD","base":"XBT","quote":"USD"},)"
                   R"({"venue":"binance","symbol":"BTCUSDT","base":"BTC","quote":"USDT"}]})");
  const Inputs run = collect(*file, Venue::kBinance, config);
  std::size_t trades = 0;
  for (const Event& e : run.inputs) {
    if (e.header.type == EventType::kTrade) {
      ++trades;
      EXPECT_EQ(be::index_of(e.as<be::Trade>().instrument), 1u);
    }
    if (e.header.type == EventType::kConnectivity) {
      // The venue the deployment's InstrumentDefined names for binance.
      EXPECT_EQ(e.as<be::Connectivity>().venue, run.inputs[1].as<be::InstrumentDefined>().venue);
    }
  }
  EXPECT_EQ(trades, 5u);
  EXPECT_EQ(run.stats.feed.rejected(), 1u);
  EXPECT_EQ(
      run.stats.feed.by_reject[static_cast<std::size_t>(be::feed::RejectReason::kUnknownSymbol)],
      1u);
}

TEST(CaptureReplay, shouldRefuseADeploymentWithoutAnInstrumentOnTheCapturesVenue) {
  auto file = CaptureFile::from_text(generated_binance_capture(3), Venue::kBinance);
  const auto config =
      parse_config(R"({"venues":[{"name":"kraken"}],"instruments":[)"
                   R"({"venue":"kraken","symbol":"XBT/USD","base":"XBT","quote":"USD"}]})");
  auto stats = feed_capture(*file, Venue::kBinance, config, [](const Event&) {});
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().find("binance"), std::string::npos) << stats.error();
}

TEST(CaptureReplay, shouldCountMalformedFramesAndKeepReplayingTheRest) {
  std::string text = generated_binance_capture(10);
  text += "this is not a capture line\n";
  text += seconds_text(kStart + 2'000'000'000) + ": {\"stream\":\"btcusdt@trade\",\"data\":{\n";
  text += seconds_text(kStart + 2'000'000'000) + ": [1,2,3]\n";
  text += seconds_text(kStart + 2'000'000'000) + ": \n";
  text += seconds_text(kStart + 2'000'000'000) +
          R"(: {"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,)"
          R"("p":"not a price","q":"1","T":1,"m":true,"M":true}})"
          "\n";
  text += std::string(5000, 'x') + "\n";
  text += "-5: {}\n";
  // A record centuries later must not make the replay emit billions of ticks.
  text +=
      "4000000000.0: {\"stream\":\"btcusdt@bookTicker\",\"data\":{\"u\":999999,\"s\":\"BTCUSDT\","
      "\"b\":\"1.0\",\"B\":\"1\",\"a\":\"2.0\",\"A\":\"1\"}}\n";
  auto file = CaptureFile::from_text(text, Venue::kBinance);
  auto config = derive_config(*file, Venue::kBinance);
  ASSERT_TRUE(config) << config.error();
  Backtest bt(*config, {kMarketMaker}, true);
  auto stats = feed_capture(*file, Venue::kBinance, *config, [&](const Event& e) { bt.market(e); });
  ASSERT_TRUE(stats) << stats.error();
  std::string reasons;
  for (std::size_t r = 0; r < be::feed::kRejectReasonCount; ++r) {
    if (stats->feed.by_reject[r] != 0) {
      reasons += std::string(be::feed::to_string(static_cast<be::feed::RejectReason>(r))) + " ";
    }
  }
  // Truncated JSON, an array, an empty payload, a bad price.
  EXPECT_EQ(stats->feed.rejected(), 4u) << reasons;
  EXPECT_EQ(stats->bad_lines, 3u);  // no "<time>: " shape, 5000 x 'x', "-5"
  EXPECT_EQ(stats->time_jumps, 1u);
  EXPECT_LT(stats->ticks, 2 * be::replay::kMaxTicksPerJump);
  EXPECT_EQ(stats->market_events, 21u);  // 10 quotes, 10 trades, the late quote
  EXPECT_FALSE(bt.report_json().empty());
}

TEST(CaptureReplay, shouldSurviveCorruptedCapturesCountingWhatItCannotUse) {
  // Deterministic corruption of a valid capture: bytes overwritten with arbitrary values
  // (quotes, braces, digits, newlines, NULs) at a fixed pseudo-random sequence of offsets.
  const std::string clean = generated_binance_capture(300);
  const char alphabet[] = "\"{}[]:,.-0123456789e\n\0x";
  std::uint64_t state = 0x9E3779B97F4A7C15ULL;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (int round = 0; round < 20; ++round) {
    std::string text = clean;
    for (int k = 0; k < 200; ++k) {
      text[next() % text.size()] = alphabet[next() % (sizeof alphabet - 1)];
    }
    SCOPED_TRACE(round);
    auto file = CaptureFile::from_text(text, Venue::kBinance);
    auto config = derive_config(*file, Venue::kBinance);
    if (!config) continue;  // every symbol corrupted away: a clear error, not a crash
    Backtest bt(*config, {kMarketMaker}, true);
    auto stats =
        feed_capture(*file, Venue::kBinance, *config, [&](const Event& e) { bt.market(e); });
    ASSERT_TRUE(stats) << stats.error();
    EXPECT_GT(stats->market_events, 0u);
    EXPECT_GT(stats->feed.rejected() + stats->bad_lines + stats->untimed, 0u);
    EXPECT_FALSE(bt.report_json().empty());
  }
}

// Writes the generated capture as a binary capture (feed/record), as `botengine capture record`
// would: one frame per text record, a connect frame first.
std::string write_binary_capture(const std::string& text, const std::string& path) {
  be::capture::CaptureWriterOptions options;
  options.venue = "binance";
  auto writer = be::capture::CaptureWriter::create(path, options, kStart);
  if (!writer) return writer.error();
  auto file = CaptureFile::from_text(text, Venue::kBinance);
  be::replay::CaptureItem item;
  while (file->next(item)) {
    const auto& r = item.record;
    const bool ok =
        r.kind == be::feed::CaptureLineKind::kConnect
            ? (*writer)->append(be::capture::FrameKind::kConnected, 0, r.receive_time, r.url)
            : (*writer)->append(be::capture::FrameKind::kReceived, 0, r.receive_time, r.payload);
    if (!ok) return (*writer)->error();
  }
  if (!(*writer)->close()) return (*writer)->error();
  return {};
}

TEST(CaptureReplay, shouldReplayABinaryCaptureLikeItsTextTwinAndReportATornTail) {
  const std::string text = generated_binance_capture(2000);
  const std::string path =
      ::testing::TempDir() + "capture_replay_" + std::to_string(::getpid()) + ".becap";
  ASSERT_EQ(write_binary_capture(text, path), "");
  {
    std::ofstream torn(path, std::ios::binary | std::ios::app);
    torn << "\x40\x00\x00\x00garbage";  // a frame header promising more than is there
  }
  auto binary = CaptureFile::open(path);
  ASSERT_TRUE(binary) << binary.error();
  EXPECT_EQ((*binary)->venue(), Venue::kBinance);
  auto twin = CaptureFile::from_text(text, Venue::kBinance);
  auto config = derive_config(**binary, Venue::kBinance);
  ASSERT_TRUE(config) << config.error();
  const Report from_binary = backtest(**binary, Venue::kBinance, *config, {kMarketMaker});
  const Report from_text = backtest(*twin, Venue::kBinance, *config, {kMarketMaker});
  EXPECT_EQ(from_binary.json, from_text.json);
  EXPECT_EQ(from_binary.hash, from_text.hash);
  const Inputs run = collect(**binary, Venue::kBinance, *config);
  EXPECT_NE(run.stats.tail.find("bytes ignored"), std::string::npos) << run.stats.tail;
  std::remove(path.c_str());
}

TEST(CaptureReplay, shouldBacktestRealCapturesOfEveryVenueDeterministically) {
  const std::string dir = shared_data();
  if (dir.empty()) GTEST_SKIP() << "BE_SHARED_DATA not set or not found: real captures absent";
  for (const char* name : {"BINANCE.ws.1.0", "BINANCE_US.ws.1.0", "COINBASE.ws.28.0",
                           "KRAKEN.ws.50.0", "BINANCE.http.0.0"}) {
    SCOPED_TRACE(name);
    auto file = CaptureFile::open(dir + "/captures/" + name);
    ASSERT_TRUE(file) << file.error();
    const Venue venue = (*file)->venue();
    ASSERT_NE(venue, Venue::kUnknown);
    auto config = derive_config(**file, venue);
    ASSERT_TRUE(config) << config.error();
    ASSERT_FALSE(config->instruments.empty());
    // A market maker on the first symbol seen, sized for whatever its price is.
    const std::string bot =
        R"({"name":"mm","symbol":")" + config->instruments[0].symbol +
        R"(","strategy":{"type":"market_maker","parameters":{"spread_bps":10,)"
        R"("skew_bps":5,"requote_bps":2,"order_size":0.001,"inventory_cap":0.01}}})";
    const Report a = backtest(**file, venue, *config, {bot});
    const Report b = backtest(**file, venue, *config, {bot});
    EXPECT_EQ(a.json, b.json);
    EXPECT_EQ(a.html, b.html);
    EXPECT_EQ(a.hash, b.hash);
    const Inputs run = collect(**file, venue, *config);
    EXPECT_GT(run.stats.market_events, 0u);
    // Every message is accounted for: parsed or rejected by a named reason.
    EXPECT_EQ(run.stats.feed.accepted() + run.stats.feed.rejected() + run.stats.not_parsed +
                  run.stats.connects + run.stats.untimed,
              run.stats.records);
  }
}

}  // namespace
