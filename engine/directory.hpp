// The directory: users and the accounts they own, as a part of the fold (docs/ACCOUNTS.md).
// Every change is a journaled OperatorCommand (kCreateUser .. kAttachKey) whose JSON rides in
// the kBlob input before it, so live running, recovery and `replay --verify` rebuild the same
// users and accounts from the journal, and the directory is in the fold's snapshot and hash.
//
// Ids: users dense from 1 (0 is the engine itself), accounts from 0; never reused. The engine
// picks the next id when it journals a create (the answer names it) and the fold refuses a
// create whose id is not the next one, so ids cannot diverge between the two.
//
// The same parsing and checks serve the engine's validation (every bad field named before
// anything is journaled) and the fold's apply (a command that no longer holds, e.g. a
// duplicate name journaled by a racing request, is refused and the refusal is its outcome).
//
// Determinism: no clock, no I/O; ordered containers only. Thread-safety: none (the fold's
// strategy phase owns it; the engine reads a copy published with the read model).
// Allocation: commands and snapshots only (control path).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/blobs.hpp"
#include "core/event.hpp"
#include "core/json_config.hpp"
#include "core/state_io.hpp"
#include "oms/paper_venue.hpp"
#include "risk/types.hpp"

namespace be::engine {

// Blob kinds of the directory's commands (Blob.kind; engine.hpp lists them all). Journaled
// numbers: append, never renumber.
inline constexpr std::uint32_t kUserBlobKind = 3;     // create_user / update_user JSON
inline constexpr std::uint32_t kAccountBlobKind = 4;  // create_account JSON
inline constexpr std::uint32_t kKeyBlobKind = 5;      // attach_key: key name and fingerprint

// Users per deployment. Each imported user gets a paper account, so accounts (FoldConfig's
// account capacity) are the tighter bound in practice.
inline constexpr std::uint32_t kMaxUsers = 4096;

struct DirectoryUser {
  std::string name;
  bool admin = false;
  bool disabled = false;
  std::string token_sha256;
  SequenceNumber changed = 0;  // ordinal of the last command that changed it
};

struct DirectoryAccount {
  UserId owner{};
  std::string name, venue, mode, endpoint, rest_url, ws_api_url, stream_url;
  std::string key_name, key_fingerprint;
  std::string limits_json;  // the account's risk limits as given ("" none)
  bool removed = false;
  SequenceNumber changed = 0;
  bool live() const noexcept { return mode == "live"; }
};

// What the fold needs to know of the deployment to apply account commands: asset names and
// scales by AssetId (engine/format.hpp's InstrumentTable order), the scales account limits
// are read at, the paper balances a paper account opens with when its command names none,
// and how many accounts the fold's tables hold.
struct DirectoryConfig {
  struct Asset {
    std::string name;
    int scale = 8;
  };
  std::vector<Asset> assets;
  int limit_price_scale = 8;
  int limit_qty_scale = 8;
  std::vector<oms::PaperStartingBalance> default_opening;  // account field ignored
  std::uint32_t max_accounts = 0;
};

// What one input did to the directory, for the fold's later phases (FoldBatch::directory):
// a paper account to credit, account limits for risk.
struct DirectoryEffect {
  bool command = false;  // the input was a directory command
  std::string refusal;   // "" when applied; else why the fold refused it
  AccountId account = kNoAccount;
  bool open_paper = false;
  bool open_live = false;  // a live account was created: the order stage routes it live
  std::vector<oms::PaperStartingBalance> credits;  // account set
  std::optional<risk::AccountConfig> limits;
  void clear() {
    command = false;
    refusal.clear();
    account = kNoAccount;
    open_paper = false;
    open_live = false;
    credits.clear();
    limits.reset();
  }
};

class Directory {
 public:
  explicit Directory(DirectoryConfig config) : config_(std::move(config)) {}

  // ---- Requests, parsed and checked (engine validation and fold apply alike) -------------
  // Each appends every bad field to `errors`; `self` is the user an update is about.
  std::optional<DirectoryUser> check_create_user(std::string_view json,
                                                 std::vector<config::FieldError>& errors) const;
  std::optional<DirectoryUser> check_update_user(UserId self, std::string_view json,
                                                 std::vector<config::FieldError>& errors) const;
  struct AccountRequest {
    DirectoryAccount account;
    std::vector<oms::PaperStartingBalance> opening;  // paper
    std::optional<risk::AccountConfig> limits;
  };
  std::optional<AccountRequest> check_create_account(std::string_view json,
                                                     std::vector<config::FieldError>& errors) const;
  // The account a bot of `owner` may trade on: `requested`, else the owner's first account
  // that is not removed. Errors name the "account" field.
  std::optional<AccountId> bot_account(UserId owner, std::optional<std::uint32_t> requested,
                                       std::vector<config::FieldError>& errors) const;

  // ---- The fold ---------------------------------------------------------------------------
  // One input (header.sequence = its ordinal): kBlob inputs of the directory's kinds are
  // kept until their command; commands are applied or refused (effect says which).
  void on_input(const Event& input, DirectoryEffect& effect);
  // A kCreateBot command's account as the fold applies it: unchanged when the directory is
  // empty (journals from before users: account 0) or when the account is the owner's and not
  // removed; kNoAccount otherwise (the bot then cannot trade).
  AccountId resolve_bot_account(UserId owner, AccountId requested) const noexcept;

  bool empty() const noexcept { return users_.empty() && accounts_.empty(); }
  std::span<const DirectoryUser> users() const noexcept { return users_; }  // [i]: user i + 1
  std::span<const DirectoryAccount> accounts() const noexcept { return accounts_; }
  const DirectoryUser* user(UserId id) const noexcept;
  const DirectoryAccount* account(AccountId id) const noexcept;
  UserId next_user() const noexcept {
    return UserId{static_cast<std::uint32_t>(users_.size() + 1)};
  }
  AccountId next_account() const noexcept {
    return AccountId{static_cast<std::uint32_t>(accounts_.size())};
  }
  const DirectoryConfig& config() const noexcept { return config_; }

  // ---- Snapshot ---------------------------------------------------------------------------
  std::uint64_t state_hash() const noexcept;
  void save(state_io::Writer& w) const;
  bool load(state_io::Reader& r);  // false: the bytes end first (nothing usable)

 private:
  std::string apply(const OperatorCommand& c, SequenceNumber at, std::optional<std::string> blob,
                    DirectoryEffect& effect);
  template <class Sink>
  void put_all(Sink& out) const;

  DirectoryConfig config_;
  std::vector<DirectoryUser> users_;
  std::vector<DirectoryAccount> accounts_;
  SeenBlobs blobs_;
};

}  // namespace be::engine
