// Bench bots on accounts made through the engine's commands, as an operator would make them
// (docs/ACCOUNTS.md): one user (created by the engine itself), `count` accounts of that user,
// and bench bot i (engine_fixture.hpp's bot_config_json) on account i % count, started. Used
// by `bench run --accounts N` (the account-isolation comparison) and `--venue live-sim`.
//
// Thread-safety: the harness's thread, after Engine::start. Errors name the command that
// was refused and the engine's message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "engine/engine.hpp"

namespace be::bench {

struct BenchAccounts {
  UserId owner{};
  std::vector<AccountId> accounts;
};

// `account_json`: the fields beside owner and name, e.g. R"("venue":"binance","mode":"paper")".
Expected<BenchAccounts, std::string> create_bench_accounts(engine::Engine& engine,
                                                           std::size_t count,
                                                           std::string_view account_json);
Expected<bool, std::string> start_bench_bots(engine::Engine& engine, const BenchAccounts& on,
                                             std::size_t bots);

}  // namespace be::bench
