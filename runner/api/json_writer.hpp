// Writing JSON by hand for the API's answers: compact output, strings escaped per RFC 8259
// by core's append_json_string (quote, backslash, control characters; UTF-8 passes through).
// Commas are placed by the writer, so callers cannot produce `[1,,2]` or `{"a":1,}`.
//
// Not thread-safe (one writer per answer); allocates (off the hot path).
#pragma once

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/civil_time.hpp"
#include "core/json_config.hpp"

namespace be::api {

class JsonWriter {
 public:
  JsonWriter& begin_object() { return open('{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array() { return open('['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& key(std::string_view k) {
    comma();
    config::append_json_string(out_, k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  JsonWriter& string(std::string_view v) {
    comma();
    config::append_json_string(out_, v);
    return *this;
  }
  JsonWriter& boolean(bool v) {
    comma();
    out_ += v ? "true" : "false";
    return *this;
  }
  JsonWriter& null() {
    comma();
    out_ += "null";
    return *this;
  }
  template <class Int>
  JsonWriter& integer(Int v) {
    comma();
    append_chars(v);
    return *this;
  }
  // A finite double with the shortest exact text; NaN and infinities become null (JSON has
  // no spelling for them).
  JsonWriter& number(double v) {
    if (v != v || v > 1.7e308 || v < -1.7e308) return null();
    comma();
    append_chars(v);
    return *this;
  }
  // Text that is already one valid JSON value (e.g. a StreamItem or another writer's output).
  JsonWriter& raw(std::string_view json) {
    comma();
    out_ += json;
    return *this;
  }

  template <class V>
  JsonWriter& field(std::string_view k, const V& v) {
    key(k);
    if constexpr (std::is_same_v<V, bool>) {
      return boolean(v);
    } else if constexpr (std::is_integral_v<V>) {
      return integer(v);
    } else if constexpr (std::is_floating_point_v<V>) {
      return number(v);
    } else {
      return string(v);
    }
  }

  // A time as every answer writes one (core/civil_time.hpp, docs/API.md "Times"): "<k>" in
  // RFC 3339 UTC with nine fractional digits and "<k>_ns" the exact nanoseconds as a decimal
  // string. The read model's 0 means "never" (a feed with no message yet): both are null then,
  // rather than a 1970 date that never happened.
  JsonWriter& time_field(std::string_view k, Nanos t) {
    if (t == 0) {
      key(k).null();
      std::string ns_key(k);
      ns_key += "_ns";
      return key(ns_key).null();
    }
    comma();
    append_time_fields(out_, k, t);
    return *this;
  }

  const std::string& str() const& noexcept { return out_; }
  std::string str() && noexcept { return std::move(out_); }

 private:
  // Formats straight into the output: appending from a stack buffer trips GCC 12's
  // -Wrestrict false positive under -O3 with TSan.
  template <class T>
  void append_chars(T v) {
    const std::size_t at = out_.size();
    out_.resize(at + 32);
    const auto r = std::to_chars(out_.data() + at, out_.data() + out_.size(), v);
    out_.resize(static_cast<std::size_t>(r.ptr - out_.data()));
  }

  JsonWriter& open(char c) {
    comma();
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_ && !out_.empty()) out_ += ',';
    first_ = false;
  }

  std::string out_;
  bool first_ = true;
  bool after_key_ = false;
};

}  // namespace be::api
