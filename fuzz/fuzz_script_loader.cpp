// libFuzzer target: random text as a script strategy's source, through the registry as a
// config carries it (strategies/script/). The loader must refuse bad text with a named error
// (a 422) and never crash; a script it accepts must survive its callbacks (which may fail the
// bot, never the process) and a snapshot and restore into a fresh bot built from the same text.
// Limits are small so an endless script costs little. Seeds: fuzz/seeds/script_loader/.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_config.hpp"
#include "strategies/bots/registry.hpp"

namespace {

class Context final : public be::bots::BotContext {
 public:
  be::Nanos now() const noexcept override { return 60'000'000'000; }
  void submit(const be::OrderIntent&) noexcept override {}
  void cancel(be::InstrumentId, std::uint32_t) noexcept override {}
  void set_timer(std::uint32_t, be::Nanos) noexcept override {}
  const be::bots::InstrumentInfo* instrument(be::InstrumentId) const noexcept override {
    return &info;
  }
  std::int64_t position(be::InstrumentId) const noexcept override { return 0; }
  bool tradable(be::InstrumentId) const noexcept override { return true; }
  std::int64_t available_quote(be::InstrumentId) const noexcept override { return 1'000'000; }
  be::bots::InstrumentInfo info;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Context ctx;
  std::string json = R"({"name":"f","symbol":"BTCUSDT","strategy":{"type":"script",)"
                     R"("parameters":{"instruction_budget":20000,"memory_kib":256,"source":)";
  be::config::append_json_string(json, std::string_view(reinterpret_cast<const char*>(data), size));
  json += "}}}";
  const auto resolve = [](std::string_view, std::string_view) { return &ctx.info; };
  auto created = be::bots::BotRegistry::builtin().create(json, be::BotId{1}, resolve);
  if (!created.has_value()) {
    if (created.error().empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  be::bots::Bot& bot = *created->bot;
  bot.start(ctx);
  be::Bar bar;
  bar.open = bar.high = bar.low = bar.close = 5'000'000'000'000;
  bar.interval_seconds = 60;
  bar.closed = 1;
  bot.on_bar(bar, ctx);
  bot.on_trade(be::Trade{}, ctx);
  bot.timer(1, ctx);
  std::vector<std::byte> snapshot;
  bot.save(snapshot);
  auto again = be::bots::BotRegistry::builtin().create(json, be::BotId{1}, resolve);
  if (!again.has_value() || !again->bot->load(snapshot)) __builtin_trap();
  if (again->bot->state_hash() != bot.state_hash()) __builtin_trap();
  return 0;
}
