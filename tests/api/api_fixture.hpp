// A running ApiServer on an ephemeral port over the in-memory FakeControlPlane, with three
// users: admin (admin), alice and bob (users), imported into the fake as the engine imports
// the tokens file, so requests authenticate against the read model's users. Log lines are
// kept for assertions.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/json_config.hpp"
#include "runner/api/server.hpp"
#include "tests/api/fake_control_plane.hpp"
#include "tests/api/test_client.hpp"

namespace be::api::test {

inline constexpr std::string_view kAdminToken = "admin-token-0123456789";
inline constexpr std::string_view kAliceToken = "alice-token-0123456789";
inline constexpr std::string_view kBobToken = "bob-token-0123456789";

inline std::string tokens_file_text() {
  return "# test users\nadmin admin " + hash_token(kAdminToken) + "\nalice user " +
         hash_token(kAliceToken) + "  # the first user\nbob user " + hash_token(kBobToken) + "\n";
}

inline constexpr std::string_view kRsiConfig =
    R"({"name":"btc rsi","symbol":"BTCUSDT","timeframe":"15m",)"
    R"("strategy":{"type":"rsi","parameters":{"period":14,"oversold":30,"overbought":70,"quote_amount":100.0}}})";

// A reply's JSON body (a failed expectation when it does not parse).
inline config::Value json(const Reply& r) {
  auto v = config::parse(r.body);
  EXPECT_TRUE(v.has_value()) << r.body;
  return v ? std::move(*v) : config::Value{};
}

// A member's text (a string's value or a number's JSON text), "<absent>" when missing.
inline std::string field(const config::Value& v, std::string_view key) {
  const config::Value* f = v.find(key);
  return f != nullptr ? f->text : std::string("<absent>");
}

class ApiServerTest : public ::testing::Test {
 public:
  void start(ApiOptions options = {}) {
    auto tokens = TokenStore::parse(tokens_file_text());
    ASSERT_TRUE(tokens.has_value()) << tokens.error();
    engine_.import_users(tokens->entries());
    options.port = 0;
    options.log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_.emplace_back(line);
    };
    server_ = std::make_unique<ApiServer>(engine_, std::move(*tokens), std::move(options));
    auto port = server_->start();
    ASSERT_TRUE(port.has_value()) << port.error();
    port_ = *port;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::optional<Reply> call(std::string_view method, std::string_view target,
                            std::string_view token = {}, std::string_view body = {}) {
    TestClient c;
    if (!c.connect(port_)) return std::nullopt;
    return c.request(method, target, token, body, false);
  }
  std::vector<std::string> log_lines() {
    std::lock_guard lock(log_mutex_);
    return log_;
  }

  FakeControlPlane engine_;
  std::unique_ptr<ApiServer> server_;
  std::uint16_t port_ = 0;
  std::mutex log_mutex_;
  std::vector<std::string> log_;
};

}  // namespace be::api::test
