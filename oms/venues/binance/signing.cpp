#include "oms/venues/binance/signing.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>

#include "core/fixed_point.hpp"
#include "core/hex.hpp"

namespace be::binance {

std::string hmac_sha256_hex(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(),
           &mac_len) == nullptr) {
    return {};
  }
  return to_hex(std::span<const std::uint8_t>(mac.data(), mac_len));
}

std::string format_venue_decimal(std::int64_t value, int scale) {
  std::string text = decimal_to_string(value, scale);
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0')
      text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

QueryBuilder& QueryBuilder::add(std::string_view key, std::string_view value) {
  if (!query_.empty()) query_.push_back('&');
  query_.append(key);
  query_.push_back('=');
  query_.append(value);
  return *this;
}

QueryBuilder& QueryBuilder::add(std::string_view key, std::int64_t value) {
  char buffer[24];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  (void)ec;  // 24 chars always hold an int64
  return add(key, std::string_view(buffer, static_cast<std::size_t>(end - buffer)));
}

QueryBuilder& QueryBuilder::add_decimal(std::string_view key, std::int64_t value, int scale) {
  return add(key, format_venue_decimal(value, scale));
}

std::string QueryBuilder::signed_query(std::string_view secret) const {
  std::string out = query_;
  out.append(out.empty() ? "signature=" : "&signature=");
  out.append(hmac_sha256_hex(secret, query_));
  return out;
}

bool signature_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return static_cast<unsigned char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    };
    diff |= static_cast<unsigned char>(lower(a[i]) ^ lower(b[i]));
  }
  return diff == 0;
}

}  // namespace be::binance
