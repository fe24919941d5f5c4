// The Binance mock's fault commands (venue_faults.hpp): parsed with simdjson's DOM.
#include "sim/binance/venue_faults.hpp"

#include <array>
#include <cctype>

#include "core/names.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <simdjson.h>
#pragma GCC diagnostic pop

namespace be::binance::mock {

namespace {

constexpr std::array<Named<VenueFault::Kind>, VenueFault::kKinds> kKindNames{{
    {VenueFault::Kind::kRejectOrders, "reject_orders"},
    {VenueFault::Kind::kRateLimit, "rate_limit"},
    {VenueFault::Kind::kDropUserStreams, "drop_user_streams"},
    {VenueFault::Kind::kStale, "stale"},
    {VenueFault::Kind::kClockSkew, "clock_skew"},
    {VenueFault::Kind::kCancelOrder, "cancel_order"},
    {VenueFault::Kind::kFillBeforeAck, "fill_before_ack"},
}};
static_assert(names_every_code(kKindNames, VenueFault::kKinds),
              "a new VenueFault::Kind needs its name here");

constexpr std::size_t kMaxBody = 4096;

// One integer field: its name, its range and where it goes.
struct IntField {
  std::string_view name;
  std::int64_t min, max;
  void (*set)(VenueFault&, std::int64_t);
};
constexpr IntField kIntFields[] = {
    {"count", 1, 1'000'000, [](VenueFault& f, std::int64_t v) { f.count = int(v); }},
    {"code", -99'999, -1, [](VenueFault& f, std::int64_t v) { f.code = int(v); }},
    {"status", 418, 429, [](VenueFault& f, std::int64_t v) { f.status = int(v); }},
    {"retry_after_s", 1, 3600, [](VenueFault& f, std::int64_t v) { f.retry_after_s = v; }},
    {"ms", -3'600'000, 3'600'000, [](VenueFault& f, std::int64_t v) { f.ms = v; }},
};

// One string field: its name, its longest value and where it goes.
struct TextField {
  std::string_view name;
  std::size_t max;
  std::string VenueFault::*member;
};
const TextField kTextFields[] = {
    {"msg", 200, &VenueFault::msg},
    {"client_order_id", 36, &VenueFault::client_order_id},
    {"symbol", 32, &VenueFault::symbol},
    {"account", 64, &VenueFault::account},
};

}  // namespace

std::string_view to_string(VenueFault::Kind kind) noexcept {
  return name_of(kKindNames, kind);
}

Expected<VenueFault, std::string> parse_venue_fault(std::string_view json) {
  if (json.size() > kMaxBody) return Unexpected{std::string("body too large")};
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::object obj;
  if (parser.parse(padded).get(obj) != simdjson::SUCCESS) {
    return Unexpected{std::string("expected a JSON object")};
  }
  VenueFault f;
  bool have_kind = false, saw_kind = false, have_ms = false;
  std::string problems;
  auto problem = [&](std::string_view p) {
    problems += problems.empty() ? "" : "; ";
    problems += p;
  };
  for (const auto field : obj) {
    const std::string_view key = field.key;
    if (key == "kind") {
      saw_kind = true;
      std::string_view k;
      const auto kind =
          field.value.get(k) == simdjson::SUCCESS ? code_of(kKindNames, k) : std::nullopt;
      if (kind) {
        f.kind = *kind, have_kind = true;
      } else {
        std::string names;
        for (const auto& n : kKindNames)
          names += (names.empty() ? "" : ", ") + std::string(n.name);
        problem("field 'kind' must be one of " + names);
      }
      continue;
    }
    bool known = false;
    for (const auto& i : kIntFields) {
      if (key != i.name) continue;
      known = true;
      std::int64_t v = 0;
      if (field.value.get(v) != simdjson::SUCCESS || v < i.min || v > i.max ||
          (key == "status" && v != 418 && v != 429)) {
        problem(key == "status" ? std::string("field 'status' must be 429 or 418")
                                : "field '" + std::string(key) + "' must be an integer in " +
                                      std::to_string(i.min) + ".." + std::to_string(i.max));
      } else {
        i.set(f, v);
        have_ms = have_ms || key == "ms";
      }
    }
    for (const auto& t : kTextFields) {
      if (key != t.name) continue;
      known = true;
      std::string_view v;
      if (field.value.get(v) != simdjson::SUCCESS || v.empty() || v.size() > t.max) {
        problem("field '" + std::string(key) + "' must be a non-empty string of at most " +
                std::to_string(t.max) + " bytes");
      } else {
        f.*t.member = std::string(v);
      }
    }
    if (!known) problem("field '" + std::string(key.substr(0, 64)) + "' is unknown");
  }
  for (char& c : f.symbol)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!saw_kind) problem("field 'kind' is required");
  if (have_kind && !have_ms &&
      (f.kind == VenueFault::Kind::kStale || f.kind == VenueFault::Kind::kClockSkew)) {
    problem("field 'ms' is required for " + std::string(to_string(f.kind)));
  }
  if (have_kind && f.kind == VenueFault::Kind::kFillBeforeAck && !have_ms) f.ms = 200;
  if (have_kind && f.kind == VenueFault::Kind::kStale && have_ms && f.ms <= 0) {
    problem("field 'ms' must be positive for stale");
  }
  if (!problems.empty()) return Unexpected{std::move(problems)};
  return f;
}

}  // namespace be::binance::mock
