// API keys encrypted at rest, and the holder that keeps them out of logs and memory dumps.
//
// Key file (all integers little-endian); the first 24 bytes are the AEAD's associated data,
// so a changed header fails authentication like a changed ciphertext:
//
//   0        6     7      8              20          24                     24+n     24+n+16
//   +--------+-----+------+--------------+-----------+----------------------+--------+
//   | BEKEYS | ver | algo | nonce (12 B) | n (u32)   | ciphertext (n bytes) | tag    |
//   +--------+-----+------+--------------+-----------+----------------------+--------+
//   ver = 1, algo = 1 (AES-256-GCM, OpenSSL EVP), nonce random per encryption (RAND_bytes).
//   plaintext = u16 key length | API key | u16 secret length | API secret
//   (the secret: an HMAC secret, or an Ed25519 private key in PEM, PKCS#8, which the gateway
//   recognises by its BEGIN line: signing.hpp's RequestSigner)
//
// The master key is 32 bytes written as 64 hex characters (a trailing newline allowed),
// either in a file that must not be readable by group or others (mode 0600 or 0400; refused
// otherwise with a clear error) or in the BE_MASTER_KEY environment variable. This library
// never reads the environment itself: the caller passes the variable's value in.
//
// Secrets never appear in an error message, a log line or an exception; SecretString has no
// stream operator and wipes (OPENSSL_cleanse) its bytes when destroyed or wiped.
//
// Thread-safety: functions are reentrant; a SecretString is owned by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace be::binance {

class SecretString {
 public:
  SecretString() = default;
  explicit SecretString(std::string_view value);
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString() { wipe(); }

  // The bytes, for the one call that needs them (HMAC, the X-MBX-APIKEY header). Valid
  // until this holder is wiped, moved from or destroyed.
  std::string_view reveal() const noexcept { return {data_.get(), size_}; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept { return size_; }
  void wipe() noexcept;

  // Printing a secret is a compile error, not a habit to catch in review.
  friend std::ostream& operator<<(std::ostream&, const SecretString&) = delete;

 private:
  std::unique_ptr<char[]> data_;
  std::size_t size_ = 0;
};

struct ApiCredentials {
  SecretString api_key;
  SecretString secret;
};

inline constexpr std::size_t kMasterKeyBytes = 32;
inline constexpr std::string_view kMasterKeyEnv = "BE_MASTER_KEY";
inline constexpr std::uint8_t kKeyFileVersion = 1;

// 32 key bytes, wiped on destruction (a SecretString of raw bytes).
using MasterKey = SecretString;

// Parses 64 hex characters (surrounding whitespace ignored).
Expected<MasterKey, std::string> master_key_from_hex(std::string_view hex);
// Reads a master key file; refuses one readable or writable by group or others, a symlink,
// or one that is not a regular file.
Expected<MasterKey, std::string> load_master_key_file(const std::string& path);
// The file when `path` is non-empty, else the environment value when given, else an error
// naming both ways.
Expected<MasterKey, std::string> load_master_key(const std::string& path,
                                                 std::optional<std::string_view> env_value);

// Encrypts the credentials into the key-file bytes (fresh random nonce every call).
Expected<std::vector<std::uint8_t>, std::string> encrypt_credentials(const MasterKey& master,
                                                                     std::string_view api_key,
                                                                     std::string_view secret);
// Decrypts and authenticates; a wrong master key, a tampered byte or an unknown version is an
// error (which never echoes a secret).
Expected<ApiCredentials, std::string> decrypt_credentials(const MasterKey& master,
                                                          const std::vector<std::uint8_t>& file);

// File helpers: the key file is written with mode 0600 (temporary file + rename).
Expected<bool, std::string> write_key_file(const std::string& path,
                                           const std::vector<std::uint8_t>& bytes);
Expected<std::vector<std::uint8_t>, std::string> read_key_file(const std::string& path);
Expected<ApiCredentials, std::string> load_credentials(const std::string& key_file,
                                                       const MasterKey& master);

// `botengine keys encrypt|check`, independent of the runner: arguments after "keys",
// the BE_MASTER_KEY value (nullopt when unset), the streams to talk to. The API key and
// secret are read from `in` (two lines) so they never sit in argv or shell history.
//   keys encrypt --master-key-file F --out KEYFILE      (stdin: api key line, secret line;
//                 for an Ed25519 key the secret is its PEM private key, BEGIN to END lines)
//   keys check   --master-key-file F --in KEYFILE        (prints "ok" and the key's length)
// Returns 0 on success, 1 on a failure (message on `err`), 2 on a usage error.
int keys_command(const std::vector<std::string_view>& args,
                 std::optional<std::string_view> env_master_key, std::istream& in,
                 std::ostream& out, std::ostream& err);

}  // namespace be::binance
