// Users, accounts, keys and the audit over real sockets against the in-memory control plane:
// authentication from the journal's users, isolation (a user sees only their own accounts,
// someone else's is 404 as if absent), admin routes (403 for a user, nothing changed), hostile
// bodies (422 naming every bad field), key uploads (only over TLS or loopback; the secret in
// no answer, log line or audit entry), the audit's paging and times.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

constexpr std::string_view kApiKey =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
constexpr std::string_view kSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

class AccountsTest : public ApiServerTest {
 protected:
  // Keys stored by the server's store_key, by name (what the key directory would write).
  struct StoredKey {
    std::string api_key;
    std::string secret;
  };
  std::map<std::string, StoredKey> stored_;
  std::mutex stored_mutex_;

  void start_with_keys(ApiOptions options = {}) {
    options.store_key = [this](std::string_view name, std::string_view key,
                               std::string_view secret) -> Expected<std::string, std::string> {
      std::lock_guard lock(stored_mutex_);
      stored_[std::string(name)] = {std::string(key), std::string(secret)};
      return hash_token(key);  // the fingerprint: sha256 hex of the API key id
    };
    start(std::move(options));
  }

  // An account for `owner` (a user id), created by the admin; its id.
  std::uint32_t create_account(std::uint32_t owner, std::string_view name,
                               std::string_view balances = R"({"USDT":"500"})") {
    const std::string body =
        R"({"owner":)" + std::to_string(owner) + R"(,"name":")" + std::string(name) +
        R"(","venue":"binance","mode":"paper","balances":)" + std::string(balances) + "}";
    auto r = call("POST", "/api/v1/accounts", kAdminToken, body);
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
    return r ? static_cast<std::uint32_t>(std::stoul(field(json(*r), "id"))) : 0xFFFF'FFFFu;
  }

  std::size_t audit_size() { return engine_.audit(0, 100'000).size(); }

  // Every log line and every audit entry, for "the secret is nowhere" checks.
  std::string everything_recorded() {
    std::string all;
    for (const auto& line : log_lines())
      all += line + "\n";
    for (const auto& e : engine_.audit(0, 100'000))
      all += e.command + " " + e.route + " " + e.target + " " + e.outcome + "\n";
    return all;
  }
};

constexpr std::uint32_t kAlice = 2;
constexpr std::uint32_t kBob = 3;

TEST_F(AccountsTest, shouldAuthenticateCreatedUsersAndRefuseDisabledOrRotatedTokens) {
  start();
  auto created = call("POST", "/api/v1/users", kAdminToken, R"({"name":"carol","role":"user"})");
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  const auto body = json(*created);
  EXPECT_EQ(field(body, "id"), "4");
  const std::string token = field(body, "token");
  ASSERT_EQ(token.size(), 64u);
  // Only the hash reached the engine.
  const auto model = engine_.read_model();
  ASSERT_EQ(model->users.size(), 4u);
  EXPECT_EQ(model->users[3].token_sha256, hash_token(token));

  auto me = call("GET", "/api/v1/me", token);
  ASSERT_EQ(me->status, 200);
  EXPECT_EQ(me->body, R"({"user":"carol","id":4,"admin":false})");

  // The list shows no token and no hash.
  auto users = call("GET", "/api/v1/users", kAdminToken);
  ASSERT_EQ(users->status, 200);
  EXPECT_EQ(users->body.find(hash_token(token)), std::string::npos);
  EXPECT_EQ(users->body.find(token), std::string::npos);
  EXPECT_NE(users->body.find(R"({"id":4,"name":"carol","role":"user","disabled":false,)"),
            std::string::npos)
      << users->body;

  // Rotation: the old token stops working, the new one (returned once) works.
  auto rotated = call("POST", "/api/v1/users/4/token", kAdminToken);
  ASSERT_EQ(rotated->status, 200) << rotated->body;
  const std::string fresh = field(json(*rotated), "token");
  ASSERT_EQ(fresh.size(), 64u);
  EXPECT_NE(fresh, token);
  EXPECT_EQ(call("GET", "/api/v1/me", token)->status, 401);
  EXPECT_EQ(call("GET", "/api/v1/me", fresh)->status, 200);

  // Disabled: refused like an unknown token; enabled again: accepted.
  EXPECT_EQ(call("PATCH", "/api/v1/users/4", kAdminToken, R"({"disabled":true})")->status, 200);
  EXPECT_EQ(call("GET", "/api/v1/me", fresh)->status, 401);
  EXPECT_EQ(call("PATCH", "/api/v1/users/4", kAdminToken, R"({"disabled":false})")->status, 200);
  EXPECT_EQ(call("GET", "/api/v1/me", fresh)->status, 200);

  // A promotion takes effect on the next request.
  EXPECT_EQ(call("GET", "/api/v1/users", fresh)->status, 403);
  EXPECT_EQ(call("PATCH", "/api/v1/users/4", kAdminToken, R"({"role":"admin"})")->status, 200);
  EXPECT_EQ(call("GET", "/api/v1/users", fresh)->status, 200);
}

TEST_F(AccountsTest, shouldRefuseUsersOnEveryAdminRouteChangingNothing) {
  start_with_keys();
  const std::uint32_t bobs = create_account(kBob, "main");
  const auto before = engine_.read_model();
  const std::size_t audited = audit_size();
  const std::uint64_t refused_before = server_->stats().status_count(403);
  struct Case {
    std::string_view method;
    std::string target;
    std::string body;
  };
  const std::string account = "/api/v1/accounts/" + std::to_string(bobs);
  const Case cases[] = {
      {"GET", "/api/v1/users", ""},
      {"POST", "/api/v1/users", R"({"name":"mallory","role":"admin"})"},
      {"PATCH", "/api/v1/users/2", R"({"role":"admin"})"},
      {"POST", "/api/v1/users/1/token", ""},
      {"POST", "/api/v1/accounts", R"({"owner":2,"name":"x","venue":"binance","mode":"paper"})"},
      {"DELETE", account, ""},
      {"POST", account + "/keys", R"({"api_key":"k","secret":"s"})"},
      {"GET", "/api/v1/audit", ""},
  };
  for (const Case& c : cases) {
    auto r = call(c.method, c.target, kAliceToken, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 403) << c.method << " " << c.target << ": " << r->body;
    EXPECT_EQ(r->body,
              R"({"error":{"code":"forbidden","message":"only an admin may use this route"}})");
  }
  EXPECT_EQ(server_->stats().status_count(403), refused_before + std::size(cases));
  const auto after = engine_.read_model();
  EXPECT_EQ(after->users.size(), before->users.size());
  EXPECT_EQ(after->accounts.size(), before->accounts.size());
  EXPECT_FALSE(after->find_user(UserId{kAlice})->admin);
  EXPECT_EQ(after->find_account(AccountId{bobs})->key_name, "");
  EXPECT_EQ(audit_size(), audited);
  EXPECT_TRUE(stored_.empty());
}

TEST_F(AccountsTest, shouldShowUsersOnlyTheirOwnAccountsAndBalances) {
  start();
  const std::uint32_t alices = create_account(kAlice, "main", R"({"USDT":"500"})");
  const std::uint32_t bobs = create_account(kBob, "main", R"({"USDT":"700"})");

  auto mine = call("GET", "/api/v1/accounts", kAliceToken);
  ASSERT_EQ(mine->status, 200);
  const auto list = json(*mine);
  // Her paper account from the tokens-file import, then the one the admin opened for her.
  ASSERT_EQ(list.find("accounts")->items.size(), 2u) << mine->body;
  EXPECT_EQ(field(list.find("accounts")->items[0], "name"), "paper");
  const config::Value& a = list.find("accounts")->items[1];
  EXPECT_EQ(field(a, "id"), std::to_string(alices));
  EXPECT_EQ(field(a, "owner"), "alice");
  EXPECT_EQ(field(a, "mode"), "paper");
  EXPECT_EQ(field(a, "venue"), "binance");
  EXPECT_EQ(field(a, "key_fingerprint"), "");
  EXPECT_EQ(mine->body.find("700"), std::string::npos);

  // Someone else's account is absent, to a read and to the kill switch alike.
  const std::string bob_path = "/api/v1/accounts/" + std::to_string(bobs);
  auto other = call("GET", bob_path, kAliceToken);
  EXPECT_EQ(other->status, 404);
  EXPECT_EQ(other->body, R"({"error":{"code":"not_found","message":"no account )" +
                             std::to_string(bobs) + R"("}})");
  EXPECT_EQ(call("GET", "/api/v1/accounts/abc", kAliceToken)->body,
            R"({"error":{"code":"not_found","message":"no such account"}})");
  EXPECT_EQ(call("PUT", bob_path + "/kill-switch", kAliceToken)->status, 404);
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAliceToken,
                 R"({"scope":"account","id":)" + std::to_string(bobs) + R"(,"action":"set"})")
                ->status,
            404);
  EXPECT_FALSE(engine_.read_model()->find_account(AccountId{bobs})->kill_switch);

  // Balances: alice's account only (account 0 is the admin's); the admin sees all.
  auto balances = call("GET", "/api/v1/balances", kAliceToken);
  EXPECT_EQ(balances->body,
            R"({"balances":[],"accounts":[{"id":1,"name":"paper","balances":[{"asset":"USDT",)"
            R"("free":"10000.00000000","locked":"0.00000000"},{"asset":"BTC","free":"0.00000000",)"
            R"("locked":"0.00000000"}]},{"id":)" +
                std::to_string(alices) +
                R"(,"name":"main","balances":[{"asset":"USDT","free":"500","locked":"0"}]}]})");
  auto all = call("GET", "/api/v1/accounts", kAdminToken);
  EXPECT_EQ(json(*all).find("accounts")->items.size(), 5u) << all->body;  // 3 imported, 2 opened
  EXPECT_EQ(call("GET", bob_path, kAdminToken)->status, 200);
  auto admin_balances = call("GET", "/api/v1/balances", kAdminToken);
  EXPECT_NE(admin_balances->body.find(R"("free":"700")"), std::string::npos);
  EXPECT_NE(admin_balances->body.find(R"("free":"10000.00000000")"), std::string::npos);
}

TEST_F(AccountsTest, shouldShowALiveAccountsConnectionRefusalAndVenueNotesToItsOwnerOnly) {
  start();
  const auto live_account = [&](std::uint32_t owner) {
    auto r = call("POST", "/api/v1/accounts", kAdminToken,
                  R"({"owner":)" + std::to_string(owner) +
                      R"(,"name":"live","venue":"binance","mode":"live","endpoint":"sim"})");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
    return static_cast<std::uint32_t>(std::stoul(field(json(*r), "id")));
  };
  const std::uint32_t alices = live_account(kAlice);
  const std::uint32_t bobs = live_account(kBob);
  const std::string path = "/api/v1/accounts/" + std::to_string(alices);

  // No runner attached a gateway: the live account says so; her paper account is "paper".
  auto before = call("GET", path, kAliceToken);
  ASSERT_EQ(before->status, 200) << before->body;
  const auto fresh = json(*before);
  EXPECT_EQ(field(fresh, "connection"), "no_gateway");
  EXPECT_EQ(field(fresh, "refusal"), "");
  EXPECT_EQ(field(fresh, "unknown_orders"), "0");
  EXPECT_EQ(fresh.find("foreign_orders")->items.size(), 0u);
  EXPECT_EQ(fresh.find("refused_cancels")->items.size(), 0u);
  EXPECT_NE(before->body.find(R"("channel_up":false)"), std::string::npos) << before->body;
  EXPECT_EQ(field(json(*call("GET", "/api/v1/accounts/1", kAliceToken)), "connection"), "paper");

  // Preflight refused it: the reason, naming the account, as the runner gave it.
  const std::string refusal = "account " + std::to_string(alices) +
                              ": signed test call (GET /api/v3/account) refused: HTTP 401, "
                              "-2015 Invalid API-key, IP, or permissions for action.";
  engine_.change_account(AccountId{alices}, [&](engine::AccountView& a) {
    a.connection = "refused";
    a.refusal = refusal;
  });
  const auto refused = json(*call("GET", path, kAliceToken));
  EXPECT_EQ(field(refused, "connection"), "refused");
  EXPECT_EQ(field(refused, "refusal"), refusal);

  // Connected, with what the fold noted: orders it lost track of, a foreign order, a refused
  // cancel, each with its time in both spellings.
  engine_.change_account(AccountId{alices}, [&](engine::AccountView& a) {
    a.connection = "connected";
    a.refusal.clear();
    a.channel_up = true;
    a.unknown_orders = 2;
    a.foreign_orders_seen = 1;
    a.foreign_orders.push_back(
        {"8812", "BTCUSDT", "sell", "51000.00", "0.01000", "0.00500", 1'700'000'000'123'456'789});
    a.cancels_refused = 1;
    a.refused_cancels.push_back({"be-3-17", "BTCUSDT", 203, 1'700'000'001'000'000'000});
  });
  auto after = call("GET", path, kAliceToken);
  const auto live = json(*after);
  EXPECT_EQ(field(live, "connection"), "connected");
  EXPECT_EQ(field(live, "refusal"), "");
  EXPECT_NE(after->body.find(R"("channel_up":true)"), std::string::npos) << after->body;
  EXPECT_EQ(field(live, "unknown_orders"), "2");
  EXPECT_EQ(field(live, "foreign_orders_seen"), "1");
  ASSERT_EQ(live.find("foreign_orders")->items.size(), 1u) << after->body;
  const config::Value& foreign = live.find("foreign_orders")->items[0];
  EXPECT_EQ(field(foreign, "venue_order_id"), "8812");
  EXPECT_EQ(field(foreign, "symbol"), "BTCUSDT");
  EXPECT_EQ(field(foreign, "side"), "sell");
  EXPECT_EQ(field(foreign, "price"), "51000.00");
  EXPECT_EQ(field(foreign, "quantity"), "0.01000");
  EXPECT_EQ(field(foreign, "filled_quantity"), "0.00500");
  EXPECT_EQ(field(foreign, "time"), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(field(foreign, "time_ns"), "1700000000123456789");
  EXPECT_EQ(field(live, "cancels_refused"), "1");
  ASSERT_EQ(live.find("refused_cancels")->items.size(), 1u) << after->body;
  const config::Value& cancel = live.find("refused_cancels")->items[0];
  EXPECT_EQ(field(cancel, "client_order_id"), "be-3-17");
  EXPECT_EQ(field(cancel, "symbol"), "BTCUSDT");
  EXPECT_EQ(field(cancel, "reason"), "203");
  EXPECT_EQ(field(cancel, "time"), "2023-11-14T22:13:21.000000000Z");
  EXPECT_EQ(field(cancel, "time_ns"), "1700000001000000000");

  // Bob sees his own live account, none of alice's state; the admin sees both.
  auto bobs_list = call("GET", "/api/v1/accounts", kBobToken);
  EXPECT_EQ(bobs_list->body.find("8812"), std::string::npos) << bobs_list->body;
  EXPECT_EQ(bobs_list->body.find("be-3-17"), std::string::npos) << bobs_list->body;
  EXPECT_EQ(field(json(*call("GET", "/api/v1/accounts/" + std::to_string(bobs), kBobToken)),
                  "connection"),
            "no_gateway");
  EXPECT_EQ(call("GET", path, kBobToken)->status, 404);
  EXPECT_NE(call("GET", "/api/v1/accounts", kAdminToken)->body.find("8812"), std::string::npos);
}

TEST_F(AccountsTest, shouldLetTheOwnerOrAnAdminSetAndResetAnAccountKillSwitch) {
  start();
  const std::uint32_t alices = create_account(kAlice, "main");
  const std::string path = "/api/v1/accounts/" + std::to_string(alices) + "/kill-switch";
  auto set = call("PUT", path, kAliceToken);
  ASSERT_EQ(set->status, 200) << set->body;
  EXPECT_EQ(field(json(*set), "action"), "set");
  EXPECT_TRUE(engine_.read_model()->find_account(AccountId{alices})->kill_switch);
  // The kill-switch view lists it for alice, not for bob.
  EXPECT_NE(call("GET", "/api/v1/kill-switch", kAliceToken)
                ->body.find(R"("accounts":[)" + std::to_string(alices) + "]"),
            std::string::npos);
  EXPECT_NE(call("GET", "/api/v1/kill-switch", kBobToken)->body.find(R"("accounts":[])"),
            std::string::npos);
  EXPECT_EQ(call("DELETE", path, kAdminToken)->status, 200);
  EXPECT_FALSE(engine_.read_model()->find_account(AccountId{alices})->kill_switch);
  // The global switch stays the admin's.
  EXPECT_EQ(call("POST", "/api/v1/kill-switch", kAliceToken, R"({"scope":"global","action":"set"})")
                ->status,
            403);
}

TEST_F(AccountsTest, shouldNameEveryBadFieldOfHostileBodiesAndChangeNothing) {
  start();
  const auto before = engine_.read_model();
  const SequenceNumber audited_through = engine_.audit(0, 100'000).back().seq;
  struct Case {
    std::string_view method;
    std::string_view target;
    std::string_view body;
    int status;
    std::string_view answer;  // a part of the answer that must be there
  };
  const Case cases[] = {
      {"POST", "/api/v1/users", "{", 422, "invalid JSON"},
      {"POST", "/api/v1/users", "[1]", 422, "the body must be a JSON object"},
      {"POST", "/api/v1/users", R"({"name":"../etc","role":"root","token":"x"})", 422,
       R"("field":"role")"},
      {"POST", "/api/v1/users", R"({"name":"../etc","role":"user"})", 422, R"("field":"name")"},
      {"POST", "/api/v1/users", R"({"name":"admin","role":"user"})", 409, "exists"},
      {"PATCH", "/api/v1/users/2", R"({})", 422, "nothing to change"},
      {"PATCH", "/api/v1/users/2", R"({"disabled":"yes"})", 422, R"("field":"disabled")"},
      {"PATCH", "/api/v1/users/2", R"({"token_sha256":"00"})", 422, R"("field":"token_sha256")"},
      {"PATCH", "/api/v1/users/99", R"({"disabled":true})", 404, "no such user"},
      {"PATCH", "/api/v1/users/1", R"({"disabled":true})", 409, "themself"},
      {"PATCH", "/api/v1/users/x", R"({"disabled":true})", 404, "no such user"},
      {"POST", "/api/v1/users/99/token", "", 404, "no such user"},
      {"POST", "/api/v1/accounts", R"({"owner":99,"name":"m","venue":"binance","mode":"paper"})",
       422, R"("field":"owner")"},
      {"POST", "/api/v1/accounts", R"({"owner":2,"venue":"kraken","mode":"fast","extra":1})", 422,
       R"("field":"extra")"},
      {"POST", "/api/v1/accounts", R"({"owner":2,"name":"m","venue":"binance","mode":"live"})", 422,
       R"("field":"endpoint")"},
      {"POST", "/api/v1/accounts", "null", 422, "must be a JSON object"},
      {"DELETE", "/api/v1/accounts/42", "", 404, "no such account"},
      {"POST", "/api/v1/accounts/42/keys", R"({"api_key":"k","secret":"s"})", 503, "no key store"},
      {"GET", "/api/v1/audit?limit=0", "", 422, R"("field":"limit")"},
      {"GET", "/api/v1/audit?limit=1001&after=x", "", 422, R"("field":"after")"},
      {"PUT", "/api/v1/users/2", "{}", 405, "use PATCH"},
  };
  for (const Case& c : cases) {
    auto r = call(c.method, c.target, kAdminToken, c.body);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, c.status)
        << c.method << " " << c.target << " " << c.body << ": " << r->body;
    EXPECT_NE(r->body.find(c.answer), std::string::npos)
        << c.method << " " << c.target << " " << c.body << ": " << r->body;
  }
  const auto after = engine_.read_model();
  EXPECT_EQ(after->users.size(), before->users.size());
  EXPECT_EQ(after->accounts.size(), before->accounts.size());
  for (std::size_t i = 0; i < after->users.size(); ++i) {
    EXPECT_EQ(after->users[i].disabled, before->users[i].disabled);
    EXPECT_EQ(after->users[i].token_sha256, before->users[i].token_sha256);
  }
  // Refusals the engine saw are audited with their reason; nothing was applied.
  for (const auto& e : engine_.audit(audited_through, 100))
    EXPECT_NE(e.outcome, "applied") << e.command << " " << e.target;
}

TEST_F(AccountsTest, shouldStoreUploadedKeysOverLoopbackAndNeverEchoOrLogTheSecret) {
  start_with_keys();
  const std::uint32_t alices = create_account(kAlice, "main");
  const std::string path = "/api/v1/accounts/" + std::to_string(alices) + "/keys";
  const std::string body = R"({"name":"alice-main","api_key":")" + std::string(kApiKey) +
                           R"(","secret":")" + std::string(kSecret) + R"("})";
  auto r = call("POST", path, kAdminToken, body);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(field(json(*r), "key_fingerprint"), hash_token(kApiKey));
  EXPECT_EQ(field(json(*r), "key_name"), "alice-main");
  {
    std::lock_guard lock(stored_mutex_);
    ASSERT_EQ(stored_.count("alice-main"), 1u);
    EXPECT_EQ(stored_["alice-main"].secret, kSecret);
  }
  const auto account = engine_.read_model()->find_account(AccountId{alices});
  EXPECT_EQ(account->key_name, "alice-main");
  EXPECT_EQ(account->key_fingerprint, hash_token(kApiKey));

  // Nowhere: not in any answer (the upload's, the account's, the list's, the audit's), not in a
  // log line, not in the audit.
  std::vector<std::string> answers{r->body};
  for (const std::string target : {"/api/v1/accounts", "/api/v1/audit", "/api/v1/engine"})
    answers.push_back(call("GET", target, kAdminToken)->body);
  answers.push_back(call("GET", "/api/v1/accounts/" + std::to_string(alices), kAliceToken)->body);
  answers.push_back(everything_recorded());
  for (const std::string& text : answers) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kApiKey), std::string::npos) << text;
  }
  // A bad upload's errors name the field, never its value.
  auto bad = call("POST", path, kAdminToken,
                  R"({"name":".hidden","api_key":")" + std::string(kApiKey) + R"(","secret":7})");
  ASSERT_EQ(bad->status, 422);
  EXPECT_NE(bad->body.find(R"("field":"secret")"), std::string::npos) << bad->body;
  EXPECT_NE(bad->body.find(R"("field":"name")"), std::string::npos) << bad->body;
  EXPECT_EQ(bad->body.find(kApiKey), std::string::npos) << bad->body;
}

TEST_F(AccountsTest, shouldRefuseKeyUploadsOverPlainHttpOffLoopback) {
  ApiOptions options;
  options.bind_address = "0.0.0.0";  // reachable from other hosts, no TLS
  start_with_keys(std::move(options));
  const std::uint32_t alices = create_account(kAlice, "main");
  auto r = call("POST", "/api/v1/accounts/" + std::to_string(alices) + "/keys", kAdminToken,
                R"({"api_key":")" + std::string(kApiKey) + R"(","secret":")" +
                    std::string(kSecret) + R"("})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_NE(r->body.find("insecure_transport"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find("only over HTTPS"), std::string::npos) << r->body;
  EXPECT_TRUE(stored_.empty());
  EXPECT_EQ(engine_.read_model()->find_account(AccountId{alices})->key_name, "");
  EXPECT_EQ(everything_recorded().find(kSecret), std::string::npos);
}

TEST_F(AccountsTest, shouldRefuseOversizedAndUnauthenticatedAdminCommandsCountingThem) {
  ApiOptions options;
  options.max_body_bytes = 4096;
  start(std::move(options));
  const auto before = engine_.read_model();
  const std::size_t audited = audit_size();
  const std::string huge =
      R"({"name":"carol","role":"user","pad":")" + std::string(8192, 'x') + R"("})";
  auto big = call("POST", "/api/v1/users", kAdminToken, huge);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_EQ(server_->stats().status_count(413), 1u);
  EXPECT_EQ(server_->stats().too_large.load(), 1u);
  for (const auto& [method, target] :
       {std::pair<std::string_view, std::string_view>{"POST", "/api/v1/users"},
        {"PATCH", "/api/v1/users/1"},
        {"POST", "/api/v1/accounts"},
        {"GET", "/api/v1/audit"}}) {
    auto r = call(method, target, "", R"({"name":"mallory","role":"admin"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << method << " " << target;
    EXPECT_EQ(r->body, R"({"error":{"code":"unauthorized","message":"missing bearer token"}})");
  }
  EXPECT_EQ(server_->stats().unauthorized.load(), 4u);
  EXPECT_EQ(engine_.read_model()->users.size(), before->users.size());
  EXPECT_EQ(engine_.read_model()->accounts.size(), before->accounts.size());
  EXPECT_EQ(audit_size(), audited);
}

TEST_F(AccountsTest, shouldAttachAKeyStoredOnTheServerByNameOverAnyTransport) {
  ApiOptions options;
  options.bind_address = "0.0.0.0";  // no TLS, not loopback: no secret may travel, a name may
  options.find_key = [](std::string_view name) -> Expected<std::string, std::string> {
    if (name == "alice-main") return hash_token(kApiKey);
    return Unexpected("no key named `" + std::string(name) + "`");
  };
  start(std::move(options));
  const std::uint32_t alices = create_account(kAlice, "main");
  const std::string path = "/api/v1/accounts/" + std::to_string(alices) + "/keys";
  auto missing = call("POST", path, kAdminToken, R"({"name":"nope"})");
  ASSERT_EQ(missing->status, 422) << missing->body;
  EXPECT_NE(missing->body.find("no key named `nope`"), std::string::npos) << missing->body;
  EXPECT_EQ(engine_.read_model()->find_account(AccountId{alices})->key_name, "");
  auto attached = call("POST", path, kAdminToken, R"({"name":"alice-main"})");
  ASSERT_EQ(attached->status, 200) << attached->body;
  EXPECT_EQ(field(json(*attached), "key_fingerprint"), hash_token(kApiKey));
  const auto* account = engine_.read_model()->find_account(AccountId{alices});
  EXPECT_EQ(account->key_name, "alice-main");
  EXPECT_EQ(account->key_fingerprint, hash_token(kApiKey));
  // The account's owner sees the name and fingerprint, never the key.
  auto mine = call("GET", "/api/v1/accounts/" + std::to_string(alices), kAliceToken);
  EXPECT_NE(mine->body.find(R"("key_name":"alice-main")"), std::string::npos) << mine->body;
  EXPECT_EQ(mine->body.find(kApiKey), std::string::npos);
}

TEST_F(AccountsTest, shouldPageTheAuditWithTimesAndWhoDidIt) {
  start();
  create_account(kAlice, "main");
  ASSERT_EQ(call("POST", "/api/v1/users", kAdminToken, R"({"name":"dave","role":"user"})")->status,
            201);
  auto first = call("GET", "/api/v1/audit?limit=2", kAdminToken);
  ASSERT_EQ(first->status, 200) << first->body;
  const auto page = json(*first);
  ASSERT_EQ(page.find("entries")->items.size(), 2u);
  const config::Value& e = page.find("entries")->items[0];
  EXPECT_EQ(field(e, "user"), "engine");  // the tokens-file import
  EXPECT_EQ(field(e, "command"), "create_user");
  EXPECT_EQ(field(e, "time"), "2023-11-14T22:13:20.000000001Z");
  EXPECT_EQ(field(e, "time_ns"), "1700000000000000001");
  EXPECT_EQ(field(page, "next_after"), "2");
  // The rest, after the first page: the admin's two commands at the end.
  auto rest = call("GET", "/api/v1/audit?after=2&limit=1000", kAdminToken);
  const auto tail = json(*rest);
  const auto& items = tail.find("entries")->items;
  // The import's third user and its accounts (one per user), then the admin's two commands.
  ASSERT_EQ(items.size(), 6u) << rest->body;
  EXPECT_EQ(field(items[3], "target"), "account 2");
  EXPECT_EQ(field(items[4], "command"), "create_account");
  EXPECT_EQ(field(items[4], "user"), "admin");
  EXPECT_EQ(field(items[5], "command"), "create_user");
  EXPECT_EQ(field(items[5], "target"), "user 4");
  EXPECT_EQ(field(items[3], "outcome"), "applied");
  EXPECT_EQ(rest->body.find("token"), std::string::npos);
}

}  // namespace
}  // namespace be::api::test
