// Times GET /api/v1/bots at the server (Router::handle: token, rate, route, query, page, JSON)
// over a published read model of N bots and 1,000 users, as the issue-18 target states it
// (docs/BENCHMARKS.md). Not a test: run by hand, `api_bots_page_bench [bots] [iterations]`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runner/api/router.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

using engine::CommandResult;

// A ControlPlane that only publishes a fixed read model (no commands in a listing).
class ModelOnly final : public engine::ControlPlane {
 public:
  explicit ModelOnly(std::shared_ptr<const engine::ReadModel> m) : model_(std::move(m)) {}
  std::shared_ptr<const engine::ReadModel> read_model() const override { return model_; }
  CommandResult create_bot(UserId, std::string_view) override { return {}; }
  engine::BulkCreateResult create_bots(UserId, std::span<const std::string>) override { return {}; }
  CommandResult update_bot(UserId, bool, BotId, std::string_view) override { return {}; }
  CommandResult bot_command(UserId, bool, BotId, OperatorCommandKind) override { return {}; }
  CommandResult kill_switch(UserId, bool, CommandScope, std::uint32_t, bool) override { return {}; }
  CommandResult create_user(UserId, std::string_view) override { return {}; }
  CommandResult update_user(UserId, UserId, std::string_view) override { return {}; }
  CommandResult create_account(UserId, std::string_view) override { return {}; }
  CommandResult remove_account(UserId, AccountId) override { return {}; }
  CommandResult attach_key(UserId, AccountId, std::string_view, std::string_view) override {
    return {};
  }
  std::vector<engine::AuditEntry> audit(SequenceNumber, std::size_t) const override { return {}; }
  std::vector<config::FieldError> validate_bot_config(std::string_view) const override {
    return {};
  }
  engine::StreamBatch stream_since(SequenceNumber, std::size_t) const override { return {}; }
  engine::StreamWindow stream_window() const override { return {}; }
  std::string metrics_text() const override { return {}; }

 private:
  std::shared_ptr<const engine::ReadModel> model_;
};

std::shared_ptr<const engine::ReadModel> model_of(std::size_t bots) {
  auto m = std::make_shared<engine::ReadModel>();
  for (std::uint32_t u = 1; u <= 1000; ++u) {
    engine::UserView v;
    v.id = UserId{u};
    v.name = u == 1 ? "admin" : "user" + std::to_string(u);
    v.admin = u == 1;
    if (u == 1) v.token_sha256 = hash_token(kAdminToken);
    m->users.push_back(v);
  }
  for (std::size_t i = 0; i < bots; ++i) {
    engine::BotView b;
    b.id = BotId{static_cast<std::uint32_t>(i)};
    b.owner = UserId{static_cast<std::uint32_t>(1 + i % 1000)};
    b.name = "bot " + std::to_string(i);
    b.type = i % 4 == 0 ? "grid" : "rsi";
    b.venue = "binance";
    b.symbol = "SYM" + std::to_string(i % 1000) + "USDT";
    b.state = i % 3 == 0 ? BotState::kRunning : BotState::kStopped;
    b.state_reason = "operator";
    b.pnl = std::to_string(static_cast<int>(i % 977) - 400) + ".125";
    b.position = {b.symbol, "0.5", "100.25", "1.5", "-0.25", "0.01", "101"};
    m->bots.push_back(std::move(b));
  }
  return m;
}

void time_target(Router& router, std::string_view target, int iterations) {
  const std::string auth = "Bearer " + std::string(kAdminToken);
  std::vector<double> us;
  std::size_t bytes = 0;
  for (int i = 0; i < iterations; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const HttpResponse r =
        router.handle(HttpRequest{"GET", target, auth, {}}, std::chrono::steady_clock::now());
    const auto t1 = std::chrono::steady_clock::now();
    if (r.status != 200) {
      std::fprintf(stderr, "%.*s: %d %s\n", static_cast<int>(target.size()), target.data(),
                   r.status, r.body.c_str());
      std::exit(1);
    }
    bytes = r.body.size();
    us.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(us.begin(), us.end());
  std::printf("%-60.*s p50 %7.1f us  p99 %7.1f us  max %7.1f us  (%zu bytes)\n",
              static_cast<int>(target.size()), target.data(), us[us.size() / 2],
              us[us.size() * 99 / 100], us.back(), bytes);
}

}  // namespace
}  // namespace be::api::test

int main(int argc, char** argv) {
  using namespace be::api;
  using namespace be::api::test;
  const std::size_t bots = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 1000;
  ModelOnly engine(model_of(bots));
  auto tokens = TokenStore::parse(tokens_file_text());
  ApiStats stats;
  Router router(
      engine, *tokens,
      RouterOptions{1e9, 1e9, {}, 1u << 20, {}, [](std::string_view) {}, 1e6, 20.0, {}, {}, false},
      stats);
  std::printf("%zu bots, 1000 users, %d requests each, admin token\n", bots, iterations);
  for (const char* target :
       {"/api/v1/bots?limit=100", "/api/v1/bots?limit=100&cursor=id.5000",
        "/api/v1/bots?limit=100&state=running&type=grid", "/api/v1/bots?limit=100&q=bot%2099",
        "/api/v1/bots?limit=100&sort=pnl", "/api/v1/bots?limit=1000"})
    time_target(router, target, iterations);
}
