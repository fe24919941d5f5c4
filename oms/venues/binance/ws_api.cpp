// The WebSocket API's request frames, built in fixed buffers (ws_api.hpp).
#include "oms/venues/binance/ws_api.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/fixed_point.hpp"

namespace be::binance {

namespace {

// Appends to a fixed buffer; `ok` turns false (and stays false) when something did not fit.
struct Appender {
  char* data;
  std::size_t capacity;
  std::size_t size = 0;
  bool ok = true;
  void put(std::string_view s) noexcept {
    if (!ok || size + s.size() > capacity) {
      ok = false;
      return;
    }
    std::memcpy(data + size, s.data(), s.size());
    size += s.size();
  }
  void put(std::uint64_t v) noexcept {
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, v);
    put(std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)));
  }
};

}  // namespace

void WsApiRequest::begin(std::uint64_t id, std::string_view method) noexcept {
  id_ = id;
  method_ = method;
  count_ = 0;
  arena_used_ = 0;
  payload_size_ = 0;
  overflow_ = false;
}

WsApiRequest& WsApiRequest::add(std::string_view key, std::string_view value,
                                bool number) noexcept {
  if (count_ == kMaxParams || arena_used_ + value.size() > arena_.size()) {
    overflow_ = true;
    return *this;
  }
  std::memcpy(arena_.data() + arena_used_, value.data(), value.size());
  params_[count_++] = Param{key, static_cast<std::uint16_t>(arena_used_),
                            static_cast<std::uint16_t>(value.size()), number};
  arena_used_ += value.size();
  return *this;
}

WsApiRequest& WsApiRequest::text(std::string_view key, std::string_view value) noexcept {
  return add(key, value, false);
}

WsApiRequest& WsApiRequest::integer(std::string_view key, std::int64_t value) noexcept {
  char digits[24];
  const auto r = std::to_chars(digits, digits + sizeof digits, value);
  return add(key, std::string_view(digits, static_cast<std::size_t>(r.ptr - digits)), true);
}

WsApiRequest& WsApiRequest::decimal(std::string_view key, std::int64_t value, int scale) noexcept {
  // format_venue_decimal's trimmed form, without its std::string.
  char digits[kMaxDecimalChars];
  const std::size_t n = format_decimal(value, scale, digits);
  std::string_view text(digits, n);
  if (text.find('.') != std::string_view::npos) {
    while (text.ends_with('0'))
      text.remove_suffix(1);
    if (text.ends_with('.')) text.remove_suffix(1);
  }
  return add(key, text, false);
}

std::string_view WsApiRequest::finish(const RequestSigner* signer) noexcept {
  if (overflow_) return {};
  std::sort(params_.begin(), params_.begin() + static_cast<std::ptrdiff_t>(count_),
            [](const Param& a, const Param& b) { return a.key < b.key; });
  Appender joined{payload_.data(), payload_.size()};
  for (std::size_t i = 0; i < count_; ++i) {
    if (i > 0) joined.put("&");
    joined.put(params_[i].key);
    joined.put("=");
    joined.put(value_of(params_[i]));
  }
  if (!joined.ok) return {};
  payload_size_ = joined.size;
  char signature[RequestSigner::kMaxSignatureChars];
  std::size_t signature_size = 0;
  if (signer != nullptr) {
    signature_size = signer->sign_into(payload(), signature);
    if (signature_size == 0) return {};
  }
  Appender f{frame_.data(), frame_.size()};
  f.put("{\"id\":");
  f.put(id_);
  f.put(",\"method\":\"");
  f.put(method_);
  f.put("\"");
  if (count_ > 0 || signature_size > 0) {
    f.put(",\"params\":{");
    for (std::size_t i = 0; i < count_; ++i) {
      if (i > 0) f.put(",");
      f.put("\"");
      f.put(params_[i].key);
      f.put(params_[i].number ? "\":" : "\":\"");
      f.put(value_of(params_[i]));
      if (!params_[i].number) f.put("\"");
    }
    if (signature_size > 0) {
      f.put(count_ > 0 ? ",\"signature\":\"" : "\"signature\":\"");
      f.put(std::string_view(signature, signature_size));
      f.put("\"");
    }
    f.put("}");
  }
  f.put("}");
  if (!f.ok) return {};
  return {frame_.data(), f.size};
}

}  // namespace be::binance
