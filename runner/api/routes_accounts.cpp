// The control API's users, accounts, keys and audit routes (docs/API.md, "Users and
// accounts"). A user sees their own accounts, an admin every one; users, account creation and
// removal, key uploads and the audit are admin routes (the table's Needs::kAdmin answers 403
// before these run). The engine journals every command with who issued it; bodies are checked
// here first so that a malformed one names every bad field and reaches nothing.
//
// Secrets: a generated token is returned once and only its hash goes to the engine; an
// uploaded API secret goes to RouterOptions::store_key and nowhere else (not to the engine,
// not to a log line, not to an answer: the answer holds the key's fingerprint).
#include <algorithm>
#include <charconv>

#include "runner/api/routes.hpp"
#include "runner/api/views.hpp"

namespace be::api {

using engine::AccountView;
using engine::CommandResult;
using engine::CommandStatus;

namespace {

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kAuditDefaultLimit = 100;
constexpr std::size_t kAuditMaxLimit = 1000;

// Names users and key store entries may have: they reach file names and log lines.
bool plain_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > kMaxNameBytes || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

// The body as a JSON object, or the 422 that says why not.
Expected<config::Value, HttpResponse> body_object(std::string_view body) {
  auto parsed = config::parse(body);
  if (!parsed) return Unexpected(errors_response({{"", "invalid JSON: " + parsed.error()}}));
  if (parsed->kind != config::Value::Kind::kObject)
    return Unexpected(errors_response({{"", "the body must be a JSON object"}}));
  return std::move(*parsed);
}

// Reads the body, a JSON object, with `read(reader, errors)`, which takes its fields and may
// add errors of its own: the 422 naming every bad field, or nothing.
template <class Read>
std::optional<HttpResponse> read_body(std::string_view body, Read&& read) {
  auto parsed = body_object(body);
  if (!parsed) return parsed.error();
  std::vector<config::FieldError> errors;
  config::ObjectReader reader(*parsed, "", errors);
  read(reader, errors);
  reader.finish();
  if (errors.empty()) return std::nullopt;
  return errors_response(errors);
}

std::optional<std::uint64_t> parse_count(std::string_view text) {
  std::uint64_t v = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size())
    return std::nullopt;
  return v;
}

// A new token: its hash for the engine, the token for the answer (once).
struct FreshToken {
  std::string token;
  std::string sha256;
};
std::optional<FreshToken> fresh_token() {
  FreshToken t{generate_token(), {}};
  if (t.token.empty()) return std::nullopt;
  t.sha256 = hash_token(t.token);
  return t;
}

HttpResponse no_random() {
  return error_response(503, "unavailable", "the random generator failed: no token made");
}

}  // namespace

// ---- accounts --------------------------------------------------------------------------------

HttpResponse Router::AccountHandlers::accounts(Router& r, Call& call) {
  JsonWriter w;
  w.begin_object().key("accounts").begin_array();
  for (const AccountView& a : call.model->accounts) {
    if (!call.sees(a)) continue;
    write_account(w, a, r.owner_name(call.model.get(), a.owner));
  }
  w.end_array().end_object();
  return json_response(200, std::move(w).str());
}

const AccountView* Router::AccountHandlers::visible_account(const Call& call) {
  const AccountView* a = call.model->find_account(AccountId{call.id});
  return a != nullptr && call.sees(*a) ? a : nullptr;
}

HttpResponse Router::AccountHandlers::no_account(const Call& call) {
  return error_response(404, "not_found", "no account " + std::to_string(call.id));
}

HttpResponse Router::AccountHandlers::account(Router& r, Call& call) {
  const AccountView* a = visible_account(call);
  if (a == nullptr) return no_account(call);
  JsonWriter w;
  write_account(w, *a, r.owner_name(call.model.get(), a->owner));
  return json_response(200, std::move(w).str());
}

HttpResponse Router::AccountHandlers::account_create(Router& r, Call& call) {
  // The engine validates the account's fields (venue, mode, endpoint, limits) and names every
  // bad one; here only that it is an object, so a non-object never reaches it.
  auto body = body_object(call.request.body);
  if (!body) return body.error();
  return created_answer(r.engine_.create_account(call.user->id, call.request.body));
}

HttpResponse Router::AccountHandlers::account_remove(Router& r, Call& call) {
  return command_response(r.engine_.remove_account(call.user->id, AccountId{call.id}), 200,
                          "no such account");
}

HttpResponse Router::AccountHandlers::account_kill_switch(Router& r, Call& call) {
  // Someone else's account is absent, as for a read; one the model does not hold yet (created
  // a moment ago) goes to the engine, which owns the truth about ownership.
  const AccountView* a = call.model->find_account(AccountId{call.id});
  if (a != nullptr && !call.sees(*a)) return no_account(call);
  const bool set = call.request.method == "PUT";
  const CommandResult result =
      r.engine_.kill_switch(call.user->id, call.user->admin, CommandScope::kAccount, call.id, set);
  if (result.status != CommandStatus::kAccepted)
    return command_response(result, 200, "no such account");
  JsonWriter w;
  w.begin_object()
      .field("scope", "account")
      .field("id", call.id)
      .field("action", set ? "set" : "reset")
      .field("sequence", result.sequence)
      .end_object();
  return json_response(200, std::move(w).str());
}

// Two ways: an upload (api_key and secret: only over TLS or loopback, stored by store_key)
// or the name of an entry `botengine keys add` stored on the server (no secret travels).
HttpResponse Router::AccountHandlers::account_keys(Router& r, Call& call) {
  auto body = body_object(call.request.body);
  if (!body) return body.error();
  const bool upload = body->find("api_key") != nullptr || body->find("secret") != nullptr;
  if (upload && !r.options_.secure_transport) {
    return error_response(403, "insecure_transport",
                          "API keys are accepted only over HTTPS (api.tls) or on a loopback "
                          "address; use `botengine keys add` on the server instead");
  }
  if (upload ? !r.options_.store_key : !r.options_.find_key) {
    return error_response(503, "unavailable", "this server has no key store (no master key)");
  }
  std::vector<config::FieldError> errors;
  config::ObjectReader reader(*body, "", errors);
  auto name =
      reader.string("name", upload ? config::Presence::kOptional : config::Presence::kRequired);
  const auto api_key =
      reader.string("api_key", upload ? config::Presence::kRequired : config::Presence::kOptional);
  const auto secret =
      reader.string("secret", upload ? config::Presence::kRequired : config::Presence::kOptional);
  reader.finish();
  if (!name && upload) name = "account-" + std::to_string(call.id);
  if (!plain_name(*name)) {
    errors.push_back({"name", "1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"});
  }
  // The messages name the field, never its value.
  if (api_key && (api_key->empty() || api_key->size() > 256))
    errors.push_back({"api_key", "must be 1 to 256 characters"});
  if (secret && (secret->empty() || secret->size() > 256))
    errors.push_back({"secret", "must be 1 to 256 characters"});
  if (!errors.empty()) return errors_response(errors);
  const AccountView* a = call.model->find_account(AccountId{call.id});
  if (a == nullptr || a->removed) return no_account(call);
  auto fingerprint =
      upload ? r.options_.store_key(*name, *api_key, *secret) : r.options_.find_key(*name);
  if (!fingerprint) {
    return upload ? error_response(500, "key_store", fingerprint.error())
                  : errors_response({{"name", fingerprint.error()}});
  }
  const CommandResult result =
      r.engine_.attach_key(call.user->id, AccountId{call.id}, *name, *fingerprint);
  if (result.status != CommandStatus::kAccepted)
    return command_response(result, 200, "no such account");
  JsonWriter w;
  w.begin_object()
      .field("id", call.id)
      .field("key_name", *name)
      .field("key_fingerprint", *fingerprint)
      .field("sequence", result.sequence)
      .end_object();
  return json_response(200, std::move(w).str());
}

// ---- users -----------------------------------------------------------------------------------

HttpResponse Router::AccountHandlers::users(Router& r, Call& call) {
  JsonWriter w;
  w.begin_object().key("users").begin_array();
  for (const engine::UserView& u : call.model->users)
    write_user(w, u);
  // An engine that has not imported the tokens file yet: its users are the file's.
  if (call.model->users.empty()) {
    for (const User& u : r.tokens_.users())
      write_user(w, engine::UserView{u.id, u.name, u.admin, false, {}, 0});
  }
  w.end_array().end_object();
  return json_response(200, std::move(w).str());
}

HttpResponse Router::AccountHandlers::user_create(Router& r, Call& call) {
  std::optional<std::string> name, role;
  const auto bad = read_body(call.request.body, [&](config::ObjectReader& reader, auto& errors) {
    name = reader.string("name", config::Presence::kRequired);
    role = reader.string("role", config::Presence::kRequired, {"admin", "user"});
    if (name && !plain_name(*name)) {
      errors.push_back({"name", "1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"});
    }
  });
  if (bad) return *bad;
  const auto token = fresh_token();
  if (!token) return no_random();
  JsonWriter command;
  command.begin_object()
      .field("name", *name)
      .field("role", *role)
      .field("token_sha256", token->sha256)
      .end_object();
  const CommandResult result = r.engine_.create_user(call.user->id, std::move(command).str());
  if (result.status != CommandStatus::kAccepted) return command_response(result, 201, "");
  JsonWriter w;
  w.begin_object()
      .field("id", result.created_id)
      .field("name", *name)
      .field("role", *role)
      .field("token", token->token)
      .field("sequence", result.sequence)
      .end_object();
  return json_response(201, std::move(w).str());
}

HttpResponse Router::AccountHandlers::user_update(Router& r, Call& call) {
  std::optional<bool> disabled;
  std::optional<std::string> role;
  const auto bad = read_body(call.request.body, [&](config::ObjectReader& reader, auto& errors) {
    disabled = reader.boolean("disabled", config::Presence::kOptional);
    role = reader.string("role", config::Presence::kOptional, {"admin", "user"});
    if (errors.empty() && !disabled && !role)
      errors.push_back({"", "nothing to change: give disabled, role or both"});
  });
  if (bad) return *bad;
  // An admin who disables or demotes themself could leave nobody to undo it.
  if (UserId{call.id} == call.user->id && ((disabled && *disabled) || (role && *role != "admin"))) {
    return error_response(409, "conflict", "an admin may not disable or demote themself");
  }
  JsonWriter command;
  command.begin_object();
  if (disabled) command.field("disabled", *disabled);
  if (role) command.field("role", *role);
  command.end_object();
  return command_response(
      r.engine_.update_user(call.user->id, UserId{call.id}, std::move(command).str()), 200,
      "no such user");
}

HttpResponse Router::AccountHandlers::user_token(Router& r, Call& call) {
  const auto token = fresh_token();
  if (!token) return no_random();
  JsonWriter command;
  command.begin_object().field("token_sha256", token->sha256).end_object();
  const CommandResult result =
      r.engine_.update_user(call.user->id, UserId{call.id}, std::move(command).str());
  if (result.status != CommandStatus::kAccepted)
    return command_response(result, 200, "no such user");
  JsonWriter w;
  w.begin_object()
      .field("id", call.id)
      .field("token", token->token)
      .field("sequence", result.sequence)
      .end_object();
  return json_response(200, std::move(w).str());
}

// ---- audit -----------------------------------------------------------------------------------

HttpResponse Router::AccountHandlers::audit(Router& r, Call& call) {
  std::uint64_t after = 0;
  std::uint64_t limit = kAuditDefaultLimit;
  std::vector<config::FieldError> errors;
  if (const auto text = query_param(call.request.target, "after")) {
    const auto v = parse_count(*text);
    if (!v) errors.push_back({"after", "must be a journal sequence (a whole number)"});
    after = v.value_or(0);
  }
  if (const auto text = query_param(call.request.target, "limit")) {
    const auto v = parse_count(*text);
    if (!v || *v == 0 || *v > kAuditMaxLimit)
      errors.push_back({"limit", "must be 1 to " + std::to_string(kAuditMaxLimit)});
    limit = v.value_or(kAuditDefaultLimit);
  }
  if (!errors.empty()) return errors_response(errors);
  const auto entries = r.engine_.audit(after, limit);
  JsonWriter w;
  w.begin_object().key("entries").begin_array();
  for (const engine::AuditEntry& e : entries) {
    w.begin_object()
        .field("seq", e.seq)
        .time_field("time", e.time)
        .field("user_id", index_of(e.user))
        .field("user", r.owner_name(call.model.get(), e.user))
        .field("command", e.command)
        .field("route", e.route)
        .field("target", e.target)
        .field("outcome", e.outcome)
        .end_object();
  }
  w.end_array();
  // Where the next page starts: the last entry's seq, or `after` when there was none.
  w.field("next_after", entries.empty() ? after : entries.back().seq).end_object();
  return json_response(200, std::move(w).str());
}

// ---- shared answers ----------------------------------------------------------------------------

HttpResponse Router::AccountHandlers::created_answer(const CommandResult& result) {
  if (result.status != CommandStatus::kAccepted) return command_response(result, 201, "");
  JsonWriter w;
  w.begin_object().field("id", result.created_id).field("sequence", result.sequence).end_object();
  return json_response(201, std::move(w).str());
}

}  // namespace be::api
