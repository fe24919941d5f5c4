#include "core/json_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/fixed_point.hpp"

#if defined(__clang__) || defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wnull-dereference"
#endif
#include <simdjson.h>
#if defined(__clang__) || defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

namespace be::config {

const Value* Value::find(std::string_view key) const noexcept {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

namespace {
constexpr std::array<Named<Value::Kind>, 6> kKindNames{{
    {Value::Kind::kNull, "null"},
    {Value::Kind::kBool, "a boolean"},
    {Value::Kind::kNumber, "a number"},
    {Value::Kind::kString, "a string"},
    {Value::Kind::kArray, "an array"},
    {Value::Kind::kObject, "an object"},
}};
static_assert(names_every_code(kKindNames, 6), "a new Value::Kind needs its name here");
}  // namespace

std::string_view kind_name(Value::Kind kind) noexcept {
  return name_of(kKindNames, kind);
}

namespace {

using simdjson::ondemand::json_type;

simdjson::error_code build(simdjson::ondemand::value element, Value& out, int depth,
                           std::string& error) {
  if (depth > kMaxConfigDepth) {
    error = "nesting deeper than " + std::to_string(kMaxConfigDepth) + " levels";
    return simdjson::DEPTH_ERROR;
  }
  json_type type;
  if (auto e = element.type().get(type)) return e;
  switch (type) {
    case json_type::object: {
      out.kind = Value::Kind::kObject;
      simdjson::ondemand::object object;
      if (auto e = element.get_object().get(object)) return e;
      for (auto field : object) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (out.find(key) != nullptr) {
          error = "duplicate key \"" + std::string(key) + "\"";
          return simdjson::TAPE_ERROR;
        }
        out.keys.emplace_back(key);
        out.values.emplace_back();
        simdjson::ondemand::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = build(child, out.values.back(), depth + 1, error)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      out.kind = Value::Kind::kArray;
      simdjson::ondemand::array array;
      if (auto e = element.get_array().get(array)) return e;
      for (auto item : array) {
        simdjson::ondemand::value child;
        if (auto e = item.get(child)) return e;
        out.items.emplace_back();
        if (auto e = build(child, out.items.back(), depth + 1, error)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      out.kind = Value::Kind::kNumber;
      std::string_view raw = element.raw_json_token();
      while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' ||
                              raw.back() == '\t')) {
        raw.remove_suffix(1);
      }
      double check;  // validates the number's grammar
      if (auto e = element.get_double().get(check)) return e;
      out.text = std::string(raw);
      return simdjson::SUCCESS;
    }
    case json_type::string: {
      out.kind = Value::Kind::kString;
      std::string_view s;
      if (auto e = element.get_string().get(s)) return e;
      out.text = std::string(s);
      return simdjson::SUCCESS;
    }
    case json_type::boolean: {
      out.kind = Value::Kind::kBool;
      return element.get_bool().get(out.boolean);
    }
    case json_type::null:
      out.kind = Value::Kind::kNull;
      return element.is_null() ? simdjson::SUCCESS : simdjson::INCORRECT_TYPE;
  }
  return simdjson::INCORRECT_TYPE;
}

}  // namespace

Expected<Value, std::string> parse(std::string_view json) {
  if (json.size() > kMaxConfigBytes) {
    return Unexpected{"config larger than " + std::to_string(kMaxConfigBytes) + " bytes"};
  }
  simdjson::padded_string padded(json);
  // On-Demand validates only what it visits; a full DOM pass first refuses trailing content
  // and any malformed byte anywhere, so the tree below is built from a valid document.
  {
    simdjson::dom::parser validator;
    simdjson::dom::element ignored;
    if (auto e = validator.parse(padded).get(ignored)) {
      return Unexpected{std::string("invalid JSON: ") + simdjson::error_message(e)};
    }
  }
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (auto e = parser.iterate(padded).get(doc)) {
    return Unexpected{std::string("invalid JSON: ") + simdjson::error_message(e)};
  }
  Value root;
  std::string error;
  simdjson::ondemand::value top;
  // A scalar document cannot be viewed as a value in On-Demand; configs are objects or
  // arrays, so anything else is refused with a clear message.
  json_type type;
  if (auto e = doc.type().get(type)) {
    return Unexpected{std::string("invalid JSON: ") + simdjson::error_message(e)};
  }
  if (type != json_type::object && type != json_type::array) {
    return Unexpected{std::string("a config must be a JSON object")};
  }
  if (auto e = doc.get_value().get(top)) {
    return Unexpected{std::string("invalid JSON: ") + simdjson::error_message(e)};
  }
  if (auto e = build(top, root, 0, error)) {
    return Unexpected{error.empty() ? std::string("invalid JSON: ") + simdjson::error_message(e)
                                    : "invalid JSON: " + error};
  }
  return root;
}

std::string format_errors(const std::vector<FieldError>& errors) {
  std::string out;
  for (const FieldError& e : errors) {
    if (!out.empty()) out += "; ";
    out += e.field + ": " + e.message;
  }
  return out;
}

ObjectReader::ObjectReader(const Value& object, std::string path, std::vector<FieldError>& errors)
    : object_(&object), path_(std::move(path)), errors_(&errors) {}

std::string ObjectReader::field_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void ObjectReader::error(std::string_view key, std::string message) {
  errors_->push_back({field_path(key), std::move(message)});
}

const Value* ObjectReader::take(std::string_view key, Presence presence, Value::Kind kind,
                                std::string_view expected) {
  read_.emplace_back(key);
  const Value* v = object_->find(key);
  if (v == nullptr) {
    if (presence == Presence::kRequired) error(key, "required field is missing");
    return nullptr;
  }
  if (v->kind != kind) {
    error(key, "must be " + std::string(expected) + ", got " + std::string(kind_name(v->kind)));
    return nullptr;
  }
  return v;
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key, Presence presence,
                                                  std::int64_t min, std::int64_t max) {
  const std::string range = std::to_string(min) + " to " + std::to_string(max);
  const Value* v = take(key, presence, Value::Kind::kNumber, "an integer");
  if (v == nullptr) return std::nullopt;
  std::int64_t out = 0;
  const char* end = v->text.data() + v->text.size();
  auto [ptr, ec] = std::from_chars(v->text.data(), end, out);
  if (ec != std::errc{} || ptr != end) {
    // 14.0 is an integer written as a decimal: accept it when it is exact.
    auto exact = parse_decimal(v->text, 0);
    if (!exact.has_value()) {
      error(key, "must be an integer from " + range + ", got " + v->text);
      return std::nullopt;
    }
    out = *exact;
  }
  if (out < min || out > max) {
    error(key, "must be an integer from " + range + ", got " + v->text);
    return std::nullopt;
  }
  return out;
}

std::optional<std::int64_t> ObjectReader::decimal(std::string_view key, int scale,
                                                  Presence presence, std::int64_t min,
                                                  std::int64_t max) {
  const Value* v = take(key, presence, Value::Kind::kNumber, "a number");
  if (v == nullptr) return std::nullopt;
  auto parsed = parse_decimal(v->text, scale);
  if (!parsed.has_value()) {
    error(key, "must be a decimal with at most " + std::to_string(scale) + " decimal places, got " +
                   v->text + " (" + std::string(to_string(parsed.error())) + ")");
    return std::nullopt;
  }
  if (*parsed < min || *parsed > max) {
    error(key, "must be from " + decimal_to_string(min, scale) + " to " +
                   decimal_to_string(max, scale) + ", got " + v->text);
    return std::nullopt;
  }
  return *parsed;
}

std::optional<double> ObjectReader::number(std::string_view key, Presence presence, double min,
                                           double max) {
  const Value* v = take(key, presence, Value::Kind::kNumber, "a number");
  if (v == nullptr) return std::nullopt;
  char* end = nullptr;
  const double out = std::strtod(v->text.c_str(), &end);
  if (end != v->text.c_str() + v->text.size() || !std::isfinite(out) || out < min || out > max) {
    std::ostringstream range;
    range << min << " to " << max;
    error(key, "must be a number from " + range.str() + ", got " + v->text);
    return std::nullopt;
  }
  return out;
}

std::optional<bool> ObjectReader::boolean(std::string_view key, Presence presence) {
  const Value* v = take(key, presence, Value::Kind::kBool, "true or false");
  if (v == nullptr) return std::nullopt;
  return v->boolean;
}

std::optional<std::string> ObjectReader::string(std::string_view key, Presence presence,
                                                std::initializer_list<std::string_view> allowed) {
  if (allowed.size() > 0) {
    const auto index = one_of(key, presence, std::span(allowed.begin(), allowed.size()));
    if (!index) return std::nullopt;
    return std::string(allowed.begin()[*index]);
  }
  const Value* v = take(key, presence, Value::Kind::kString, "a string");
  if (v == nullptr) return std::nullopt;
  return v->text;
}

std::optional<std::size_t> ObjectReader::one_of(std::string_view key, Presence presence,
                                                std::span<const std::string_view> allowed) {
  const Value* v = take(key, presence, Value::Kind::kString, "a string");
  if (v == nullptr) return std::nullopt;
  const auto it = std::find(allowed.begin(), allowed.end(), v->text);
  if (it != allowed.end()) return static_cast<std::size_t>(it - allowed.begin());
  std::string list;
  for (std::string_view a : allowed)
    list += (list.empty() ? "" : ", ") + std::string(a);
  error(key, "must be one of " + list + ", got \"" + v->text + "\"");
  return std::nullopt;
}

std::optional<ObjectReader> ObjectReader::object(std::string_view key, Presence presence) {
  const Value* v = take(key, presence, Value::Kind::kObject, "an object");
  if (v == nullptr) return std::nullopt;
  return ObjectReader(*v, field_path(key), *errors_);
}

const Value* ObjectReader::object_value(std::string_view key) {
  return take(key, Presence::kOptional, Value::Kind::kObject, "an object");
}

const Value* ObjectReader::array(std::string_view key, Presence presence) {
  return take(key, presence, Value::Kind::kArray, "an array");
}

void ObjectReader::finish() {
  for (const std::string& name : object_->keys) {
    if (std::find(read_.begin(), read_.end(), name) == read_.end()) {
      error(name, "unknown field");
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

namespace {
void write_json(std::string& out, const Value& v) {
  switch (v.kind) {
    case Value::Kind::kNull:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.boolean ? "true" : "false";
      return;
    case Value::Kind::kNumber:
      out += v.text;
      return;
    case Value::Kind::kString:
      append_json_string(out, v.text);
      return;
    case Value::Kind::kArray:
      out += '[';
      for (std::size_t i = 0; i < v.items.size(); ++i) {
        if (i) out += ',';
        write_json(out, v.items[i]);
      }
      out += ']';
      return;
    case Value::Kind::kObject:
      out += '{';
      for (std::size_t i = 0; i < v.keys.size(); ++i) {
        if (i) out += ',';
        append_json_string(out, v.keys[i]);
        out += ':';
        write_json(out, v.values[i]);
      }
      out += '}';
      return;
  }
}
}  // namespace

std::string to_json(const Value& value) {
  std::string out;
  write_json(out, value);
  return out;
}

}  // namespace be::config
