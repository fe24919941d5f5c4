#include "sim/control.hpp"

#include <simdjson.h>

#include "core/names.hpp"
#include "sim/market.hpp"

namespace be::sim {

namespace {

ControlError err(int code, std::string msg, std::optional<std::uint64_t> id = std::nullopt) {
  return ControlError{code, std::move(msg), id};
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      // Non-ASCII is escaped byte-wise so a reply is always valid UTF-8 whatever was sent.
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

Expected<ControlRequest, ControlError> parse_control_request(std::string_view text) {
  if (text.size() > kMaxControlBytes) {
    return Unexpected{err(
        2, "Invalid request: message larger than " + std::to_string(kMaxControlBytes) + " bytes")};
  }
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(text);
  simdjson::dom::element doc;
  if (const auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS) {
    return Unexpected{err(3, std::string("Invalid JSON: ") + simdjson::error_message(e))};
  }
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS) {
    return Unexpected{err(2, "Invalid request: expected a JSON object")};
  }
  // The id first, so every later error can carry it.
  std::optional<std::uint64_t> id;
  if (simdjson::dom::element id_el; obj.at_key("id").get(id_el) == simdjson::SUCCESS) {
    std::uint64_t v = 0;
    if (id_el.get(v) != simdjson::SUCCESS) {
      return Unexpected{err(2, "Invalid request: request ID must be an unsigned integer")};
    }
    id = v;
  } else {
    return Unexpected{err(2, "Invalid request: missing field `id`")};
  }
  ControlRequest req;
  req.id = *id;
  bool have_method = false;
  for (const auto field : obj) {
    const std::string_view key = field.key;
    if (key == "id") continue;
    if (key == "method") {
      std::string_view m;
      if (field.value.get(m) != simdjson::SUCCESS) {
        return Unexpected{err(1, "Invalid value type: expected a string for `method`", id)};
      }
      if (m == "SUBSCRIBE") {
        req.method = ControlRequest::Method::kSubscribe;
      } else if (m == "UNSUBSCRIBE") {
        req.method = ControlRequest::Method::kUnsubscribe;
      } else if (m == "LIST_SUBSCRIPTIONS") {
        req.method = ControlRequest::Method::kList;
      } else {
        std::string msg = "Invalid request: unknown variant `";
        append_json_escaped(msg, m.substr(0, 64));
        msg += "`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`";
        return Unexpected{err(2, std::move(msg), id)};
      }
      have_method = true;
    } else if (key == "params") {
      simdjson::dom::array arr;
      if (field.value.get(arr) != simdjson::SUCCESS) {
        return Unexpected{err(1, "Invalid value type: expected an array for `params`", id)};
      }
      for (const auto item : arr) {
        std::string_view s;
        if (item.get(s) != simdjson::SUCCESS) {
          return Unexpected{err(1, "Invalid value type: `params` must hold strings", id)};
        }
        req.params.emplace_back(s);
      }
    } else {
      std::string msg = "Unknown property `";
      append_json_escaped(msg, key.substr(0, 64));
      msg += '`';
      return Unexpected{err(0, std::move(msg), id)};
    }
  }
  if (!have_method) return Unexpected{err(2, "Invalid request: missing field `method`", id)};
  if (req.method != ControlRequest::Method::kList && req.params.empty()) {
    return Unexpected{err(2, "Invalid request: `params` must name at least one stream", id)};
  }
  return req;
}

std::string reply_ok(std::uint64_t id) {
  return R"({"result":null,"id":)" + std::to_string(id) + "}";
}

std::string reply_list(const std::vector<std::string>& streams, std::uint64_t id) {
  std::string out = R"({"result":[)";
  for (std::size_t i = 0; i < streams.size(); ++i) {
    if (i) out += ',';
    out += '"';
    append_json_escaped(out, streams[i]);
    out += '"';
  }
  out += R"(],"id":)" + std::to_string(id) + "}";
  return out;
}

// The shape the live venue sends ({"error":{..},"id":N}; its docs' table prints the inner
// object alone), which clients such as ccxt match on to reject the request's promise.
std::string reply_error(const ControlError& e) {
  std::string out = R"({"error":{"code":)" + std::to_string(e.code) + R"(,"msg":")";
  append_json_escaped(out, e.msg);
  out += "\"}";
  if (e.id) out += R"(,"id":)" + std::to_string(*e.id);
  out += '}';
  return out;
}

namespace {
constexpr std::array<Named<Fault::Kind>, 4> kFaultKindNames{{
    {Fault::Kind::kDrop, "drop"},
    {Fault::Kind::kStall, "stall"},
    {Fault::Kind::kMalformed, "malformed"},
    {Fault::Kind::kSkipSequence, "skip_sequence"},
}};
static_assert(names_every_code(kFaultKindNames, 4), "a new Fault::Kind needs its name here");
}  // namespace

std::string_view to_string(Fault::Kind kind) noexcept {
  return name_of(kFaultKindNames, kind);
}

Expected<Fault, std::string> parse_fault(std::string_view json) {
  if (json.size() > kMaxControlBytes) return Unexpected{std::string("body too large")};
  simdjson::dom::parser parser;
  const simdjson::padded_string padded(json);
  simdjson::dom::element doc;
  if (const auto e = parser.parse(padded).get(doc); e != simdjson::SUCCESS) {
    return Unexpected{std::string("invalid JSON: ") + simdjson::error_message(e)};
  }
  simdjson::dom::object obj;
  if (doc.get(obj) != simdjson::SUCCESS) return Unexpected{std::string("expected a JSON object")};
  Fault f;
  bool have_kind = false;
  std::string problems;
  auto problem = [&](std::string p) {
    if (!problems.empty()) problems += "; ";
    problems += p;
  };
  for (const auto field : obj) {
    const std::string_view key = field.key;
    if (key == "kind") {
      std::string_view k;
      if (field.value.get(k) != simdjson::SUCCESS) {
        problem("field 'kind' must be a string");
        continue;
      }
      have_kind = true;
      if (const auto kind = code_of(kFaultKindNames, k)) {
        f.kind = *kind;
      } else {
        problem("field 'kind' must be one of drop, stall, malformed, skip_sequence");
      }
    } else if (key == "ms") {
      std::uint64_t ms = 0;
      if (field.value.get(ms) != simdjson::SUCCESS || ms == 0 || ms > 3'600'000) {
        problem("field 'ms' must be an integer in 1..3600000");
      } else {
        f.duration = static_cast<Nanos>(ms) * 1'000'000;
      }
    } else if (key == "count") {
      std::uint64_t n = 0;
      if (field.value.get(n) != simdjson::SUCCESS || n == 0 || n > 1'000'000) {
        problem("field 'count' must be an integer in 1..1000000");
      } else {
        f.count = static_cast<std::uint32_t>(n);
      }
    } else if (key == "symbol") {
      std::string_view s;
      if (field.value.get(s) != simdjson::SUCCESS || s.empty() || s.size() > 32) {
        problem("field 'symbol' must be a non-empty string of at most 32 bytes");
      } else {
        f.symbol = to_lower(s);
      }
    } else {
      std::string p = "unknown field '";
      append_json_escaped(p, key.substr(0, 64));
      problem(p + "'");
    }
  }
  if (!have_kind) problem("field 'kind' is required");
  if (have_kind && f.kind == Fault::Kind::kStall && f.duration == 0) {
    problem("field 'ms' is required for stall");
  }
  if (!problems.empty()) return Unexpected{std::move(problems)};
  return f;
}

}  // namespace be::sim
