// Binance request signing: the query string of a SIGNED request, built in the order the
// parameters are appended, and its HMAC-SHA256 signature (lower-case hex) under the API
// secret. Prices and quantities are written from fixed point with exactly the instrument's
// scale, trailing zeros trimmed, so no double ever rounds an order.
//
// Thread-safety: QueryBuilder is a value owned by one thread; the free functions are pure.
// Errors: hmac_sha256_hex returns an empty string only when OpenSSL fails (never observed;
// callers treat it as a local reject).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "core/expected.hpp"

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

// Base64 (RFC 4648, padded), as Binance wants Ed25519 signatures.
std::string base64_encode(std::span<const unsigned char> bytes);
// Percent-encoding of everything outside RFC 3986's unreserved set (a base64 signature in a
// REST query carries '+', '/' and '=').
std::string percent_encode(std::string_view text);
std::string percent_decode(std::string_view text);

// The secret text is an Ed25519 private key in PEM (PKCS#8) rather than an HMAC secret.
bool is_ed25519_private_pem(std::string_view secret) noexcept;

// Verifies a base64 Ed25519 signature of `payload` under a PEM public key (the mock exchange's
// side of session.logon and Ed25519-signed requests).
bool ed25519_verify(std::string_view public_pem, std::string_view payload,
                    std::string_view signature_base64);

// Signs request payloads the way the API key was made: HMAC-SHA256 as 64 hex characters, or
// Ed25519 as base64 (88 characters). Binance accepts both on REST and the WebSocket API;
// only an Ed25519 key may log a WebSocket API session on (session.logon).
// Lifetime: an HMAC signer keeps a view of the secret, which must outlive it; an Ed25519
// signer holds the parsed key (freed with it) and no copy of the PEM text.
// Thread-safety: const methods may run on several threads at once.
class RequestSigner {
 public:
  enum class Kind : std::uint8_t { kHmac, kEd25519 };
  static constexpr std::size_t kMaxSignatureChars = 88;

  // An Ed25519 signer when `secret` is a PEM private key (refused if it does not parse as an
  // Ed25519 key; the error never quotes the key), an HMAC signer otherwise.
  static Expected<RequestSigner, std::string> make(std::string_view secret);

  Kind kind() const noexcept { return kind_; }
  // The signature into `out` (at least kMaxSignatureChars); its length, 0 when OpenSSL fails.
  std::size_t sign_into(std::string_view payload, std::span<char> out) const noexcept;
  std::string sign(std::string_view payload) const;

 private:
  RequestSigner() = default;
  Kind kind_ = Kind::kHmac;
  std::string_view hmac_secret_;
  std::shared_ptr<void> ed25519_key_;  // EVP_PKEY, freed by its deleter
};

}  // namespace be::binance
