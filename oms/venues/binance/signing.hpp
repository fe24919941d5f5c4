// Binance request signing: the query string of a SIGNED request, built in the order the
// parameters are appended, and its HMAC-SHA256 signature (lower-case hex) under the API
// secret. Prices and quantities are written from fixed point with exactly the instrument's
// scale, trailing zeros trimmed, so no double ever rounds an order.
//
// Thread-safety: QueryBuilder is a value owned by one thread; the free functions are pure.
// Errors: hmac_sha256_hex returns an empty string only when OpenSSL fails (never observed;
// callers treat it as a local reject).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace be::binance {

// HMAC-SHA256 of `data` keyed by `secret`, as 64 lower-case hex characters.
std::string hmac_sha256_hex(std::string_view secret, std::string_view data);

// Binance accepts "0.10000000" but a trimmed form is what its own examples send, and it is
// what the mock compares against the exchangeInfo filters: "0.1", "42", "0.00012".
std::string format_venue_decimal(std::int64_t value, int scale);

class QueryBuilder {
 public:
  // Values must already be in the URL-safe alphabet (symbols, client ids, decimals, enums):
  // they are appended as they are, so what is signed is exactly what is sent.
  QueryBuilder& add(std::string_view key, std::string_view value);
  QueryBuilder& add(std::string_view key, std::int64_t value);
  QueryBuilder& add_decimal(std::string_view key, std::int64_t value, int scale);
  const std::string& str() const noexcept { return query_; }
  // Appends "&signature=<hmac>" (or "signature=<hmac>" on an empty query).
  std::string signed_query(std::string_view secret) const;

 private:
  std::string query_;
};

// Constant-time comparison of two hex signatures, case-insensitive (Binance documents HMAC
// signatures as case-insensitive).
bool signature_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace be::binance
