// Who is calling: API tokens read from a file of hashed tokens, mapped to users.
//
// The tokens file holds one user per line, `<user name> <role> <sha256 hex of the token>`,
// role `admin` or `user`; `#` starts a comment, blank lines are ignored:
//
//   # botengine API tokens (sha256 of each token; the tokens themselves are never stored)
//   admin admin 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//   alice user  2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
//
// Users get dense UserIds by their order in the file, from 1 (0 is the engine itself), so
// the ids journaled with operator commands stay stable as long as lines are only appended.
// The file is imported into the journal at the first start of a version with users and
// accounts (EngineConfig::initial_users, initial_users() below); from then on the journal's
// users (ReadModel::users, authenticate_users()) are the truth and the file is only read
// while the engine has no users yet.
// A presented token is hashed and compared with every entry in constant time (no early exit,
// CRYPTO_memcmp), so timing tells an attacker nothing about which prefix matched.
//
// Thread-safety: a TokenStore is immutable after load(); share it freely. Errors: load()
// names the line and what is wrong with it; nothing here throws.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "engine/control.hpp"

namespace be::api {

using TokenHash = std::array<std::uint8_t, 32>;

struct User {
  UserId id{};
  std::string name;
  bool admin = false;
};

class TokenStore {
 public:
  // Parses the text of a tokens file; every bad line is reported (one per line of the error).
  static Expected<TokenStore, std::string> parse(std::string_view text);
  static Expected<TokenStore, std::string> load(const std::filesystem::path& path);

  // The user a token belongs to, or nullptr. Constant time in the token's content.
  const User* authenticate(std::string_view token) const noexcept;
  const User* find(UserId id) const noexcept;
  const std::vector<User>& users() const noexcept { return users_; }
  // The users as the engine imports them (EngineConfig::initial_users), in file order.
  struct Entry {
    std::string name;
    bool admin = false;
    std::string token_sha256;  // 64 lowercase hex digits
  };
  std::vector<Entry> entries() const;

 private:
  std::vector<User> users_;
  std::vector<TokenHash> hashes_;  // hashes_[i] is users_[i]'s
};

// The journal's user whose token this is, or nullopt: a disabled user, an unknown or empty
// token. Constant time in the token's content, as TokenStore::authenticate.
std::optional<User> authenticate_users(const std::vector<engine::UserView>& users,
                                       std::string_view token);

// 32 random bytes from OpenSSL's RAND_bytes as 64 lowercase hex digits. Empty on the (rare)
// failure of the random generator: callers must treat that as an error.
std::string generate_token();
// SHA-256 of the token's bytes as 64 lowercase hex digits (what the tokens file stores).
std::string hash_token(std::string_view token);

// First start: when `path` does not exist, creates it (mode 0600, O_EXCL so two starts never
// race) holding one admin entry for a fresh token and returns that token, which the caller
// shows or stores (e.g. ./data/admin.token) since only its hash is kept. When the file
// already exists, returns nullopt and leaves it alone. Errors: the file cannot be created.
Expected<std::optional<std::string>, std::string> ensure_tokens_file(
    const std::filesystem::path& path, std::string_view admin_name = "admin");

// Writes `text` to a new or truncated file readable only by its owner (mode 0600), e.g. the
// demo's ./data/admin.token. Errors name the path and the system error.
Expected<bool, std::string> write_private_file(const std::filesystem::path& path,
                                               std::string_view text);

}  // namespace be::api
