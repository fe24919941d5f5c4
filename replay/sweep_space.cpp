#include "replay/sweep_space.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/seeded_rng.hpp"
#include "replay/backtest.hpp"

namespace be::replay {

namespace {

config::Value number_value(std::string text) {
  config::Value v;
  v.kind = config::Value::Kind::kNumber;
  v.text = std::move(text);
  return v;
}

// A number as JSON text: integers without a point, others with the shortest exact-enough form.
std::string number_text(double x, bool integer) {
  char b[40];
  if (integer) {
    std::snprintf(b, sizeof b, "%lld", static_cast<long long>(std::llround(x)));
  } else {
    std::snprintf(b, sizeof b, "%.10g", x);
  }
  return b;
}

bool is_integer_text(const std::string& text) {
  return !text.empty() && text.find_first_of(".eE") == std::string::npos;
}

// A range's values: from, from + step, ... <= to (a tolerance of a millionth of a step keeps
// 0.1 + 0.1 + 0.1 from falling short of 0.3).
Expected<std::vector<config::Value>, std::string> range_values(const config::Value& range,
                                                               const std::string& field) {
  auto number = [&](std::string_view key) -> std::optional<double> {
    const config::Value* v = range.find(key);
    if (v == nullptr || v->kind != config::Value::Kind::kNumber) return std::nullopt;
    return std::strtod(v->text.c_str(), nullptr);
  };
  const auto from = number("from"), to = number("to"), step = number("step");
  if (!from || !to || !step) {
    return Unexpected(field + ": a range needs numbers \"from\", \"to\" and \"step\"");
  }
  if (!(*step > 0) || *to < *from) {
    return Unexpected(field + ": a range needs step > 0 and to >= from");
  }
  const double count = std::floor((*to - *from) / *step + 1e-6) + 1;
  if (count > static_cast<double>(kMaxSweepConfigurations)) {
    return Unexpected(field + ": the range has more than " +
                      std::to_string(kMaxSweepConfigurations) + " values");
  }
  const bool integer = is_integer_text(range.find("from")->text) &&
                       is_integer_text(range.find("to")->text) &&
                       is_integer_text(range.find("step")->text);
  std::vector<config::Value> out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(count); ++i) {
    out.push_back(number_value(number_text(*from + static_cast<double>(i) * *step, integer)));
  }
  return out;
}

Expected<config::Value, std::string> load_base(const config::Value& bot, std::string_view source,
                                               const std::string& base_dir) {
  if (bot.kind == config::Value::Kind::kObject) return bot;
  if (bot.kind != config::Value::Kind::kString) {
    return Unexpected(std::string(source) + ": bot: expected a bot config or a file name");
  }
  std::string path = bot.text;
  if (!std::filesystem::exists(path) && !base_dir.empty()) path = base_dir + "/" + bot.text;
  auto configs = load_bot_configs(path);
  if (!configs) return Unexpected(std::string(source) + ": bot: " + configs.error());
  if (configs->size() != 1) {
    return Unexpected(std::string(source) + ": bot: " + path + " holds " +
                      std::to_string(configs->size()) + " configs; a sweep varies one");
  }
  auto doc = config::parse(configs->front());
  if (!doc) return Unexpected(std::string(source) + ": bot: " + doc.error());
  return std::move(*doc);
}

}  // namespace

bool set_path(config::Value& root, std::string_view path, const config::Value& value) {
  config::Value* at = &root;
  while (true) {
    if (at->kind != config::Value::Kind::kObject) return false;
    const std::size_t dot = path.find('.');
    const std::string key(path.substr(0, dot));
    config::Value* child = nullptr;
    for (std::size_t i = 0; i < at->keys.size(); ++i) {
      if (at->keys[i] == key) child = &at->values[i];
    }
    if (child == nullptr) {
      at->keys.push_back(key);
      at->values.push_back(dot == std::string_view::npos ? value : config::Value::empty_object());
      child = &at->values.back();
    }
    if (dot == std::string_view::npos) {
      *child = value;
      return true;
    }
    at = child;
    path.remove_prefix(dot + 1);
  }
}

Expected<SweepSpec, std::string> parse_sweep_spec(std::string_view text, std::string_view source,
                                                  const std::string& base_dir) {
  const std::string where(source);
  auto doc = config::parse(text);
  if (!doc) return Unexpected(where + ": " + doc.error());
  if (doc->kind != config::Value::Kind::kObject) {
    return Unexpected(where + ": expected a sweep spec (a JSON object)");
  }
  SweepSpec spec;
  for (std::size_t i = 0; i < doc->keys.size(); ++i) {
    const std::string& key = doc->keys[i];
    if (key != "bot" && key != "parameters" && key != "search" && key != "samples" &&
        key != "seed") {
      return Unexpected(where + ": " + key +
                        ": unknown field (bot, parameters, search, samples, seed)");
    }
  }
  const config::Value* bot = doc->find("bot");
  if (bot == nullptr) return Unexpected(where + ": bot: required (a bot config or its file)");
  auto base = load_base(*bot, source, base_dir);
  if (!base) return Unexpected(base.error());
  spec.base = std::move(*base);

  const config::Value* parameters = doc->find("parameters");
  if (parameters == nullptr || parameters->kind != config::Value::Kind::kObject ||
      parameters->keys.empty()) {
    return Unexpected(where + ": parameters: expected an object of paths to values");
  }
  for (std::size_t i = 0; i < parameters->keys.size(); ++i) {
    SweepAxis axis;
    axis.path = parameters->keys[i];
    const std::string field = where + ": parameters." + axis.path;
    const config::Value& v = parameters->values[i];
    if (axis.path.empty() || axis.path.front() == '.' || axis.path.back() == '.' ||
        axis.path.find("..") != std::string::npos) {
      return Unexpected(field + ": not a dotted path into the bot config");
    }
    if (v.kind == config::Value::Kind::kArray) {
      if (v.items.empty()) return Unexpected(field + ": an empty list");
      axis.values = v.items;
    } else if (v.kind == config::Value::Kind::kObject && v.find("from") && v.find("to") &&
               !v.find("step")) {
      const config::Value* from = v.find("from");
      const config::Value* to = v.find("to");
      if (from->kind != config::Value::Kind::kNumber || to->kind != config::Value::Kind::kNumber) {
        return Unexpected(field + ": a range needs numbers \"from\" and \"to\"");
      }
      const double lo = std::strtod(from->text.c_str(), nullptr);
      const double hi = std::strtod(to->text.c_str(), nullptr);
      if (hi < lo) return Unexpected(field + ": a range needs to >= from");
      axis.continuous = std::pair{lo, hi};
    } else if (v.kind == config::Value::Kind::kObject) {
      auto values = range_values(v, field);
      if (!values) return Unexpected(values.error());
      axis.values = std::move(*values);
    } else {
      return Unexpected(field + ": expected a list of values or a range {from, to, step}");
    }
    spec.axes.push_back(std::move(axis));
  }

  if (const config::Value* search = doc->find("search")) {
    if (search->kind == config::Value::Kind::kString && search->text == "grid") {
      spec.search = SweepSearch::kGrid;
    } else if (search->kind == config::Value::Kind::kString && search->text == "random") {
      spec.search = SweepSearch::kRandom;
    } else {
      return Unexpected(where + ": search: expected \"grid\" or \"random\"");
    }
  }
  auto count = [&](std::string_view key, std::uint64_t& out, std::uint64_t min) -> bool {
    const config::Value* v = doc->find(key);
    if (v == nullptr) return true;
    if (v->kind != config::Value::Kind::kNumber || !is_integer_text(v->text) ||
        v->text.front() == '-')
      return false;
    out = std::strtoull(v->text.c_str(), nullptr, 10);
    return out >= min;
  };
  std::uint64_t samples = spec.samples;
  if (!count("samples", samples, 1) || samples > kMaxSweepConfigurations) {
    return Unexpected(where + ": samples: expected a whole number from 1 to " +
                      std::to_string(kMaxSweepConfigurations));
  }
  spec.samples = static_cast<std::size_t>(samples);
  if (!count("seed", spec.seed, 0)) return Unexpected(where + ": seed: expected a whole number");
  for (const SweepAxis& axis : spec.axes) {
    if (axis.continuous && spec.search == SweepSearch::kGrid) {
      return Unexpected(where + ": parameters." + axis.path +
                        ": a range without a step can only be drawn from (search \"random\")");
    }
  }
  return spec;
}

Expected<std::vector<SweepConfiguration>, std::string> expand(const SweepSpec& spec) {
  std::size_t total = 1;
  if (spec.search == SweepSearch::kGrid) {
    for (const SweepAxis& axis : spec.axes) {
      if (axis.values.size() > kMaxSweepConfigurations / total) {
        return Unexpected("the grid has more than " + std::to_string(kMaxSweepConfigurations) +
                          " configurations");
      }
      total *= axis.values.size();
    }
  } else {
    total = spec.samples;
  }
  std::vector<SweepConfiguration> out;
  out.reserve(total);
  SeededRng rng(spec.seed);
  std::vector<std::size_t> digits(spec.axes.size(), 0);
  for (std::size_t n = 0; n < total; ++n) {
    config::Value bot = spec.base;
    SweepConfiguration c;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
      const SweepAxis& axis = spec.axes[a];
      config::Value value;
      if (spec.search == SweepSearch::kGrid) {
        value = axis.values[digits[a]];
      } else if (axis.continuous) {
        const auto [lo, hi] = *axis.continuous;
        value = number_value(number_text(lo + rng.uniform() * (hi - lo), false));
      } else {
        value = axis.values[rng.below(axis.values.size())];
      }
      if (!set_path(bot, axis.path, value)) {
        return Unexpected("parameters." + axis.path + ": runs into a value that is not an object");
      }
      c.values.push_back(config::to_json(value));
    }
    // The grid's next point: the last axis varies fastest.
    for (std::size_t a = spec.axes.size(); a-- > 0;) {
      if (++digits[a] < spec.axes[a].values.size()) break;
      digits[a] = 0;
    }
    // Each configuration is told apart by name in the reports ("btc rsi 15m #12").
    std::string name;
    if (const config::Value* v = bot.find("name"); v && v->kind == config::Value::Kind::kString)
      name = v->text;
    config::Value name_value;
    name_value.kind = config::Value::Kind::kString;
    name_value.text = (name.empty() ? std::string("config") : name) + " #" + std::to_string(n);
    set_path(bot, "name", name_value);
    c.bot_json = config::to_json(bot);
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace be::replay
