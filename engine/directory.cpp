#include "engine/directory.hpp"

#include <algorithm>
#include <array>

#include "core/fixed_point.hpp"
#include "core/hex.hpp"
#include "risk/config.hpp"

namespace be::engine {

namespace {

using config::Presence;

constexpr std::uint8_t kDirectoryVersion = 1;

bool is_sha256_hex(std::string_view s) noexcept {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

bool is_plain_name(std::string_view s) noexcept {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '@';
  });
}

// Binance's spot endpoints (docs/BINANCE.md) and the local simulator's (`botengine sim`).
struct Endpoint {
  std::string_view name, rest, ws_api, stream;
};
constexpr std::array<Endpoint, 3> kBinanceEndpoints{{
    {"production", "https://api.binance.com", "wss://ws-api.binance.com:443/ws-api/v3",
     "wss://stream.binance.com:9443"},
    {"testnet", "https://testnet.binance.vision", "wss://ws-api.testnet.binance.vision/ws-api/v3",
     "wss://stream.testnet.binance.vision"},
    {"sim", "http://127.0.0.1:9443", "ws://127.0.0.1:9443/ws-api/v3", "ws://127.0.0.1:9443"},
}};

bool is_url(std::string_view s) noexcept {
  for (std::string_view scheme : {"http://", "https://", "ws://", "wss://"})
    if (s.size() > scheme.size() && s.substr(0, scheme.size()) == scheme) return true;
  return false;
}

std::optional<config::Value> parse_object(std::string_view json,
                                          std::vector<config::FieldError>& errors) {
  auto doc = config::parse(json);
  if (!doc) {
    errors.push_back({"", "not valid JSON"});
    return std::nullopt;
  }
  if (doc->kind != config::Value::Kind::kObject) {
    errors.push_back({"", "expected a JSON object"});
    return std::nullopt;
  }
  return std::move(*doc);
}

// Parses `json` as an object and hands read() a reader over it; unknown fields are named after
// what read() reported. Nothing unless every field was good.
template <class Read>
auto read_object(std::string_view json, std::vector<config::FieldError>& errors, Read read)
    -> std::optional<decltype(read(std::declval<config::ObjectReader&>()))> {
  const std::size_t before = errors.size();
  auto doc = parse_object(json, errors);
  if (!doc) return std::nullopt;
  config::ObjectReader r(*doc, "", errors);
  auto out = read(r);
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return out;
}

std::optional<bool> role_admin(config::ObjectReader& r, Presence presence) {
  const auto role = r.string("role", presence, {"user", "admin"});
  if (!role) return std::nullopt;
  return *role == "admin";
}

std::size_t enabled_admins(std::span<const DirectoryUser> users) {
  return static_cast<std::size_t>(std::count_if(
      users.begin(), users.end(), [](const DirectoryUser& u) { return u.admin && !u.disabled; }));
}

}  // namespace

const DirectoryUser* Directory::user(UserId id) const noexcept {
  const std::uint32_t i = index_of(id);
  return i >= 1 && i <= users_.size() ? &users_[i - 1] : nullptr;
}

const DirectoryAccount* Directory::account(AccountId id) const noexcept {
  const std::uint32_t i = index_of(id);
  return i < accounts_.size() ? &accounts_[i] : nullptr;
}

// ---- Requests ----------------------------------------------------------------------------------

std::optional<DirectoryUser> Directory::check_create_user(
    std::string_view json, std::vector<config::FieldError>& errors) const {
  return read_object(json, errors, [&](config::ObjectReader& r) {
    DirectoryUser u;
    u.name = r.string("name", Presence::kRequired).value_or("");
    if (r.has("name") && !is_plain_name(u.name)) {
      r.error("name", "must be 1 to 64 letters, digits or _ - . @");
    }
    u.admin = role_admin(r, Presence::kOptional).value_or(false);
    u.token_sha256 = r.string("token_sha256", Presence::kRequired).value_or("");
    if (r.has("token_sha256") && !is_sha256_hex(u.token_sha256)) {
      r.error("token_sha256", "must be 64 lowercase hex digits (the SHA-256 of the token)");
    }
    for (std::size_t i = 0; i < users_.size(); ++i) {
      if (!u.name.empty() && users_[i].name == u.name)
        r.error("name", "already the name of user " + std::to_string(i + 1));
      if (!u.token_sha256.empty() && users_[i].token_sha256 == u.token_sha256)
        r.error("token_sha256", "already another user's token");
    }
    if (users_.size() >= kMaxUsers) {
      r.error("", "this deployment holds at most " + std::to_string(kMaxUsers) + " users");
    }
    return u;
  });
}

std::optional<DirectoryUser> Directory::check_update_user(
    UserId self, std::string_view json, std::vector<config::FieldError>& errors) const {
  const DirectoryUser* current = user(self);
  if (current == nullptr) {
    errors.push_back({"", "no such user"});
    return std::nullopt;
  }
  return read_object(json, errors, [&](config::ObjectReader& r) {
    DirectoryUser u = *current;
    if (auto d = r.boolean("disabled", Presence::kOptional)) u.disabled = *d;
    if (auto admin = role_admin(r, Presence::kOptional)) u.admin = *admin;
    if (auto t = r.string("token_sha256", Presence::kOptional)) {
      u.token_sha256 = *t;
      if (!is_sha256_hex(*t)) {
        r.error("token_sha256", "must be 64 lowercase hex digits (the SHA-256 of the token)");
      }
    }
    if (!r.has("disabled") && !r.has("role") && !r.has("token_sha256")) {
      r.error("", "nothing to change: give disabled, role or token_sha256");
    }
    for (std::size_t i = 0; i < users_.size(); ++i) {
      if (i + 1 != index_of(self) && users_[i].token_sha256 == u.token_sha256)
        r.error("token_sha256", "already another user's token");
    }
    // A deployment always keeps an admin who can sign in: else nobody could manage it.
    if (current->admin && !current->disabled && (!u.admin || u.disabled) &&
        enabled_admins(users_) == 1) {
      r.error(u.disabled ? "disabled" : "role", "the last enabled admin cannot lose that");
    }
    return u;
  });
}

std::optional<Directory::AccountRequest> Directory::check_create_account(
    std::string_view json, std::vector<config::FieldError>& errors) const {
  return read_object(json, errors, [&](config::ObjectReader& r) {
    AccountRequest out;
    DirectoryAccount& a = out.account;
    const auto owner = r.integer("owner", Presence::kRequired, 1, kMaxUsers);
    if (owner) {
      a.owner = UserId{static_cast<std::uint32_t>(*owner)};
      const DirectoryUser* u = user(a.owner);
      if (u == nullptr) r.error("owner", "no such user");
      if (u != nullptr && u->disabled) r.error("owner", "the user is disabled");
    }
    a.name = r.string("name", Presence::kRequired).value_or("");
    if (r.has("name") && !is_plain_name(a.name)) {
      r.error("name", "must be 1 to 64 letters, digits or _ - . @");
    }
    a.venue = r.string("venue", Presence::kOptional, {"binance", "coinbase", "kraken"})
                  .value_or("binance");
    const auto mode = r.string("mode", Presence::kOptional, {"paper", "live"});
    a.mode = mode.value_or(r.has("mode") ? "" : "paper");
    const bool live = a.mode == "live";
    constexpr std::array<std::string_view, 3> kUrlKeys{"rest_url", "ws_api_url", "stream_url"};
    if (live) {
      if (a.venue != "binance") r.error("venue", "live accounts are on binance only");
      a.endpoint =
          r.string("endpoint", Presence::kRequired, {"production", "testnet", "sim", "custom"})
              .value_or("");
      for (const Endpoint& e : kBinanceEndpoints) {
        if (e.name != a.endpoint) continue;
        a.rest_url = e.rest;
        a.ws_api_url = e.ws_api;
        a.stream_url = e.stream;
      }
      std::array<std::string*, 3> urls{&a.rest_url, &a.ws_api_url, &a.stream_url};
      for (std::size_t k = 0; k < kUrlKeys.size(); ++k) {
        const std::string_view key = kUrlKeys[k];
        if (a.endpoint != "custom") {
          if (r.has(key) && r.string(key, Presence::kOptional))
            r.error(key, "URLs are given only with \"endpoint\":\"custom\"");
          continue;
        }
        *urls[k] = r.string(key, Presence::kRequired).value_or("");
        if (r.has(key) && !is_url(*urls[k])) r.error(key, "must be an http(s):// or ws(s):// URL");
      }
      if (r.object_value("balances") != nullptr) {
        r.error("balances", "a live account's balances are the venue's");
      }
    } else {
      // Endpoints belong to live accounts (said once the mode itself is right).
      for (std::string_view key :
           {std::string_view("endpoint"), kUrlKeys[0], kUrlKeys[1], kUrlKeys[2]}) {
        if (r.has(key) && r.string(key, Presence::kOptional) && mode)
          r.error(key, "only for live accounts");
      }
    }
    if (const config::Value* limits = r.object_value("limits")) {
      a.limits_json = config::to_json(*limits);
      auto parsed = risk::parse_bot_risk_config("{\"risk_management\":" + a.limits_json + "}",
                                                config_.limit_price_scale, config_.limit_qty_scale);
      if (!parsed) {
        for (const risk::ConfigError& e : parsed.error()) {
          std::string field = e.field;
          if (field.rfind("risk_management", 0) == 0) field.replace(0, 15, "limits");
          r.error(field, e.reason);
        }
      } else if (parsed->protection.stop_loss_bps | parsed->protection.take_profit_bps |
                 parsed->protection.trailing_stop_bps | parsed->max_consecutive_errors) {
        r.error("limits",
                "stop-loss, take-profit, trailing stops and circuit breakers are a bot's");
      } else {
        out.limits = risk::AccountConfig{parsed->limits, 0, {}};
      }
    }
    if (!live) {
      if (const config::Value* balances = r.object_value("balances")) {
        for (std::size_t i = 0; i < balances->keys.size(); ++i) {
          const std::string field = "balances." + balances->keys[i];
          const auto asset =
              std::find_if(config_.assets.begin(), config_.assets.end(),
                           [&](const auto& s) { return s.name == balances->keys[i]; });
          const config::Value& v = balances->values[i];
          if (asset == config_.assets.end()) {
            errors.push_back({field, "not an asset of any instrument"});
            continue;
          }
          const bool text =
              v.kind == config::Value::Kind::kString || v.kind == config::Value::Kind::kNumber;
          const auto amount = parse_decimal(text ? std::string_view(v.text) : "", asset->scale);
          if (!amount || *amount < 0) {
            errors.push_back({field, "expected a decimal amount >= 0 at most " +
                                         std::to_string(asset->scale) + " decimals"});
            continue;
          }
          const auto id = AssetId{static_cast<std::uint16_t>(asset - config_.assets.begin())};
          out.opening.push_back({AccountId{}, id, *amount});
        }
      } else {
        out.opening = config_.default_opening;
      }
    }
    for (const DirectoryAccount& other : accounts_) {
      if (!other.removed && other.owner == a.owner && other.name == a.name && !a.name.empty())
        r.error("name", "the owner already has an account by that name");
    }
    if (accounts_.size() >= config_.max_accounts) {
      r.error("", "this deployment holds at most " + std::to_string(config_.max_accounts) +
                      " accounts (FoldConfig's account capacity, docs/ACCOUNTS.md)");
    }
    return out;
  });
}

std::optional<AccountId> Directory::bot_account(UserId owner,
                                                std::optional<std::uint32_t> requested,
                                                std::vector<config::FieldError>& errors) const {
  if (empty()) {  // an engine without users: the one paper account, as before
    if (requested && *requested != 0) errors.push_back({"account", "no such account"});
    return AccountId{0};
  }
  if (requested) {
    const DirectoryAccount* a = account(AccountId{*requested});
    if (a == nullptr) {
      errors.push_back({"account", "no such account"});
    } else if (a->owner != owner && owner != kEngineUser) {
      errors.push_back({"account", "not an account of yours: a bot trades on its owner's"});
    } else if (a->removed) {
      errors.push_back({"account", "the account was removed"});
    } else {
      return AccountId{*requested};
    }
    return std::nullopt;
  }
  if (owner == kEngineUser) return AccountId{0};  // the engine's own (demo) bots
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    if (accounts_[i].owner == owner && !accounts_[i].removed)
      return AccountId{static_cast<std::uint32_t>(i)};
  }
  errors.push_back({"account", "you have no account to trade on"});
  return std::nullopt;
}

AccountId Directory::resolve_bot_account(UserId owner, AccountId requested) const noexcept {
  if (empty()) return requested;
  const DirectoryAccount* a = account(requested);
  if (a == nullptr || a->removed || (a->owner != owner && owner != kEngineUser)) return kNoAccount;
  return requested;
}

// ---- The fold ----------------------------------------------------------------------------------

void Directory::on_input(const Event& input, DirectoryEffect& effect) {
  effect.clear();
  if (input.header.type == EventType::kBlob) {
    const auto blob = input.as<BlobRef>();
    if (blob.kind >= kUserBlobKind && blob.kind <= kKeyBlobKind) keep_blob(blobs_, blob);
    return;
  }
  if (input.header.type != EventType::kOperatorCommand) return;
  const auto c = input.as<OperatorCommand>();
  using K = OperatorCommandKind;
  if (c.kind < K::kCreateUser || c.kind > K::kAttachKey) return;
  effect.command = true;
  std::optional<std::string> blob;
  if (c.blob_id != 0) blob = take_blob(blobs_, c.blob_id);
  effect.refusal = apply(c, input.header.sequence, std::move(blob), effect);
}

std::string Directory::apply(const OperatorCommand& c, SequenceNumber at,
                             std::optional<std::string> blob, DirectoryEffect& effect) {
  using K = OperatorCommandKind;
  std::vector<config::FieldError> errors;
  const bool needs_blob = c.kind != K::kRemoveAccount;
  if (needs_blob && !blob) return "its JSON never reached the journal";
  switch (c.kind) {
    case K::kCreateUser: {
      if (c.account != index_of(next_user())) return "not the next user id";
      auto u = check_create_user(*blob, errors);
      if (!u) return config::format_errors(errors);
      u->changed = at;
      users_.push_back(std::move(*u));
      return {};
    }
    case K::kUpdateUser: {
      auto u = check_update_user(UserId{c.account}, *blob, errors);
      if (!u) return config::format_errors(errors);
      u->changed = at;
      users_[c.account - 1] = std::move(*u);
      return {};
    }
    case K::kCreateAccount: {
      if (c.account != index_of(next_account())) return "not the next account id";
      auto request = check_create_account(*blob, errors);
      if (!request) return config::format_errors(errors);
      request->account.changed = at;
      effect.account = AccountId{c.account};
      effect.open_paper = !request->account.live();
      effect.open_live = request->account.live();
      effect.limits = request->limits;
      for (oms::PaperStartingBalance b : request->opening) {
        b.account = effect.account;
        effect.credits.push_back(b);
      }
      accounts_.push_back(std::move(request->account));
      return {};
    }
    case K::kRemoveAccount: {
      if (c.account >= accounts_.size()) return "no such account";
      if (accounts_[c.account].removed) return "already removed";
      accounts_[c.account].removed = true;
      accounts_[c.account].changed = at;
      effect.account = AccountId{c.account};
      return {};
    }
    case K::kAttachKey: {
      if (c.account >= accounts_.size()) return "no such account";
      const auto key = read_object(*blob, errors, [](config::ObjectReader& r) {
        auto name = r.string("key_name", Presence::kRequired).value_or("");
        auto fingerprint = r.string("key_fingerprint", Presence::kRequired).value_or("");
        if (r.has("key_name") && !is_plain_name(name))
          r.error("key_name", "must be 1 to 64 letters, digits or _ - . @");
        if (r.has("key_fingerprint") && !is_sha256_hex(fingerprint))
          r.error("key_fingerprint", "must be 64 lowercase hex digits");
        return std::pair{std::move(name), std::move(fingerprint)};
      });
      if (!key) return config::format_errors(errors);
      DirectoryAccount& a = accounts_[c.account];
      a.key_name = key->first;
      a.key_fingerprint = key->second;
      a.changed = at;
      effect.account = AccountId{c.account};
      return {};
    }
    default:
      return "not a directory command";
  }
}

// ---- Snapshot ----------------------------------------------------------------------------------

template <class Sink>
void Directory::put_all(Sink& out) const {
  out.put(static_cast<std::uint32_t>(users_.size()));
  for (const DirectoryUser& u : users_) {
    out.put_string(u.name);
    out.put(static_cast<std::uint8_t>(u.admin));
    out.put(static_cast<std::uint8_t>(u.disabled));
    out.put_string(u.token_sha256);
    out.put(u.changed);
  }
  out.put(static_cast<std::uint32_t>(accounts_.size()));
  for (const DirectoryAccount& a : accounts_) {
    out.put(index_of(a.owner));
    for (const std::string* s :
         {&a.name, &a.venue, &a.mode, &a.endpoint, &a.rest_url, &a.ws_api_url, &a.stream_url,
          &a.key_name, &a.key_fingerprint, &a.limits_json}) {
      out.put_string(*s);
    }
    out.put(static_cast<std::uint8_t>(a.removed));
    out.put(a.changed);
  }
  save_blobs(out, blobs_);
}

std::uint64_t Directory::state_hash() const noexcept {
  state_io::Hasher h;
  put_all(h);
  return h.value();
}

void Directory::save(state_io::Writer& w) const {
  w.put(kDirectoryVersion);
  put_all(w);
}

bool Directory::load(state_io::Reader& r) {
  if (r.get<std::uint8_t>() != kDirectoryVersion) return false;
  const auto user_count = r.get<std::uint32_t>();
  if (user_count > kMaxUsers) return false;
  std::vector<DirectoryUser> users(user_count);
  for (DirectoryUser& u : users) {
    u.name = r.get_string();
    u.admin = r.get<std::uint8_t>() != 0;
    u.disabled = r.get<std::uint8_t>() != 0;
    u.token_sha256 = r.get_string();
    u.changed = r.get<SequenceNumber>();
  }
  const auto account_count = r.get<std::uint32_t>();
  if (account_count > config_.max_accounts) return false;
  std::vector<DirectoryAccount> accounts(account_count);
  for (DirectoryAccount& a : accounts) {
    a.owner = UserId{r.get<std::uint32_t>()};
    for (std::string* s : {&a.name, &a.venue, &a.mode, &a.endpoint, &a.rest_url, &a.ws_api_url,
                           &a.stream_url, &a.key_name, &a.key_fingerprint, &a.limits_json}) {
      *s = r.get_string();
    }
    a.removed = r.get<std::uint8_t>() != 0;
    a.changed = r.get<SequenceNumber>();
  }
  SeenBlobs blobs;
  if (!load_blobs(r, blobs) || !r.ok()) return false;
  users_ = std::move(users);
  accounts_ = std::move(accounts);
  blobs_ = std::move(blobs);
  return true;
}

}  // namespace be::engine
