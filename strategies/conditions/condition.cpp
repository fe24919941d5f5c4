#include "strategies/conditions/condition.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "core/names.hpp"
#include "core/state_io.hpp"
#include "strategies/schedule/time_text.hpp"

namespace be::cond {
namespace {

// The bar prices an operand may name; the config reader takes the same words back.
constexpr std::array<Named<OperandKind>, 4> kPriceNames = {{
    {OperandKind::kClose, "close"},
    {OperandKind::kOpen, "open"},
    {OperandKind::kHigh, "high"},
    {OperandKind::kLow, "low"},
}};

constexpr std::array<Named<Op>, 4> kOperatorNames = {{
    {Op::kAbove, "above"},
    {Op::kBelow, "below"},
    {Op::kCrossesAbove, "crosses_above"},
    {Op::kCrossesBelow, "crosses_below"},
}};

std::string operand_text(const Operand& o) {
  switch (o.kind) {
    case OperandKind::kConstant:
      return canonical_number(o.constant);
    case OperandKind::kIndicator: {
      std::string out = o.spec.text;
      out.push_back('.');
      const auto labels = ta::output_labels(o.spec.kind);
      out.append(o.output < labels.size() ? labels[o.output] : std::string_view("?"));
      return out;
    }
    default:
      return std::string(name_of(kPriceNames, o.kind, ""));
  }
}

}  // namespace

std::string_view to_string(Op op) noexcept {
  return name_of(kOperatorNames, op, "?");
}

std::string canonical_number(double v) {
  if (v == 0) v = 0;  // -0 and 0 are one threshold
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::string("nan");
}

std::string canonical_spec(const ta::IndicatorSpec& spec) {
  std::array<double, 3> p = spec.params;
  // TA-Lib (and ta::Macd) swap fast and slow when given the wrong way round.
  if (spec.kind == ta::IndicatorKind::kMacd && p[1] < p[0]) std::swap(p[0], p[1]);
  std::string out(ta::indicator_name(spec.kind));
  for (int i = 0; i < ta::parameter_count(spec.kind); ++i) {
    out.push_back(':');
    out += canonical_number(p[static_cast<std::size_t>(i)]);
  }
  return out;
}

Expected<Operand, std::string> indicator_operand(std::string_view spec, std::string_view output) {
  auto parsed = ta::parse_indicator_spec(spec);
  if (!parsed) return Unexpected{parsed.error().message};
  // Re-parse the canonical text so the instance is built from the normalized parameters.
  auto canonical = ta::parse_indicator_spec(canonical_spec(*parsed));
  if (!canonical) return Unexpected{canonical.error().message};
  Operand o;
  o.kind = OperandKind::kIndicator;
  o.spec = std::move(*canonical);
  if (!output.empty()) {
    const auto labels = ta::output_labels(o.spec.kind);
    std::size_t i = 0;
    while (i < labels.size() && labels[i] != output)
      ++i;
    if (i == labels.size()) {
      std::string known;
      for (auto l : labels)
        known += (known.empty() ? "" : ", ") + std::string(l);
      return Unexpected{"output '" + std::string(output) + "' is not one of " +
                        std::string(ta::indicator_name(o.spec.kind)) + "'s outputs (" + known +
                        ")"};
    }
    o.output = static_cast<std::uint8_t>(i);
  }
  return o;
}

std::optional<std::string> validate(const ConditionDef& def) {
  if (def.timeframe_seconds == 0) return "timeframe must be positive";
  if (def.op < Op::kAbove || def.op > Op::kCrossesBelow) return "unknown operator";
  for (const Operand* o : {&def.lhs, &def.rhs}) {
    const char* side = o == &def.lhs ? "lhs" : "rhs";
    switch (o->kind) {
      case OperandKind::kConstant:
        if (o == &def.lhs) return std::string("lhs must be an indicator or a price");
        if (!std::isfinite(o->constant)) return std::string(side) + " constant must be finite";
        break;
      case OperandKind::kIndicator:
        if (o->spec.text != canonical_spec(o->spec)) {
          return std::string(side) + " spec '" + o->spec.text +
                 "' is not canonical (build it with indicator_operand)";
        }
        if (o->output >= ta::output_labels(o->spec.kind).size()) {
          return std::string(side) + " output index out of range";
        }
        break;
      case OperandKind::kClose:
      case OperandKind::kOpen:
      case OperandKind::kHigh:
      case OperandKind::kLow:
        break;
      default:
        return std::string(side) + " has an unknown kind";
    }
  }
  return std::nullopt;
}

std::string canonical_text(const ConditionDef& def) {
  std::string out = std::to_string(index_of(def.instrument));
  out.push_back('/');
  out += std::to_string(def.timeframe_seconds);
  out += "s ";
  out += operand_text(def.lhs);
  out.push_back(' ');
  out += to_string(def.op);
  out.push_back(' ');
  out += operand_text(def.rhs);
  return out;
}

std::uint64_t condition_hash(std::string_view canonical) noexcept {
  return state_io::fnv1a64(canonical);
}

// ---- Config ---------------------------------------------------------------------------------

namespace {

constexpr std::uint32_t kMaxTimeframeSeconds = 7 * 86400;

std::optional<Operand> read_indicator(config::ObjectReader& r) {
  auto spec = r.string("indicator", config::Presence::kRequired);
  auto output = r.string("output", config::Presence::kOptional);
  if (!spec) return std::nullopt;
  auto operand = indicator_operand(*spec, output.value_or(""));
  if (!operand) {
    r.error(operand.error().rfind("output", 0) == 0 ? "output" : "indicator", operand.error());
    return std::nullopt;
  }
  return *operand;
}

}  // namespace

std::optional<ConditionDef> read_condition(const config::Value& object, const std::string& path,
                                           const ConditionContext& context,
                                           std::vector<config::FieldError>& errors) {
  if (object.kind != config::Value::Kind::kObject) {
    errors.push_back({path, "must be an object"});
    return std::nullopt;
  }
  const std::size_t errors_before = errors.size();
  config::ObjectReader r(object, path, errors);
  ConditionDef def;
  auto lhs = read_indicator(r);

  const auto symbol_presence =
      context.default_instrument ? config::Presence::kOptional : config::Presence::kRequired;
  if (auto symbol = r.string("symbol", symbol_presence)) {
    std::optional<InstrumentId> id = context.resolve ? context.resolve(*symbol) : std::nullopt;
    if (id) {
      def.instrument = *id;
    } else {
      r.error("symbol", "unknown symbol \"" + *symbol + "\"");
    }
  } else if (context.default_instrument) {
    def.instrument = *context.default_instrument;
  }

  const auto tf_presence =
      context.default_timeframe_seconds ? config::Presence::kOptional : config::Presence::kRequired;
  if (auto tf = r.string("timeframe", tf_presence)) {
    if (auto s = sched::parse_duration_seconds(*tf, kMaxTimeframeSeconds)) {
      def.timeframe_seconds = *s;
    } else {
      r.error("timeframe",
              "must be a bar interval like 1m, 15m, 4h or 1d (at most 7d), got \"" + *tf + "\"");
    }
  } else if (context.default_timeframe_seconds) {
    def.timeframe_seconds = *context.default_timeframe_seconds;
  }

  if (auto op = r.code("operator", config::Presence::kRequired, kOperatorNames)) def.op = *op;

  std::optional<Operand> rhs;
  const config::Value* value = object.find("value");
  if (value == nullptr) {
    r.string("value", config::Presence::kRequired);  // reports it missing
  } else if (value->kind == config::Value::Kind::kNumber) {
    if (auto v = r.number("value", config::Presence::kRequired, -1e300, 1e300)) {
      rhs = Operand::number(*v);
    }
  } else if (value->kind == config::Value::Kind::kString) {
    if (auto price = r.code("value", config::Presence::kRequired, kPriceNames)) {
      Operand o;
      o.kind = *price;
      rhs = o;
    }
  } else if (value->kind == config::Value::Kind::kObject) {
    auto nested = r.object("value", config::Presence::kRequired);
    rhs = read_indicator(*nested);
    nested->finish();
  } else {
    r.error("value",
            "must be a number, \"close\", \"open\", \"high\", \"low\" or {\"indicator\": ...}, "
            "got " +
                std::string(config::kind_name(value->kind)));
  }
  r.finish();
  if (value != nullptr) {
    // The reader cannot mark a field of a kind it has no getter for as read; the message
    // above already names it.
    const std::string value_path = r.field_path("value");
    std::erase_if(errors, [&](const config::FieldError& e) {
      return e.field == value_path && e.message == "unknown field";
    });
  }
  if (errors.size() != errors_before || !lhs || !rhs) return std::nullopt;
  def.lhs = std::move(*lhs);
  def.rhs = std::move(*rhs);
  return def;
}

Expected<ConditionDef, std::vector<config::FieldError>> parse_condition(
    std::string_view json, const ConditionContext& context) {
  std::vector<config::FieldError> errors;
  auto root = config::parse(json);
  if (!root) {
    errors.push_back({"", root.error()});
    return Unexpected{std::move(errors)};
  }
  auto def = read_condition(*root, "", context, errors);
  if (!def) return Unexpected{std::move(errors)};
  return std::move(*def);
}

}  // namespace be::cond
