// FakeControlPlane's users, accounts and audit: the behaviour engine/control.hpp describes,
// in memory, so the API's routes are tested for real (validation, ownership, the audit) while
// the engine's implementation is built elsewhere.
#include <algorithm>

#include "core/json_config.hpp"
#include "tests/api/fake_control_plane.hpp"

namespace be::api::test {

using engine::AccountView;
using engine::CommandResult;
using engine::CommandStatus;
using engine::UserView;

namespace {

CommandResult refused(CommandStatus s, std::string message,
                      std::vector<config::FieldError> errors = {}) {
  CommandResult r;
  r.status = s;
  r.message = std::move(message);
  r.errors = std::move(errors);
  return r;
}

// The command's token hash, when present: 64 lowercase hex digits.
std::optional<std::string> token_hash(config::ObjectReader& r, config::Presence presence);

bool lower_hex(std::string_view text, std::size_t size) {
  return text.size() == size && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::optional<std::string> token_hash(config::ObjectReader& r, config::Presence presence) {
  auto token = r.string("token_sha256", presence);
  if (token && !lower_hex(*token, 64)) r.error("token_sha256", "must be 64 lowercase hex");
  return token;
}

// Parses `json` as an object for `read`, which names the fields it takes; every bad one is
// an error of the kInvalid answer.
template <class Read>
std::optional<CommandResult> read_object(std::string_view json, Read&& read) {
  auto parsed = config::parse(json);
  if (!parsed || parsed->kind != config::Value::Kind::kObject)
    return refused(CommandStatus::kInvalid, "the command must be a JSON object");
  std::vector<config::FieldError> errors;
  config::ObjectReader reader(*parsed, "", errors);
  read(reader);
  reader.finish();
  if (errors.empty()) return std::nullopt;
  return refused(CommandStatus::kInvalid, "invalid command", std::move(errors));
}

// create_user's and update_user's fields: create needs name, role and token_sha256; an update
// takes any of disabled, role and token_sha256.
struct UserFields {
  std::optional<std::string> name, role, token;
  std::optional<bool> disabled;
};
std::optional<CommandResult> read_user_fields(std::string_view json, bool create, UserFields& out) {
  const auto presence = create ? config::Presence::kRequired : config::Presence::kOptional;
  return read_object(json, [&](config::ObjectReader& r) {
    if (create) out.name = r.string("name", presence);
    if (!create) out.disabled = r.boolean("disabled", presence);
    out.role = r.string("role", presence, {"admin", "user"});
    out.token = token_hash(r, presence);
  });
}

}  // namespace

UserView* FakeControlPlane::find_user_locked(UserId id) {
  for (UserView& u : users_)
    if (u.id == id) return &u;
  return nullptr;
}

AccountView* FakeControlPlane::find_account_locked(AccountId id) {
  for (AccountView& a : accounts_)
    if (a.id == id) return &a;
  return nullptr;
}

CommandResult FakeControlPlane::audited_locked(UserId by, std::string_view command,
                                               std::string target, CommandResult result) {
  engine::AuditEntry e;
  // A refused command is journaled too (the fold refuses it): the audit shows both.
  e.seq = ++sequence_;
  e.time = 1'700'000'000'000'000'000 + static_cast<Nanos>(e.seq);
  e.user = by;
  e.command = std::string(command);
  e.target = std::move(target);
  e.outcome = result.status == CommandStatus::kAccepted ? std::string("applied") : result.message;
  audit_.push_back(std::move(e));
  result.sequence = sequence_;
  publish_locked();
  return result;
}

void FakeControlPlane::import_users(const std::vector<TokenStore::Entry>& users) {
  std::lock_guard lock(mutex_);
  if (!users_.empty()) return;
  for (const TokenStore::Entry& entry : users) {
    UserView u;
    u.id = UserId{static_cast<std::uint32_t>(users_.size() + 1)};
    u.name = entry.name;
    u.admin = entry.admin;
    u.token_sha256 = entry.token_sha256;
    users_.push_back(std::move(u));
    audited_locked(kEngineUser, "create_user", "user " + std::to_string(users_.size()), {});
  }
  // As the engine imports (engine/directory_commands.cpp): account 0 to the first user, a paper
  // account named "paper" with the deployment's paper balances to every other one.
  for (const UserView& u : users_) {
    AccountView paper;
    paper.id = AccountId{static_cast<std::uint32_t>(accounts_.size())};
    paper.owner = u.id;
    paper.name = "paper";
    paper.venue = "binance";
    paper.mode = "paper";
    paper.balances = {{"USDT", "10000.00000000", "0.00000000"},
                      {"BTC", "0.00000000", "0.00000000"}};
    accounts_.push_back(std::move(paper));
    audited_locked(kEngineUser, "create_account", "account " + std::to_string(accounts_.size() - 1),
                   {});
  }
}

CommandResult FakeControlPlane::create_user(UserId by, std::string_view json) {
  UserFields f;
  if (auto bad = read_user_fields(json, true, f)) return *bad;
  const auto& [name, role, token, disabled] = f;
  std::lock_guard lock(mutex_);
  for (const UserView& u : users_) {
    if (u.name == *name) {
      return audited_locked(by, "create_user", "user " + *name,
                            refused(CommandStatus::kConflict, "user `" + *name + "` exists"));
    }
  }
  UserView u;
  u.id = UserId{static_cast<std::uint32_t>(users_.size() + 1)};
  u.name = *name;
  u.admin = *role == "admin";
  u.token_sha256 = *token;
  users_.push_back(u);
  CommandResult r;
  r.created_id = index_of(u.id);
  r = audited_locked(by, "create_user", "user " + std::to_string(r.created_id), r);
  users_.back().changed = r.sequence;
  publish_locked();
  return r;
}

CommandResult FakeControlPlane::update_user(UserId by, UserId user, std::string_view json) {
  UserFields f;
  if (auto bad = read_user_fields(json, false, f)) return *bad;
  const auto& [name, role, token, disabled] = f;
  std::lock_guard lock(mutex_);
  const std::string target = "user " + std::to_string(index_of(user));
  UserView* u = find_user_locked(user);
  if (u == nullptr) {
    return audited_locked(by, "update_user", target,
                          refused(CommandStatus::kNotFound, "no such user"));
  }
  if (disabled) u->disabled = *disabled;
  if (role) u->admin = *role == "admin";
  if (token) u->token_sha256 = *token;
  CommandResult r = audited_locked(by, token ? "rotate_token" : "update_user", target, {});
  find_user_locked(user)->changed = r.sequence;
  publish_locked();
  return r;
}

CommandResult FakeControlPlane::create_account(UserId by, std::string_view json) {
  std::optional<std::int64_t> owner;
  std::optional<std::string> name, venue, mode, endpoint;
  std::vector<engine::BalanceView> balances;
  if (auto bad = read_object(json, [&](config::ObjectReader& r) {
        owner = r.integer("owner", config::Presence::kRequired, 1, 0xFFFF'FFFEll);
        name = r.string("name", config::Presence::kRequired);
        venue = r.string("venue", config::Presence::kRequired, {"binance"});
        mode = r.string("mode", config::Presence::kRequired, {"paper", "live"});
        const bool live = mode && *mode == "live";
        endpoint =
            r.string("endpoint", live ? config::Presence::kRequired : config::Presence::kOptional,
                     {"production", "testnet", "sim"});
        if (name && (name->empty() || name->size() > 64))
          r.error("name", "must be 1 to 64 characters");
        if (const config::Value* b = r.object_value("balances")) {
          for (std::size_t i = 0; i < b->keys.size(); ++i) {
            if (b->values[i].kind != config::Value::Kind::kString) {
              r.error("balances." + b->keys[i], "must be a decimal string");
            } else {
              balances.push_back({b->keys[i], b->values[i].text, "0"});
            }
          }
        }
        r.object_value("limits");
      })) {
    return *bad;
  }
  std::lock_guard lock(mutex_);
  const UserView* u = find_user_locked(UserId{static_cast<std::uint32_t>(*owner)});
  if (u == nullptr || u->disabled) {
    return audited_locked(by, "create_account", "user " + std::to_string(*owner),
                          refused(CommandStatus::kInvalid, "no such user",
                                  {{"owner", "no enabled user " + std::to_string(*owner)}}));
  }
  for (const AccountView& a : accounts_) {
    if (a.owner == u->id && a.name == *name && !a.removed) {
      return audited_locked(
          by, "create_account", "user " + std::to_string(*owner),
          refused(CommandStatus::kConflict, "user " + u->name + " has an account `" + *name + "`"));
    }
  }
  AccountView a;
  a.id = AccountId{static_cast<std::uint32_t>(accounts_.size())};
  a.owner = u->id;
  a.name = *name;
  a.venue = *venue;
  a.mode = *mode;
  a.endpoint = endpoint.value_or("");
  // As the engine with no runner attaching gateways (replay, tests): a live account has none.
  a.connection = a.mode == "live" ? "no_gateway" : "paper";
  a.balances = std::move(balances);
  accounts_.push_back(std::move(a));
  CommandResult r;
  r.created_id = static_cast<std::uint32_t>(accounts_.size() - 1);
  return audited_locked(by, "create_account", "account " + std::to_string(r.created_id), r);
}

template <class Apply>
CommandResult FakeControlPlane::on_account(UserId by, std::string_view command, AccountId account,
                                           Apply&& apply) {
  std::lock_guard lock(mutex_);
  const std::string target = "account " + std::to_string(index_of(account));
  AccountView* a = find_account_locked(account);
  std::optional<CommandResult> refusal;
  if (a == nullptr || a->removed) {
    refusal = refused(CommandStatus::kNotFound, "no such account");
  } else {
    refusal = apply(*a);
  }
  return audited_locked(by, command, target, refusal.value_or(CommandResult{}));
}

CommandResult FakeControlPlane::remove_account(UserId by, AccountId account) {
  return on_account(
      by, "remove_account", account, [](AccountView& a) -> std::optional<CommandResult> {
        if (a.bots > 0) {
          return refused(CommandStatus::kConflict,
                         std::to_string(a.bots) + " bots trade on it: delete them first");
        }
        a.removed = true;
        return std::nullopt;
      });
}

CommandResult FakeControlPlane::attach_key(UserId by, AccountId account, std::string_view key_name,
                                           std::string_view key_fingerprint) {
  if (key_name.empty() || !lower_hex(key_fingerprint, 64)) {
    return refused(CommandStatus::kInvalid, "invalid key",
                   {{"key_fingerprint", "must be 64 lowercase hex digits"}});
  }
  return on_account(by, "attach_key", account, [&](AccountView& a) -> std::optional<CommandResult> {
    a.key_name = std::string(key_name);
    a.key_fingerprint = std::string(key_fingerprint);
    return std::nullopt;
  });
}

std::vector<engine::AuditEntry> FakeControlPlane::audit(SequenceNumber after,
                                                        std::size_t max) const {
  std::lock_guard lock(mutex_);
  std::vector<engine::AuditEntry> out;
  for (const engine::AuditEntry& e : audit_) {
    if (e.seq <= after) continue;
    if (out.size() == max) break;
    out.push_back(e);
  }
  return out;
}

void FakeControlPlane::change_account(AccountId account,
                                      const std::function<void(engine::AccountView&)>& change) {
  std::lock_guard lock(mutex_);
  if (AccountView* a = find_account_locked(account)) change(*a);
  publish_locked();
}

void FakeControlPlane::assign_account(BotId bot, AccountId account) {
  std::lock_guard lock(mutex_);
  for (engine::BotView& b : bots_) {
    if (b.id != bot) continue;
    if (AccountView* old = find_account_locked(b.account); old != nullptr && old->bots > 0)
      --old->bots;
    b.account = account;
    if (AccountView* a = find_account_locked(account)) ++a->bots;
  }
  publish_locked();
}

}  // namespace be::api::test
