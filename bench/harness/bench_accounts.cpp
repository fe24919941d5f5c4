// Bench bots on accounts made through the engine's commands (bench_accounts.hpp).
#include "bench/harness/bench_accounts.hpp"

#include "bench/harness/engine_fixture.hpp"

namespace be::bench {

namespace {

Unexpected<std::string> refused(const std::string& what, const engine::CommandResult& r) {
  return Unexpected("bench: " + what + ": " + r.message);
}

}  // namespace

Expected<BenchAccounts, std::string> create_bench_accounts(engine::Engine& engine,
                                                           std::size_t count,
                                                           std::string_view account_json) {
  BenchAccounts made;
  const auto user =
      engine.create_user(kEngineUser, R"({"name":"bench","role":"user","token_sha256":")" +
                                          std::string(64, 'b') + "\"}");
  if (user.status != engine::CommandStatus::kAccepted) return refused("create the user", user);
  made.owner = UserId{user.created_id};
  for (std::size_t i = 0; i < count; ++i) {
    const std::string json = R"({"owner":)" + std::to_string(user.created_id) +
                             R"(,"name":"bench-)" + std::to_string(i) + "\"," +
                             std::string(account_json) + "}";
    const auto account = engine.create_account(kEngineUser, json);
    if (account.status != engine::CommandStatus::kAccepted) {
      return refused("create an account", account);
    }
    made.accounts.push_back(AccountId{account.created_id});
  }
  engine.drain(5'000'000'000);
  return made;
}

Expected<bool, std::string> start_bench_bots(engine::Engine& engine, const BenchAccounts& on,
                                             std::size_t bots) {
  for (std::size_t i = 0; i < bots && !on.accounts.empty(); ++i) {
    std::string json = bot_config_json(i);
    const AccountId account = on.accounts[i % on.accounts.size()];
    json.insert(1, R"("account":)" + std::to_string(static_cast<std::uint32_t>(account)) + ",");
    const auto made = engine.create_bot(on.owner, json);
    if (made.status != engine::CommandStatus::kAccepted) return refused("create a bot", made);
    const auto run = engine.bot_command(on.owner, false, made.bot, OperatorCommandKind::kStartBot);
    if (run.status != engine::CommandStatus::kAccepted) return refused("start a bot", run);
  }
  engine.drain(5'000'000'000);
  return true;
}

}  // namespace be::bench
