// Users and accounts commands (engine/control.hpp, docs/ACCOUNTS.md): validated against the
// directory as last published, with every bad field named, then journaled as an
// OperatorCommand (with who issued it) and the kBlob holding its JSON; the fold applies them
// (engine/directory.hpp). Directory commands, and the account checks of bot commands, run one
// at a time (directory_mutex) and each answer waits for a read model that shows it, so the
// next one is validated against the state it will be applied to. The audit log of every
// journaled operator command lives here too.
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

CommandResult missing(std::string what) {
  CommandResult r;
  r.status = CommandStatus::kNotFound;
  r.message = std::move(what);
  return r;
}

// The API route each command comes from (what the audit shows; docs/API.md).
constexpr std::array<Named<OperatorCommandKind>, 22> kRoutes{{
    {OperatorCommandKind::kCreateBot, "POST /api/v1/bots"},
    {OperatorCommandKind::kUpdateBot, "PUT /api/v1/bots/{id}"},
    {OperatorCommandKind::kDeleteBot, "DELETE /api/v1/bots/{id}"},
    {OperatorCommandKind::kStartBot, "POST /api/v1/bots/{id}/start"},
    {OperatorCommandKind::kStopBot, "POST /api/v1/bots/{id}/stop"},
    {OperatorCommandKind::kPauseBot, "POST /api/v1/bots/{id}/pause"},
    {OperatorCommandKind::kResumeBot, "POST /api/v1/bots/{id}/resume"},
    {OperatorCommandKind::kKillSwitchSet,
     "POST /api/v1/kill-switch | PUT /api/v1/accounts/{id}/kill-switch"},
    {OperatorCommandKind::kKillSwitchReset,
     "POST /api/v1/kill-switch | DELETE /api/v1/accounts/{id}/kill-switch"},
    {OperatorCommandKind::kCircuitReset, "POST /api/v1/bots/{id}/start"},
    {OperatorCommandKind::kRestartBot, "POST /api/v1/bots/{id}/restart"},
    {OperatorCommandKind::kShutdown, "engine: shutdown"},
    {OperatorCommandKind::kDiskReserveSet, "engine: disk watch"},
    {OperatorCommandKind::kDiskReserveReset, "engine: disk watch"},
    {OperatorCommandKind::kCreateUser, "POST /api/v1/users"},
    {OperatorCommandKind::kUpdateUser, "PATCH /api/v1/users/{id} | POST /api/v1/users/{id}/token"},
    {OperatorCommandKind::kCreateAccount, "POST /api/v1/accounts"},
    {OperatorCommandKind::kRemoveAccount, "DELETE /api/v1/accounts/{id}"},
    {OperatorCommandKind::kAttachKey, "POST /api/v1/accounts/{id}/keys"},
    {OperatorCommandKind::kDryRunSet, "engine: start (run --dry-run)"},
    {OperatorCommandKind::kDryRunReset, "engine: start"},
    {OperatorCommandKind::kCreateBots, "POST /api/v1/bots/bulk"},
}};

// An account's kill switch has its own route (POST /api/v1/kill-switch with "scope":"account"
// does the same; the audit names the account's).
std::string route_of(const OperatorCommand& c) {
  if (c.scope == CommandScope::kAccount) {
    if (c.kind == OperatorCommandKind::kKillSwitchSet)
      return "PUT /api/v1/accounts/{id}/kill-switch";
    if (c.kind == OperatorCommandKind::kKillSwitchReset) {
      return "DELETE /api/v1/accounts/{id}/kill-switch";
    }
  }
  return std::string(name_of(kRoutes, c.kind, ""));
}

std::string target_of(const OperatorCommand& c) {
  using K = OperatorCommandKind;
  switch (c.kind) {
    case K::kCreateUser:
    case K::kUpdateUser:
      return "user " + std::to_string(c.account);
    case K::kCreateAccount:
    case K::kRemoveAccount:
    case K::kAttachKey:
      return "account " + std::to_string(c.account);
    case K::kCreateBots:
      return "bots " + std::to_string(index_of(c.bot)) + ".." +
             std::to_string(index_of(c.bot) + c.count - 1);
    case K::kShutdown:
    case K::kDiskReserveSet:
    case K::kDiskReserveReset:
    case K::kDryRunSet:
    case K::kDryRunReset:
      return "global";
    default:
      if (c.scope == CommandScope::kAccount) return "account " + std::to_string(c.account);
      if (c.bot == kNoBot) return "global";
      return "bot " + std::to_string(index_of(c.bot));
  }
}

// Directory commands are an admin's: the API checks the caller's role, and the engine does
// too, so a user id that is not an enabled admin never reaches them. The engine itself (the
// import) may, and so may anyone while the directory holds no user (a deployment before its
// first import).
bool may_manage(const Directory& d, UserId by) {
  if (by == kEngineUser || d.users().empty()) return true;
  const DirectoryUser* u = d.user(by);
  return u != nullptr && u->admin && !u->disabled;
}

}  // namespace

std::shared_ptr<const Directory> Engine::Impl::published_directory() const {
  std::lock_guard lock(model_mutex);
  return directory_view;
}

CommandResult Engine::Impl::submit_directory(OperatorCommand c, std::uint32_t blob_kind,
                                             const std::string* blob) {
  CommandResult r = submit(c, blob, blob_kind);
  if (r.status == CommandStatus::kAccepted) r.created_id = c.account;
  return r;
}

namespace {

// One directory command: the issuer's right, then `check` against the published directory
// (the command's target id; or nothing, with every bad field in `errors` or the answer in
// `refused`), then the journal (the JSON as its blob of `blob_kind`; 0: none).
template <class Check>
CommandResult directory_command(Engine::Impl& im, UserId by, OperatorCommandKind kind,
                                std::uint32_t blob_kind, std::string_view json, Check check) {
  std::lock_guard serial(im.directory_mutex);
  const auto d = im.published_directory();
  if (!may_manage(*d, by)) return missing("users and accounts are managed by an admin");
  std::vector<config::FieldError> errors;
  CommandResult refused;
  const std::optional<std::uint32_t> target = check(*d, errors, refused);
  if (!target) return errors.empty() ? refused : invalid_command(std::move(errors));
  OperatorCommand c;
  c.kind = kind;
  c.user_id = index_of(by);
  c.account = *target;
  const std::string blob(json);
  return im.submit_directory(c, blob_kind, blob_kind == 0 ? nullptr : &blob);
}

using Errors = std::vector<config::FieldError>;

// The account a command is about, when it exists and is not removed.
std::optional<std::uint32_t> live_account(const Directory& d, AccountId account,
                                          CommandResult& refused) {
  const DirectoryAccount* a = d.account(account);
  if (a != nullptr && !a->removed) return index_of(account);
  refused = missing("no such account");
  return std::nullopt;
}

}  // namespace

CommandResult Engine::create_user(UserId by, std::string_view json) {
  return directory_command(*impl_, by, OperatorCommandKind::kCreateUser, kUserBlobKind, json,
                           [&](const Directory& d, Errors& errors, CommandResult&) {
                             return d.check_create_user(json, errors)
                                        ? std::optional(index_of(d.next_user()))
                                        : std::nullopt;
                           });
}

CommandResult Engine::update_user(UserId by, UserId user, std::string_view json) {
  return directory_command(*impl_, by, OperatorCommandKind::kUpdateUser, kUserBlobKind, json,
                           [&](const Directory& d, Errors& errors, CommandResult& refused) {
                             if (d.user(user) == nullptr) {
                               refused = missing("no such user");
                               return std::optional<std::uint32_t>();
                             }
                             return d.check_update_user(user, json, errors)
                                        ? std::optional(index_of(user))
                                        : std::nullopt;
                           });
}

CommandResult Engine::create_account(UserId by, std::string_view json) {
  const std::uint32_t cap = config_.max_live_accounts;
  return directory_command(
      *impl_, by, OperatorCommandKind::kCreateAccount, kAccountBlobKind, json,
      [&](const Directory& d, Errors& errors,
          CommandResult& refused) -> std::optional<std::uint32_t> {
        const auto request = d.check_create_account(json, errors);
        if (!request) return std::nullopt;
        // One runner's gateways share its I/O threads: it is sized for this many live
        // accounts (EngineConfig::max_live_accounts); removed ones no longer count.
        const auto live =
            std::count_if(d.accounts().begin(), d.accounts().end(),
                          [](const DirectoryAccount& a) { return a.live() && !a.removed; });
        if (request->account.live() && static_cast<std::uint64_t>(live) >= cap) {
          refused.status = CommandStatus::kConflict;
          refused.message = "this runner already has " + std::to_string(live) +
                            " live accounts, its cap (engine.max_live_accounts " +
                            std::to_string(cap) + ")";
          return std::nullopt;
        }
        return index_of(d.next_account());
      });
}

CommandResult Engine::remove_account(UserId by, AccountId account) {
  return directory_command(*impl_, by, OperatorCommandKind::kRemoveAccount, 0, "",
                           [&](const Directory& d, Errors&, CommandResult& refused) {
                             return live_account(d, account, refused);
                           });
}

CommandResult Engine::attach_key(UserId by, AccountId account, std::string_view key_name,
                                 std::string_view key_fingerprint) {
  // Only the name and the fingerprint: the JSON is built here, escaped, never from the key.
  std::string json = "{\"key_name\":";
  config::append_json_string(json, key_name);
  json += ",\"key_fingerprint\":";
  config::append_json_string(json, key_fingerprint);
  json += "}";
  return directory_command(
      *impl_, by, OperatorCommandKind::kAttachKey, kKeyBlobKind, json,
      [&](const Directory& d, Errors& errors, CommandResult& refused) {
        if (key_name.empty() || key_name.size() > 64)
          errors.push_back({"key_name", "must be 1 to 64 characters"});
        if (key_fingerprint.size() != 64 ||
            key_fingerprint.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
          errors.push_back(
              {"key_fingerprint", "must be 64 lowercase hex digits (SHA-256 of the key id)"});
        }
        const auto target = live_account(d, account, refused);
        return errors.empty() ? target : std::nullopt;
      });
}

// ---- Import -----------------------------------------------------------------------------------

// The tokens file's users, journaled by the engine itself (user 0) when the journal holds
// none, in file order so that each keeps its id (line n: user n). Each gets a paper account:
// the first user account 0 (the deployment's paper account, whose balances the journal
// already holds: it is credited nothing more), every other one an account of its own opened
// with the deployment's paper balances.
Expected<bool, std::string> Engine::import_users() {
  if (config_.initial_users.empty() || !impl_->published_directory()->users().empty()) return true;
  std::uint32_t line = 0;
  for (const EngineConfig::InitialUser& u : config_.initial_users) {
    ++line;
    std::string json = "{\"name\":";
    config::append_json_string(json, u.name);
    json += u.admin ? ",\"role\":\"admin\"" : ",\"role\":\"user\"";
    json += ",\"token_sha256\":";
    config::append_json_string(json, u.token_sha256);
    json += "}";
    const CommandResult user = create_user(kEngineUser, json);
    if (user.status != CommandStatus::kAccepted) {
      return Unexpected("importing user " + std::to_string(line) + " (" + u.name +
                        "): " + user.message);
    }
    if (user.created_id != line) {
      return Unexpected("importing user " + std::to_string(line) + ": got id " +
                        std::to_string(user.created_id));
    }
    std::string account = "{\"owner\":" + std::to_string(line) + ",\"name\":\"paper\"";
    account += line == 1 ? ",\"balances\":{}}" : "}";
    const CommandResult a = create_account(kEngineUser, account);
    if (a.status != CommandStatus::kAccepted) {
      return Unexpected("importing user " + std::to_string(line) + "'s account: " + a.message);
    }
  }
  return true;
}

// ---- Audit -------------------------------------------------------------------------------------

void Engine::Impl::note_audit(const Event& e, std::string outcome) {
  const auto c = e.as<OperatorCommand>();
  std::lock_guard lock(audit_mutex);
  if (!audit_log.empty() && audit_log.back().seq >= e.header.sequence) return;  // seen at recovery
  if (audit_log.size() >= kMaxAudit)
    audit_log.erase(audit_log.begin(), audit_log.begin() + kMaxAudit / 8);
  audit_log.push_back(AuditEntry{e.header.sequence, e.header.event_time, UserId{c.user_id},
                                 std::string(to_string(c.kind)), route_of(c), target_of(c),
                                 outcome.empty() ? "applied" : std::move(outcome)});
}

std::vector<AuditEntry> Engine::audit(SequenceNumber after, std::size_t max) const {
  std::lock_guard lock(impl_->audit_mutex);
  const auto& log = impl_->audit_log;
  auto from = std::upper_bound(log.begin(), log.end(), after,
                               [](SequenceNumber s, const AuditEntry& a) { return s < a.seq; });
  std::vector<AuditEntry> out;
  for (; from != log.end() && out.size() < max; ++from)
    out.push_back(*from);
  return out;
}

}  // namespace be::engine
