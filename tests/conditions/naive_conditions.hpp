// The naive twin of the condition engine (STYLE.md 6): every bot keeps its own indicator
// instances and evaluates its own conditions, nothing is shared during evaluation.
//
// Only the rules that define what a shared instance means are modelled at subscribe time,
// exactly as docs/CONDITIONS.md states them: a new subscription's indicator starts as a copy
// of one that a live subscription on the same (spec, symbol, timeframe) holds (warm), or
// fresh; its previous values (for crossings) start as a copy of a live subscription to the
// same canonical condition, or empty; a canonical condition that has no live subscription
// gets the next condition id. Triggers are ordered by (condition id, subscription id).
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/fixed_point.hpp"
#include "strategies/conditions/engine.hpp"

namespace be::cond::test {

// One operand's value on a bar, written out again rather than shared with the engine.
inline double naive_value(const Operand& o, const std::optional<ta::AnyIndicator>& ind,
                          const Bar& bar, int price_scale) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto px = [&](std::int64_t v) {
    return static_cast<double>(v) / static_cast<double>(pow10(price_scale));
  };
  switch (o.kind) {
    case OperandKind::kConstant:
      return o.constant;
    case OperandKind::kIndicator:
      return ind->ready() ? ind->output(o.output) : nan;
    case OperandKind::kClose:
      return px(bar.close);
    case OperandKind::kOpen:
      return px(bar.open);
    case OperandKind::kHigh:
      return px(bar.high);
    case OperandKind::kLow:
      return px(bar.low);
  }
  return nan;
}

// One evaluation with its own previous values (docs/CONDITIONS.md, "Operators").
inline bool naive_holds(Op op, double l, double r, bool& has_previous, double& previous_lhs,
                        double& previous_rhs) {
  if (std::isnan(l) || std::isnan(r)) {
    has_previous = false;
    return false;
  }
  bool holds = false;
  if (op == Op::kAbove) holds = l > r;
  if (op == Op::kBelow) holds = l < r;
  if (op == Op::kCrossesAbove) holds = has_previous && previous_lhs <= previous_rhs && l > r;
  if (op == Op::kCrossesBelow) holds = has_previous && previous_lhs >= previous_rhs && l < r;
  has_previous = true;
  previous_lhs = l;
  previous_rhs = r;
  return holds;
}

class NaiveWorld {
 public:
  SubscriptionId subscribe(BotId bot, const ConditionDef& def) {
    Sub s;
    s.id = next_subscription_++;
    s.bot = bot;
    s.def = def;
    s.canonical = canonical_text(def);
    const Sub* same = nullptr;
    for (const Sub& o : subs_) {
      if (o.canonical == s.canonical) same = &o;
    }
    if (same != nullptr) {
      s.condition = same->condition;
      s.has_previous = same->has_previous;
      s.previous_lhs = same->previous_lhs;
      s.previous_rhs = same->previous_rhs;
    } else {
      s.condition = next_condition_++;
    }
    s.lhs = own_indicator(def, def.lhs);
    s.rhs = own_indicator(def, def.rhs);
    subs_.push_back(std::move(s));
    return subs_.back().id;
  }

  bool unsubscribe(SubscriptionId id) {
    return std::erase_if(subs_, [&](const Sub& s) { return s.id == id; }) != 0;
  }

  std::vector<Trigger> on_bar(const Bar& bar, int price_scale, int qty_scale) {
    std::vector<Trigger> out;
    if (!bar.closed) return out;
    for (Sub& s : subs_) {
      if (s.def.instrument != bar.instrument || s.def.timeframe_seconds != bar.interval_seconds) {
        continue;
      }
      if (s.lhs) s.lhs->update(bar, price_scale, qty_scale);
      if (s.rhs) s.rhs->update(bar, price_scale, qty_scale);
      const double l = naive_value(s.def.lhs, s.lhs, bar, price_scale);
      const double r = naive_value(s.def.rhs, s.rhs, bar, price_scale);
      const bool holds =
          naive_holds(s.def.op, l, r, s.has_previous, s.previous_lhs, s.previous_rhs);
      if (holds) {
        out.push_back(Trigger{s.condition, s.id, s.bot, bar.instrument, bar.interval_seconds,
                              bar.open_time, l, r});
      }
    }
    std::sort(out.begin(), out.end(), [](const Trigger& a, const Trigger& b) {
      return a.condition != b.condition ? a.condition < b.condition
                                        : a.subscription < b.subscription;
    });
    return out;
  }

  std::size_t subscription_count() const { return subs_.size(); }
  std::size_t distinct_conditions() const {
    std::vector<std::string> texts;
    for (const Sub& s : subs_)
      texts.push_back(s.canonical);
    std::sort(texts.begin(), texts.end());
    return static_cast<std::size_t>(std::unique(texts.begin(), texts.end()) - texts.begin());
  }

 private:
  struct Sub {
    SubscriptionId id = 0;
    BotId bot{};
    ConditionDef def;
    std::string canonical;
    ConditionId condition = 0;
    std::optional<ta::AnyIndicator> lhs;
    std::optional<ta::AnyIndicator> rhs;
    bool has_previous = false;
    double previous_lhs = 0;
    double previous_rhs = 0;
  };

  std::optional<ta::AnyIndicator> own_indicator(const ConditionDef& def, const Operand& o) const {
    if (o.kind != OperandKind::kIndicator) return std::nullopt;
    for (const Sub& s : subs_) {
      if (s.def.instrument != def.instrument || s.def.timeframe_seconds != def.timeframe_seconds) {
        continue;
      }
      if (s.lhs && s.def.lhs.spec.text == o.spec.text) return s.lhs;  // a warm copy
      if (s.rhs && s.def.rhs.spec.text == o.spec.text) return s.rhs;
    }
    return ta::AnyIndicator(o.spec);
  }

  std::vector<Sub> subs_;
  ConditionId next_condition_ = 1;
  SubscriptionId next_subscription_ = 1;
};

}  // namespace be::cond::test
