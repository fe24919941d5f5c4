// Reading operator-supplied JSON (bot configs, risk limits, deployment configs): exact
// numbers, and every problem reported at once with the field's full path.
//
// parse() builds a small tree from simdjson On-Demand, keeping each number's raw text, so a
// price or an amount converts to fixed point exactly through parse_decimal (no double in
// between). ObjectReader then reads fields by name with their constraints and collects a
// FieldError for every field that is missing, mistyped, out of range or unknown, so an API
// answers "422" naming all of them, not just the first.
//
// Off the hot path: parsing allocates. Thread-safety: none needed (values are immutable).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"
#include "core/names.hpp"

namespace be::config {

struct Value {
  enum class Kind : std::uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::string text;  // a string's value, or a number's raw JSON text ("1000.0")
  std::vector<Value> items;
  // An object's members in document order: values[i] belongs to keys[i]. (Two vectors, not
  // one of pairs: std::pair may not hold the still-incomplete Value.)
  std::vector<std::string> keys;
  std::vector<Value> values;

  const Value* find(std::string_view key) const noexcept;
  static Value empty_object() {
    Value v;
    v.kind = Kind::kObject;
    return v;
  }
};

std::string_view kind_name(Value::Kind kind) noexcept;

// Writes `value` back as compact JSON; numbers keep their raw text, so a round trip through
// parse() is exact. Strings are escaped per RFC 8259.
std::string to_json(const Value& value);
// Appends `text` as a JSON string literal (quotes included) to `out`.
void append_json_string(std::string& out, std::string_view text);

// Unicode code points in `text`, which the parser has checked is UTF-8: what a person counts as
// characters (a limit "64 characters" means this, not bytes).
inline std::size_t code_points(std::string_view text) noexcept {
  std::size_t n = 0;
  for (const char c : text)
    n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u;
  return n;
}

// True when `text` is empty or only spaces, tabs and line breaks.
inline bool blank(std::string_view text) noexcept {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

inline constexpr std::size_t kMaxConfigBytes = 1u << 20;
inline constexpr int kMaxConfigDepth = 32;

// Errors: invalid JSON (with simdjson's reason), more than kMaxConfigBytes, nesting deeper
// than kMaxConfigDepth, or duplicate keys in one object.
Expected<Value, std::string> parse(std::string_view json);

struct FieldError {
  std::string field;  // full path: "strategy.parameters.entry_logic.params.e_rsi_period"
  std::string message;
  friend bool operator==(const FieldError&, const FieldError&) = default;
};

std::string format_errors(const std::vector<FieldError>& errors);

// Several JSON texts as one array (each item as given: pass to_json() texts when the items
// must come back byte for byte), e.g. the configs a kCreateBots command's blob holds.
inline std::string join_array(std::span<const std::string> items) {
  std::string out = "[";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += item;
  }
  return out += ']';
}

// The first `count` items of a JSON array, each as to_json() writes it; an item the array
// lacks (or every item, when `json` is not an array) is an empty text, which no config
// reader accepts, so that item alone is refused.
inline std::vector<std::string> split_array(std::string_view json, std::size_t count) {
  std::vector<std::string> out(count);
  const auto doc = parse(json);
  if (!doc || doc->kind != Value::Kind::kArray) return out;
  for (std::size_t i = 0; i < count && i < doc->items.size(); ++i)
    out[i] = to_json(doc->items[i]);
  return out;
}

enum class Presence : std::uint8_t { kRequired, kOptional };

// Reads one JSON object. Each getter returns nullopt when the field is absent (an error if
// required) or bad (always an error). finish() reports fields nobody asked for.
class ObjectReader {
 public:
  ObjectReader(const Value& object, std::string path, std::vector<FieldError>& errors);

  std::optional<std::int64_t> integer(std::string_view key, Presence presence, std::int64_t min,
                                      std::int64_t max);
  // An exact decimal at `scale`, e.g. 1000.0 at scale 8 -> 100000000000.
  std::optional<std::int64_t> decimal(std::string_view key, int scale, Presence presence,
                                      std::int64_t min, std::int64_t max);
  // A real number (indicator deviations, ratios): a double is fine here.
  std::optional<double> number(std::string_view key, Presence presence, double min, double max);
  std::optional<bool> boolean(std::string_view key, Presence presence);
  std::optional<std::string> string(std::string_view key, Presence presence,
                                    std::initializer_list<std::string_view> allowed = {});
  // A word naming one code of a core/names.hpp table, so the words a config accepts are the
  // names the engine prints (written once). Errors like string() with the table's names.
  template <class E, std::size_t N>
  std::optional<E> code(std::string_view key, Presence presence,
                        const std::array<Named<E>, N>& table) {
    std::array<std::string_view, N> names;
    for (std::size_t i = 0; i < N; ++i)
      names[i] = table[i].name;
    const auto index = one_of(key, presence, names);
    if (!index) return std::nullopt;
    return table[*index].code;
  }
  std::optional<ObjectReader> object(std::string_view key, Presence presence);
  const Value* array(std::string_view key, Presence presence);
  // Calls each(reader) for every item of the array `key`, a reader at path "key[i]"; an item
  // that is not an object is an error ("expected an object") and skipped.
  template <class Each>
  void objects(std::string_view key, Presence presence, Each&& each) {
    const Value* list = array(key, presence);
    if (list == nullptr) return;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const std::string at = field_path(key) + "[" + std::to_string(i) + "]";
      if (list->items[i].kind != Value::Kind::kObject) {
        errors_->push_back({at, "expected an object"});
        continue;
      }
      ObjectReader item(list->items[i], at, *errors_);
      each(item);
    }
  }
  // An optional object handed to another reader (marked read; a non-object is an error).
  const Value* object_value(std::string_view key);

  // Reports every field present but never read as "unknown field". Call once, last.
  void finish();

  void error(std::string_view key, std::string message);
  const std::string& path() const noexcept { return path_; }
  // Where this reader collects errors, for nested readers built by hand.
  std::vector<FieldError>* errors() const noexcept { return errors_; }
  std::string field_path(std::string_view key) const;
  bool has(std::string_view key) const noexcept { return object_->find(key) != nullptr; }

 private:
  const Value* take(std::string_view key, Presence presence, Value::Kind kind,
                    std::string_view expected);
  // The index in `allowed` of the field's word (an error naming them all when it is none).
  std::optional<std::size_t> one_of(std::string_view key, Presence presence,
                                    std::span<const std::string_view> allowed);

  const Value* object_;
  std::string path_;
  std::vector<FieldError>* errors_;
  std::vector<std::string> read_;
};

}  // namespace be::config
