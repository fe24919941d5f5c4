// libFuzzer target: `botengine sweep`'s spec reader (replay/sweep_space.hpp). Any bytes must be
// refused with a named error or give a spec whose expansion is refused with a reason or yields
// configurations that are themselves JSON; never a crash. Grids past 10,000 configurations are
// not expanded here (that is memory, not parsing).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/json_config.hpp"
#include "replay/sweep_space.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  // A "bot" given as a file name would have the fuzzer read files: only inline configs here.
  if (auto doc = be::config::parse(text); doc.has_value()) {
    const be::config::Value* bot = doc->find("bot");
    if (bot != nullptr && bot->kind == be::config::Value::Kind::kString) return 0;
  }
  auto spec = be::replay::parse_sweep_spec(text, "fuzz");
  if (!spec.has_value()) {
    if (spec.error().empty()) __builtin_trap();  // a refusal must say why
    return 0;
  }
  std::size_t total = 1;
  for (const be::replay::SweepAxis& axis : spec->axes) {
    total *= axis.values.empty() ? 1 : axis.values.size();
    if (total > 10'000) return 0;
  }
  if (spec->search == be::replay::SweepSearch::kRandom && spec->samples > 10'000) return 0;
  auto configurations = be::replay::expand(*spec);
  if (!configurations.has_value()) {
    if (configurations.error().empty()) __builtin_trap();
    return 0;
  }
  for (const be::replay::SweepConfiguration& c : *configurations) {
    if (!be::config::parse(c.bot_json).has_value()) __builtin_trap();
    if (c.values.size() != spec->axes.size()) __builtin_trap();
  }
  return 0;
}
