// Users and accounts (engine/directory.hpp, docs/ACCOUNTS.md): the directory's checks, its
// place in the fold's snapshot and hash, and the engine's commands end to end: import,
// per-account bots, balances and kill switches, live accounts refused at start, the audit,
// and replay and recovery rebuilding the same users and accounts.
#include <algorithm>
#include <string>

#include "tests/engine/engine_fixture.hpp"
#include "tests/support/field_errors.hpp"

namespace be::engine {
namespace {

using namespace test_support;

const std::string kHashA(64, 'a');
const std::string kHashB(64, 'b');
const std::string kHashC(64, 'c');

DirectoryConfig small_directory(std::uint32_t max_accounts) {
  DirectoryConfig c;
  c.assets = {{"BTC", 8}, {"USDT", 8}};
  c.default_opening = {{AccountId{0}, AssetId{1}, 1000 * kUnit}};
  c.max_accounts = max_accounts;
  return c;
}

// Applies one directory command with its blob through Directory::on_input, as the fold does.
std::string apply(Directory& d, OperatorCommandKind kind, std::uint32_t target,
                  std::string_view json, std::uint32_t blob_kind, DirectoryEffect& effect) {
  static std::uint64_t next_blob = 1;
  OperatorCommand c;
  c.kind = kind;
  c.account = target;
  if (!json.empty()) {
    BlobRef b;
    b.blob_id = next_blob++;
    b.kind = blob_kind;
    b.size = static_cast<std::uint32_t>(json.size());
    b.data = reinterpret_cast<const std::byte*>(json.data());
    d.on_input(Event::make(b, 1, 1), effect);
    c.blob_id = b.blob_id;
  }
  d.on_input(Event::make(c, 2, 2), effect);
  EXPECT_TRUE(effect.command);
  return effect.refusal;
}

std::vector<std::string> fields(const std::vector<config::FieldError>& errors) {
  return test::field_names(errors);
}

TEST(Directory, NamesEveryBadFieldAndNeverEchoesATokenHash) {
  Directory d(small_directory(4));
  std::vector<config::FieldError> errors;
  EXPECT_FALSE(d.check_create_user(
      R"({"name":"bad name!","role":"root","token_sha256":"secret-token-value","x":1})", errors));
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"name", "role", "token_sha256", "x"}));
  for (const auto& e : errors)
    EXPECT_EQ(e.message.find("secret-token-value"), std::string::npos) << e.message;

  DirectoryEffect effect;
  ASSERT_EQ(apply(d, OperatorCommandKind::kCreateUser, 1,
                  R"({"name":"alice","role":"admin","token_sha256":")" + kHashA + "\"}",
                  kUserBlobKind, effect),
            "");
  errors.clear();
  EXPECT_FALSE(d.check_create_user(R"({"name":"alice","token_sha256":")" + kHashA + "\"}", errors));
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"name", "token_sha256"}));

  errors.clear();
  EXPECT_FALSE(d.check_create_account(
      R"({"owner":9,"name":"main","mode":"demo","endpoint":"testnet","balances":{"DOGE":"1"}})",
      errors));
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"owner", "mode", "balances.DOGE"}));

  errors.clear();
  EXPECT_FALSE(d.check_create_account(
      R"({"owner":1,"name":"live","mode":"live","endpoint":"custom","rest_url":"ftp://x",
          "balances":{"USDT":"1"},"limits":{"max_open_orders":-1}})",
      errors));
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"rest_url", "ws_api_url", "stream_url",
                                                      "balances", "limits.max_open_orders"}));

  // The last enabled admin keeps signing in.
  errors.clear();
  EXPECT_FALSE(d.check_update_user(UserId{1}, R"({"disabled":true})", errors));
  EXPECT_EQ(fields(errors), (std::vector<std::string>{"disabled"}));
}

TEST(Directory, IdsAreDenseNeverReusedAndCapacityIsEnforced) {
  Directory d(small_directory(2));
  DirectoryEffect effect;
  EXPECT_EQ(apply(d, OperatorCommandKind::kCreateUser, 2,
                  R"({"name":"alice","token_sha256":")" + kHashA + "\"}", kUserBlobKind, effect),
            "not the next user id");
  ASSERT_EQ(apply(d, OperatorCommandKind::kCreateUser, 1,
                  R"({"name":"alice","role":"admin","token_sha256":")" + kHashA + "\"}",
                  kUserBlobKind, effect),
            "");
  ASSERT_EQ(apply(d, OperatorCommandKind::kCreateAccount, 0, R"({"owner":1,"name":"a"})",
                  kAccountBlobKind, effect),
            "");
  EXPECT_TRUE(effect.open_paper);
  ASSERT_EQ(effect.credits.size(), 1u);
  EXPECT_EQ(effect.credits[0].account, AccountId{0});
  EXPECT_EQ(effect.credits[0].amount, 1000 * kUnit);
  ASSERT_EQ(apply(d, OperatorCommandKind::kRemoveAccount, 0, "", 0, effect), "");
  EXPECT_EQ(apply(d, OperatorCommandKind::kRemoveAccount, 0, "", 0, effect), "already removed");
  ASSERT_EQ(apply(d, OperatorCommandKind::kCreateAccount, 1, R"({"owner":1,"name":"a"})",
                  kAccountBlobKind, effect),
            "");  // the name is free again, the id is not
  const std::string third = apply(d, OperatorCommandKind::kCreateAccount, 2,
                                  R"({"owner":1,"name":"c"})", kAccountBlobKind, effect);
  EXPECT_NE(third.find("at most 2 accounts"), std::string::npos) << third;
  EXPECT_EQ(d.accounts().size(), 2u);
  EXPECT_TRUE(d.accounts()[0].removed);
  EXPECT_EQ(d.resolve_bot_account(UserId{1}, AccountId{0}), kNoAccount);
  EXPECT_EQ(d.resolve_bot_account(UserId{1}, AccountId{1}), AccountId{1});
  EXPECT_EQ(d.resolve_bot_account(UserId{2}, AccountId{1}), kNoAccount);
}

// The fold's snapshot carries the directory and the live block; version-2 (before users) and
// version-3 (before live accounts) snapshots restore.
TEST(Directory, FoldSnapshotRoundTripAndOlderSnapshot) {
  TempDir dir;
  const EngineConfig config = test_config(dir.path);
  DeploymentFold built(config);
  Fold& before = built.fold;
  const InstrumentTable& table = built.table;
  // An empty directory (13 bytes), then the live block at the end.
  const auto old_bytes = before.snapshot();
  const std::uint64_t empty_hash = before.hashes().combined;

  SequenceNumber n = 0;
  for (std::size_t i = 0; i < table.size(); ++i)
    before.apply(Event::make(table.definition(i), 1, 1), ++n);
  const std::string user = R"({"name":"alice","role":"admin","token_sha256":")" + kHashA + "\"}";
  const std::string account = R"({"owner":1,"name":"main","limits":{"max_open_orders":3}})";
  std::uint64_t blob_id = 1;
  for (auto [kind, blob_kind, json, target] :
       {std::tuple{OperatorCommandKind::kCreateUser, kUserBlobKind, &user, 1u},
        std::tuple{OperatorCommandKind::kCreateAccount, kAccountBlobKind, &account, 0u}}) {
    BlobRef b{blob_id, static_cast<std::uint32_t>(json->size()), blob_kind,
              reinterpret_cast<const std::byte*>(json->data())};
    before.apply(Event::make(b, 2, 2), ++n);
    OperatorCommand c;
    c.kind = kind;
    c.account = target;
    c.blob_id = blob_id++;
    before.apply(Event::make(c, 3, 3), ++n);
  }
  ASSERT_EQ(before.directory().accounts().size(), 1u);
  EXPECT_EQ(before.risk().engine().account_equity(AccountId{0}), 0);
  const StateHashes h = before.hashes();
  EXPECT_NE(h.directory, 0u);

  DeploymentFold restored(config);
  Fold& after = restored.fold;
  ASSERT_EQ(after.restore(before.snapshot()), std::nullopt);
  EXPECT_EQ(after.hashes().combined, h.combined);
  EXPECT_EQ(after.directory().users()[0].name, "alice");
  EXPECT_EQ(after.directory().accounts()[0].limits_json, R"({"max_open_orders":3})");

  // Version 3: the same frame without the order stage's live block (the last part); version
  // 2 without the directory's bytes either.
  std::vector<std::byte> live_block;
  state_io::Writer w(live_block);
  DeploymentFold(config).fold.order_stage().save_live(w);
  for (const auto& [version, cut] :
       {std::pair{3, live_block.size()}, std::pair{2, live_block.size() + 13}}) {
    auto older_bytes = old_bytes;
    older_bytes.resize(older_bytes.size() - cut);
    older_bytes[0] = static_cast<std::byte>(version);
    DeploymentFold from_older(config);
    Fold& older = from_older.fold;
    ASSERT_EQ(older.restore(older_bytes), std::nullopt) << "version " << version;
    EXPECT_TRUE(older.directory().empty());
    EXPECT_EQ(older.hashes().combined, empty_hash);
  }
}

// ---- The engine
// ----------------------------------------------------------------------------------

EngineConfig accounts_config(const fs::path& dir) {
  EngineConfig c = test_config(dir);
  c.initial_users = {{"alice", true, kHashA}, {"bob", false, kHashB}};
  return c;
}

// Drives event time (engine clock ticks) until `ready(model)` or a bound of inputs: the
// paper venue answers after its latency in event time.
template <class Ready>
bool advance_until(Engine& engine, Ready ready) {
  for (int i = 0; i < 400; ++i) {
    if (!engine.drain(10'000'000'000)) return false;
    if (ready(*engine.read_model())) return true;
    Timer tick;
    tick.owner = kNoBot;
    const Nanos t = wall_clock_now() + static_cast<Nanos>(i) * 1'000'000;
    engine.offer_event(Event::make(tick, t, t));
  }
  return false;
}

const BalanceView* balance(const AccountView& a, std::string_view asset) {
  for (const BalanceView& b : a.balances)
    if (b.asset == asset) return &b;
  return nullptr;
}

TEST(Accounts, ImportKeepsIdsAndOpensAPaperAccountPerUser) {
  TempDir dir;
  const EngineConfig config = accounts_config(dir.path);
  auto engine = started_engine(config);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(advance_until(*engine, [](const ReadModel& m) {
    return m.accounts.size() == 2 && balance(m.accounts[1], "USDT") != nullptr &&
           balance(m.accounts[1], "USDT")->free == "100000.00000000";
  }));
  const auto m = engine->read_model();
  ASSERT_EQ(m->users.size(), 2u);
  EXPECT_EQ(m->users[0].id, UserId{1});
  EXPECT_EQ(m->users[0].name, "alice");
  EXPECT_TRUE(m->users[0].admin);
  EXPECT_EQ(m->users[1].id, UserId{2});
  EXPECT_EQ(m->users[1].token_sha256, kHashB);
  EXPECT_EQ(m->accounts[0].owner, UserId{1});
  EXPECT_EQ(m->accounts[1].owner, UserId{2});
  EXPECT_EQ(m->accounts[1].mode, "paper");
  // Account 0 keeps the balances the deployment's paper account always had: not twice.
  EXPECT_EQ(balance(m->accounts[0], "USDT")->free, "100000.00000000");
  EXPECT_EQ(m->engine.balances.size(), m->accounts[0].balances.size());
  EXPECT_EQ(engine->stop(), "");

  // A restart imports nothing more: the journal is the source of truth now.
  EngineConfig again = config;
  again.initial_users.push_back({"carol", false, kHashC});
  auto reopened = started_engine(again);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->read_model()->users.size(), 2u);
  EXPECT_EQ(reopened->read_model()->accounts.size(), 2u);
  EXPECT_EQ(reopened->stop(), "");
}

TEST(Accounts, BotsTradeOnTheirOwnersAccountsAloneAndReplayRebuildsThem) {
  TempDir dir;
  const EngineConfig config = accounts_config(dir.path);
  auto engine = started_engine(config);
  ASSERT_TRUE(engine);
  const UserId alice{1}, bob{2};

  // Bob may not trade on alice's account, nor reach the admin commands.
  std::string on_alices = kGridBot;
  on_alices.insert(1, R"("account":0,)");
  const CommandResult refused = engine->create_bot(bob, on_alices);
  EXPECT_EQ(refused.status, CommandStatus::kInvalid);
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].field, "account");
  EXPECT_EQ(engine->create_account(bob, R"({"owner":2,"name":"more"})").status,
            CommandStatus::kNotFound);
  EXPECT_EQ(engine->update_user(bob, bob, R"({"role":"admin"})").status, CommandStatus::kNotFound);

  const CommandResult a = engine->create_bot(alice, kGridBot);
  const CommandResult b = engine->create_bot(bob, kGridBot);
  ASSERT_EQ(a.status, CommandStatus::kAccepted) << a.message;
  ASSERT_EQ(b.status, CommandStatus::kAccepted) << b.message;
  // Event time from now on: the commands' (wall-clock) times and the market's agree, so every
  // bot sees the same bars close after its start.
  Market market(7, wall_clock_now());
  ASSERT_TRUE(offer_market(*engine, market, 50));
  ASSERT_EQ(engine->bot_command(alice, false, a.bot, OperatorCommandKind::kStartBot).status,
            CommandStatus::kAccepted);
  ASSERT_EQ(engine->bot_command(bob, false, b.bot, OperatorCommandKind::kStartBot).status,
            CommandStatus::kAccepted);
  ASSERT_TRUE(offer_market(*engine, market, 3000));
  auto m = engine->read_model();
  ASSERT_EQ(m->find(a.bot)->account, AccountId{0});
  ASSERT_EQ(m->find(b.bot)->account, AccountId{1});
  EXPECT_EQ(m->find_account(AccountId{0})->bots, 1u);
  EXPECT_EQ(m->find_account(AccountId{1})->bots, 1u);
  ASSERT_GT(m->find(a.bot)->trades, 0u);
  ASSERT_GT(m->find(b.bot)->trades, 0u);
  // Each account's BTC is its one bot's position: nothing leaks between accounts.
  ASSERT_TRUE(advance_until(*engine, [&](const ReadModel& rm) {
    for (const BotView& bot : rm.bots) {
      const AccountView* account = rm.find_account(bot.account);
      const BalanceView* btc = account ? balance(*account, "BTC") : nullptr;
      if (btc == nullptr) return false;
      const auto held = parse_decimal(btc->free, 8).value() + parse_decimal(btc->locked, 8).value();
      if (held != parse_decimal(bot.position.quantity, 8).value()) return false;
    }
    return true;
  }));

  // Bob's account switch: his bot's orders go, alice's stay.
  m = engine->read_model();
  const std::uint32_t alice_open = m->find(a.bot)->open_orders;
  ASSERT_GT(alice_open, 0u);
  EXPECT_EQ(engine->kill_switch(bob, false, CommandScope::kAccount, 0, true).status,
            CommandStatus::kNotFound);
  EXPECT_EQ(
      engine->kill_switch(bob, false, CommandScope::kBotOrGlobal, index_of(kNoBot), true).status,
      CommandStatus::kNotFound);
  ASSERT_EQ(engine->kill_switch(bob, false, CommandScope::kAccount, 1, true).status,
            CommandStatus::kAccepted);
  ASSERT_TRUE(advance_until(*engine,
                            [&](const ReadModel& rm) { return rm.find(b.bot)->open_orders == 0; }));
  ASSERT_TRUE(offer_market(*engine, market, 200));
  m = engine->read_model();
  EXPECT_EQ(m->find(b.bot)->open_orders, 0u);
  EXPECT_GT(m->find(a.bot)->open_orders, 0u);
  EXPECT_TRUE(m->find_account(AccountId{1})->kill_switch);
  EXPECT_FALSE(m->find_account(AccountId{0})->kill_switch);
  EXPECT_EQ(m->engine.killed_accounts, std::vector<std::uint32_t>{1});

  // The audit: who did what, from where, with what outcome.
  const auto audit = engine->audit(0, 1000);
  const auto find = [&](std::string_view command, UserId user) {
    return std::find_if(audit.begin(), audit.end(), [&](const AuditEntry& e) {
      return e.command == command && e.user == user;
    });
  };
  ASSERT_NE(find("create_user", kEngineUser), audit.end());
  EXPECT_EQ(find("create_user", kEngineUser)->target, "user 1");
  EXPECT_EQ(find("create_user", kEngineUser)->route, "POST /api/v1/users");
  ASSERT_NE(find("create_bot", bob), audit.end());
  const auto kill = find("kill_switch_set", bob);
  ASSERT_NE(kill, audit.end());
  EXPECT_EQ(kill->target, "account 1");
  EXPECT_EQ(kill->outcome, "applied");
  EXPECT_TRUE(
      std::is_sorted(audit.begin(), audit.end(),
                     [](const AuditEntry& x, const AuditEntry& y) { return x.seq < y.seq; }));
  EXPECT_TRUE(engine->audit(kill->seq, 1000).empty());  // the last command so far
  const auto from_kill = engine->audit(kill->seq - 1, 1);
  ASSERT_EQ(from_kill.size(), 1u);
  EXPECT_EQ(from_kill[0].seq, kill->seq);

  const std::uint64_t live_hash = [&] {
    EXPECT_EQ(engine->stop(), "");
    return engine->state_hash();
  }();
  const auto users_before = engine->read_model()->users.size();
  engine.reset();

  // Replay from scratch rebuilds the same users, accounts and state.
  const ScratchReplay replay = replay_from_scratch(config);
  EXPECT_EQ(replay.derived_mismatches, 0u);
  EXPECT_EQ(replay.hash, live_hash);

  // Recovery too, and the audit is read back from the journal.
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->state_hash(), live_hash);
  const auto rm = reopened->read_model();
  EXPECT_EQ(rm->users.size(), users_before);
  EXPECT_EQ(rm->find_account(AccountId{1})->owner, bob);
  EXPECT_TRUE(rm->find_account(AccountId{1})->kill_switch);
  const auto recovered = reopened->audit(0, 1000);
  EXPECT_GE(recovered.size(), audit.size());
  EXPECT_EQ(recovered.front().command, "create_user");
  EXPECT_EQ(recovered.front().outcome, "applied");
}

TEST(Accounts, ALiveAccountIsStoredButItsBotsDoNotStart) {
  TempDir dir;
  auto engine = started_engine(accounts_config(dir.path));
  ASSERT_TRUE(engine);
  const CommandResult live = engine->create_account(
      UserId{1}, R"({"owner":2,"name":"spot","mode":"live","endpoint":"testnet",
                     "limits":{"max_open_orders":5}})");
  ASSERT_EQ(live.status, CommandStatus::kAccepted) << live.message;
  EXPECT_EQ(live.created_id, 2u);
  const CommandResult key =
      engine->attach_key(UserId{1}, AccountId{2}, "bob-testnet", std::string(64, 'f'));
  ASSERT_EQ(key.status, CommandStatus::kAccepted) << key.message;
  auto m = engine->read_model();
  const AccountView* a = m->find_account(AccountId{2});
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->mode, "live");
  EXPECT_EQ(a->rest_url, "https://testnet.binance.vision");
  EXPECT_EQ(a->key_name, "bob-testnet");
  EXPECT_EQ(a->key_fingerprint, std::string(64, 'f'));

  std::string on_live = kGridBot;
  on_live.insert(1, R"("account":2,)");
  const CommandResult bot = engine->create_bot(UserId{2}, on_live);
  ASSERT_EQ(bot.status, CommandStatus::kAccepted) << bot.message;
  const CommandResult start =
      engine->bot_command(UserId{2}, false, bot.bot, OperatorCommandKind::kStartBot);
  EXPECT_EQ(start.status, CommandStatus::kConflict);
  EXPECT_NE(start.message.find("no live venues attached"), std::string::npos) << start.message;
  EXPECT_EQ(engine->read_model()->find(bot.bot)->state, BotState::kStopped);

  // A removed account takes no new bots.
  ASSERT_EQ(engine->remove_account(UserId{1}, AccountId{2}).status, CommandStatus::kAccepted);
  const CommandResult after = engine->create_bot(UserId{2}, on_live);
  EXPECT_EQ(after.status, CommandStatus::kInvalid);
  ASSERT_FALSE(after.errors.empty());
  EXPECT_EQ(after.errors[0].field, "account");
  EXPECT_EQ(engine->stop(), "");
}

}  // namespace
}  // namespace be::engine
