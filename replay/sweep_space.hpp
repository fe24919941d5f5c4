// The parameter space of a sweep (`botengine sweep`, docs/RESEARCH.md "Parameter sweeps"):
// a base bot config of any type (script bots included: their parameters are config fields
// like any other) and axes, each a dotted path into the config with the values it takes.
//
//   {"bot": {...} | "examples/bots/rsi.json",
//    "parameters": {"strategy.parameters.period": [7, 14, 21],
//                   "strategy.parameters.oversold": {"from": 20, "to": 40, "step": 5},
//                   "timeframe": ["5m", "15m"]},
//    "search": "grid" | "random", "samples": 100, "seed": 1}
//
// A list takes its values as written (numbers, strings, booleans, objects); a range
// {"from", "to", "step"} takes from, from + step, ... up to to (inclusive), integers when
// all three are integers. "grid" runs the cartesian product (the first axis varies slowest);
// "random" draws `samples` configurations, each axis independently, from the project's
// seeded generator (core/seeded_rng.hpp): a list uniformly, a range uniformly over its steps
// (or continuously without a step). The same spec and seed give the same configurations in
// the same order, on every run.
//
// Thread-safety: values and pure functions. Allocates (tool code).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/json_config.hpp"

namespace be::replay {

// A grid larger than this is refused (a typo in a step must not ask for a billion runs).
inline constexpr std::size_t kMaxSweepConfigurations = 1'000'000;

struct SweepAxis {
  std::string path;                   // "strategy.parameters.period"
  std::vector<config::Value> values;  // a list, or a range with a step, expanded
  // A range without a step (random search only): drawn continuously in [from, to].
  std::optional<std::pair<double, double>> continuous;
};

enum class SweepSearch : std::uint8_t { kGrid = 0, kRandom = 1 };

struct SweepSpec {
  config::Value base;  // the bot config every configuration starts from
  std::vector<SweepAxis> axes;
  SweepSearch search = SweepSearch::kGrid;
  std::size_t samples = 100;  // random search
  std::uint64_t seed = 1;     // random search
};

// One configuration: its parameter values (in axis order, as JSON text) and the bot config.
struct SweepConfiguration {
  std::vector<std::string> values;
  std::string bot_json;
};

// Parses a spec; `source` names it in errors and `base_dir` resolves a "bot" given as a path
// (relative paths are tried as given first, then under base_dir). Errors name the field.
Expected<SweepSpec, std::string> parse_sweep_spec(std::string_view text, std::string_view source,
                                                  const std::string& base_dir = "");

// Every configuration the spec asks for, in a fixed order. Errors: a path that runs into a
// value that is not an object, a grid past kMaxSweepConfigurations.
Expected<std::vector<SweepConfiguration>, std::string> expand(const SweepSpec& spec);

// `root` with the value at the dotted `path` replaced (objects created as needed). False when
// the path runs through something that is not an object.
bool set_path(config::Value& root, std::string_view path, const config::Value& value);

}  // namespace be::replay
