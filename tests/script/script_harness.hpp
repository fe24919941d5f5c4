// What the script tests share: a script bot built from its source through the registry (the
// path a config takes), and a run over bars in the bot tests' simple market.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

#include "strategies/bots/registry.hpp"
#include "strategies/script/script_bot.hpp"
#include "tests/bots/bot_test_data.hpp"
#include "tests/bots/sim_context.hpp"

namespace be::script::test {

using bots::test::btcusdt;
using bots::test::closed;
using bots::test::SimContext;
using bots::test::Submitted;

inline bots::InstrumentResolver resolver() {
  static const bots::InstrumentInfo info = btcusdt();
  return [](std::string_view, std::string_view symbol) -> const bots::InstrumentInfo* {
    return symbol == "BTCUSDT" ? &info : nullptr;
  };
}

// The bot config carrying `source`; `extra` is more of "parameters" (e.g. "inputs").
inline std::string script_config(std::string_view source, std::string_view extra = {}) {
  std::string json = R"({"name":"s","symbol":"BTCUSDT","seed":7,"strategy":{"type":"script",)"
                     R"("parameters":{"source":)";
  config::append_json_string(json, source);
  if (!extra.empty()) {
    json.push_back(',');
    json.append(extra);
  }
  json.append("}}}");
  return json;
}

inline Expected<bots::CreatedBot, bots::ConfigErrors> build(std::string_view source,
                                                            std::string_view extra = {}) {
  return bots::BotRegistry::builtin().create(script_config(source, extra), BotId{1}, resolver());
}

inline std::unique_ptr<bots::Bot> make(std::string_view source, std::string_view extra = {}) {
  auto created = build(source, extra);
  EXPECT_TRUE(created.has_value()) << (created ? "" : config::format_errors(created.error()));
  return created.has_value() ? std::move(created->bot) : nullptr;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A synthetic minute series (a slow wave with noise from a fixed generator): RSI crosses
// both ways often, with no data files needed.
inline std::vector<Bar> wave_bars(std::size_t n) {
  std::vector<Bar> bars(n);
  bots::SeededRng rng(42);
  std::int64_t price = 50'000 * bots::test::kUnit;
  for (std::size_t i = 0; i < n; ++i) {
    const auto step = static_cast<std::int64_t>(rng.next() % 200'000'000'000ULL) - 100'000'000'000;
    price += step + ((i / 40) % 2 == 0 ? 30'000'000'000 : -30'000'000'000);
    Bar& b = bars[i];
    b.open_time = static_cast<Nanos>(i) * 60'000'000'000LL;
    b.open = b.close = price;
    b.high = price + 50'000'000'000;
    b.low = price - 50'000'000'000;
    b.volume = bots::test::kUnit;
    b = closed(b);
  }
  return bars;
}

}  // namespace be::script::test
