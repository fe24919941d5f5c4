#include "strategies/indicators/indicator.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace be::ta {
namespace {

constexpr std::string_view kValueOutput[] = {"value"};
constexpr std::string_view kMacdOutputs[] = {"macd", "signal", "hist"};
constexpr std::string_view kBandOutputs[] = {"upper", "middle", "lower"};
constexpr std::string_view kStochOutputs[] = {"k", "d"};

// The indicators with more than one output; every other one has kValueOutput.
struct Outputs {
  IndicatorKind kind;
  std::span<const std::string_view> labels;
};
constexpr Outputs kMultipleOutputs[] = {{IndicatorKind::kMacd, kMacdOutputs},
                                        {IndicatorKind::kBollinger, kBandOutputs},
                                        {IndicatorKind::kStoch, kStochOutputs}};

struct Shape {
  std::string_view name;
  IndicatorKind kind;
  int min_params;  // required
  int max_params;  // also how many the canonical spelling and column names show
  std::array<double, 3> defaults;
  std::array<int, 3> min_value;   // integer lower bound of each period (unused for devs)
  std::array<bool, 3> is_period;  // false: a real-valued deviation multiplier
};

// TA-Lib's parameter ranges (min period 2 for averages, 1 for ROC/MOM/ATR/stoch parts).
constexpr std::array kShapes = {
    Shape{"sma", IndicatorKind::kSma, 1, 1, {0, 0, 0}, {2, 0, 0}, {true, false, false}},
    Shape{"ema", IndicatorKind::kEma, 1, 1, {0, 0, 0}, {2, 0, 0}, {true, false, false}},
    Shape{"rsi", IndicatorKind::kRsi, 1, 1, {0, 0, 0}, {2, 0, 0}, {true, false, false}},
    Shape{"macd", IndicatorKind::kMacd, 0, 3, {12, 26, 9}, {2, 2, 1}, {true, true, true}},
    Shape{"bbands", IndicatorKind::kBollinger, 1, 3, {0, 2, 2}, {2, 0, 0}, {true, false, false}},
    Shape{"atr", IndicatorKind::kAtr, 1, 1, {0, 0, 0}, {1, 0, 0}, {true, false, false}},
    Shape{"roc", IndicatorKind::kRoc, 1, 1, {0, 0, 0}, {1, 0, 0}, {true, false, false}},
    Shape{"mom", IndicatorKind::kMomentum, 1, 1, {0, 0, 0}, {1, 0, 0}, {true, false, false}},
    Shape{"vsma", IndicatorKind::kVolumeSma, 1, 1, {0, 0, 0}, {2, 0, 0}, {true, false, false}},
    Shape{"stoch", IndicatorKind::kStoch, 0, 3, {5, 3, 3}, {1, 1, 1}, {true, true, true}},
    Shape{"vwap", IndicatorKind::kVwap, 1, 1, {0, 0, 0}, {0, 0, 0}, {true, false, false}},
};

const Shape* find_shape(std::string_view name) {
  for (const Shape& s : kShapes) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const Shape& shape_of(IndicatorKind kind) noexcept {
  for (const Shape& s : kShapes) {
    if (s.kind == kind) return s;
  }
  return kShapes[0];  // unreachable: every kind has a shape
}

std::string format_param(double v) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%g", v);
  return std::string(buf, static_cast<std::size_t>(n));
}

std::string known_names() {
  std::string out;
  for (const Shape& s : kShapes) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

}  // namespace

Expected<IndicatorSpec, SpecError> parse_indicator_spec(std::string_view text) {
  const std::string quoted = "indicator '" + std::string(text) + "': ";
  std::array<std::string_view, 5> parts{};
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t colon = text.find(':', start);
    if (count == parts.size()) return Unexpected{SpecError{quoted + "too many ':' parts"}};
    parts[count++] = text.substr(start, colon == std::string_view::npos ? colon : colon - start);
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  const Shape* shape = find_shape(parts[0]);
  if (shape == nullptr) {
    return Unexpected{SpecError{quoted + "unknown indicator '" + std::string(parts[0]) +
                                "' (known: " + known_names() + ")"}};
  }
  const int given = static_cast<int>(count) - 1;
  if (given < shape->min_params || given > shape->max_params) {
    return Unexpected{SpecError{
        quoted + std::string(shape->name) + " takes " + std::to_string(shape->min_params) +
        (shape->max_params != shape->min_params ? ".." + std::to_string(shape->max_params)
                                                : std::string()) +
        " parameter(s), got " + std::to_string(given)}};
  }
  if (shape->min_params == 0 && given != 0 && given != shape->max_params) {
    // macd and stoch: all parameters or none; a partial list is ambiguous.
    return Unexpected{SpecError{quoted + std::string(shape->name) + " takes 0 or " +
                                std::to_string(shape->max_params) + " parameters, got " +
                                std::to_string(given)}};
  }
  IndicatorSpec spec;
  spec.kind = shape->kind;
  spec.params = shape->defaults;
  spec.text = std::string(text);
  for (int p = 0; p < given; ++p) {
    const std::string_view raw = parts[static_cast<std::size_t>(p) + 1];
    const std::string label = "parameter " + std::to_string(p + 1) + " '" + std::string(raw) + "'";
    if (shape->is_period[static_cast<std::size_t>(p)]) {
      int v = 0;
      const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
      const int lo = shape->min_value[static_cast<std::size_t>(p)];
      if (ec != std::errc() || end != raw.data() + raw.size() || v < lo || v > kMaxPeriod) {
        return Unexpected{SpecError{quoted + label + " is not an integer in " + std::to_string(lo) +
                                    ".." + std::to_string(kMaxPeriod)}};
      }
      spec.params[static_cast<std::size_t>(p)] = v;
    } else {
      double v = 0;
      const auto [end, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
      if (ec != std::errc() || end != raw.data() + raw.size() || !std::isfinite(v) || v < 0 ||
          v > 100) {
        return Unexpected{SpecError{quoted + label + " is not a number in 0..100"}};
      }
      spec.params[static_cast<std::size_t>(p)] = v;
    }
  }
  if (spec.kind == IndicatorKind::kBollinger && given == 2) spec.params[2] = spec.params[1];
  return spec;
}

std::string_view indicator_name(IndicatorKind kind) noexcept {
  return shape_of(kind).name;
}

int parameter_count(IndicatorKind kind) noexcept {
  return shape_of(kind).max_params;
}

std::span<const std::string_view> output_labels(IndicatorKind kind) noexcept {
  for (const Outputs& o : kMultipleOutputs) {
    if (o.kind == kind) return o.labels;
  }
  return kValueOutput;
}

std::vector<std::string> output_names(const IndicatorSpec& spec) {
  const Shape& shape = shape_of(spec.kind);
  std::string base(shape.name);
  for (int p = 0; p < shape.max_params; ++p) {
    base.push_back('_');  // append piecewise: GCC 12's -Wrestrict misfires on "_" + string
    base.append(format_param(spec.params[static_cast<std::size_t>(p)]));
  }
  const auto labels = output_labels(spec.kind);
  if (labels.size() == 1) return {base};
  std::vector<std::string> names;
  for (std::string_view label : labels) {
    names.push_back(base);
    names.back().push_back('_');
    names.back().append(label);
  }
  return names;
}

AnyIndicator::Impl AnyIndicator::make(const IndicatorSpec& spec) {
  const auto p = [&](std::size_t i) { return static_cast<int>(spec.params[i]); };
  // Every alternative is built from the spec's parameters by its arity: one period, three
  // periods, or Bollinger's period and two deviations.
  const auto build = [&]<class T>(std::type_identity<T>) -> Impl {
    if constexpr (std::is_same_v<T, Bollinger>) {
      return Bollinger(p(0), spec.params[1], spec.params[2]);
    } else if constexpr (std::is_constructible_v<T, int>) {
      return T(p(0));
    } else {
      return T(p(0), p(1), p(2));
    }
  };
  // The alternative whose kKind the spec names; the parser only produces those kinds.
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    std::optional<Impl> impl;
    // The fold stops at the first match; its value (whether one matched) is read from impl.
    static_cast<void>(
        ((std::variant_alternative_t<I, Impl>::kKind == spec.kind
              ? (impl.emplace(build(std::type_identity<std::variant_alternative_t<I, Impl>>{})),
                 true)
              : false) ||
         ...));
    return impl ? std::move(*impl) : Impl(Sma(p(0)));
  }
  (std::make_index_sequence<std::variant_size_v<Impl>>{});
}

AnyIndicator::AnyIndicator(const IndicatorSpec& spec)
    : impl_(make(spec)), output_count_(output_names(spec).size()) {}

double AnyIndicator::output(std::size_t i) const noexcept {
  if (const auto* m = std::get_if<Macd>(&impl_)) {
    return i == 0 ? m->macd() : i == 1 ? m->signal() : m->hist();
  }
  if (const auto* b = std::get_if<Bollinger>(&impl_)) {
    return i == 0 ? b->upper() : i == 1 ? b->middle() : b->lower();
  }
  if (const auto* s = std::get_if<Stoch>(&impl_)) return i == 0 ? s->k() : s->d();
  return std::visit([](const auto& ind) { return ind.value(); }, impl_);
}

void save_states(const std::vector<AnyIndicator>& indicators, state_io::Writer& w) {
  w.put(static_cast<std::uint32_t>(indicators.size()));
  std::vector<std::byte> bytes;
  for (const AnyIndicator& indicator : indicators) {
    bytes.resize(indicator.state_size());
    indicator.save(bytes);
    w.put_bytes(bytes);
  }
}

bool load_states(std::vector<AnyIndicator>& indicators, state_io::Reader& r) {
  const auto count = r.get<std::uint32_t>();
  if (r.failed() || count != indicators.size()) return false;
  for (AnyIndicator& indicator : indicators) {
    const auto bytes = r.get_bytes();
    if (r.failed() || indicator.restore(bytes) != StateError::kNone) return false;
  }
  return true;
}

}  // namespace be::ta
