#include "oms/venues/binance/signing.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <array>
#include <cctype>
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

// ---- Ed25519, base64, percent-encoding ----------------------------------------------------

namespace be::binance {

std::string base64_encode(std::span<const unsigned char> bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      const auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(static_cast<char>(std::toupper(kHexDigits[b >> 4])));
      out.push_back(static_cast<char>(std::toupper(kHexDigits[b & 0x0F])));
    }
  }
  return out;
}

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

bool is_ed25519_private_pem(std::string_view secret) noexcept {
  return secret.find("-----BEGIN PRIVATE KEY-----") != std::string_view::npos;
}

namespace {

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A PEM key through a read-only memory BIO; nullptr when it does not parse.
PkeyPtr read_pem(std::string_view pem, bool is_private) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) return {nullptr, EVP_PKEY_free};
  EVP_PKEY* key = is_private ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                             : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ERR_clear_error();  // a refused key leaves nothing behind for the next caller to misread
  return {key, EVP_PKEY_free};
}

}  // namespace

bool ed25519_verify(std::string_view public_pem, std::string_view payload,
                    std::string_view signature_base64) {
  PkeyPtr key = read_pem(public_pem, false);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) return false;
  if (signature_base64.size() != 88) return false;
  unsigned char raw[66];
  const int n =
      EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(signature_base64.data()),
                      static_cast<int>(signature_base64.size()));
  if (n != 66) return false;  // 64 bytes plus the two padding bytes EVP_DecodeBlock counts
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), raw, 64,
                          reinterpret_cast<const unsigned char*>(payload.data()),
                          payload.size()) == 1;
}

Expected<RequestSigner, std::string> RequestSigner::make(std::string_view secret) {
  RequestSigner s;
  if (!is_ed25519_private_pem(secret)) {
    s.hmac_secret_ = secret;
    return s;
  }
  PkeyPtr key = read_pem(secret, true);
  if (!key || EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return Unexpected(std::string("the private key is not an Ed25519 key in PEM (PKCS#8)"));
  }
  s.kind_ = Kind::kEd25519;
  s.ed25519_key_ = std::shared_ptr<void>(key.release(),
                                         [](void* k) { EVP_PKEY_free(static_cast<EVP_PKEY*>(k)); });
  return s;
}

std::size_t RequestSigner::sign_into(std::string_view payload, std::span<char> out) const noexcept {
  if (out.size() < kMaxSignatureChars) return 0;
  const auto* data = reinterpret_cast<const unsigned char*>(payload.data());
  if (kind_ == Kind::kHmac) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha256(), hmac_secret_.data(), static_cast<int>(hmac_secret_.size()), data,
             payload.size(), mac, &mac_len) == nullptr) {
      return 0;
    }
    for (unsigned int i = 0; i < mac_len; ++i) {
      out[2 * i] = kHexDigits[mac[i] >> 4];
      out[2 * i + 1] = kHexDigits[mac[i] & 0x0F];
    }
    return 2 * mac_len;
  }
  auto* key = static_cast<EVP_PKEY*>(ed25519_key_.get());
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  std::size_t sig_len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, data, payload.size()) != 1) {
    return 0;
  }
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), sig, static_cast<int>(sig_len));
  return n < 0 ? 0 : static_cast<std::size_t>(n);
}

std::string RequestSigner::sign(std::string_view payload) const {
  char buffer[kMaxSignatureChars + 4];
  return std::string(buffer, sign_into(payload, buffer));
}

}  // namespace be::binance
