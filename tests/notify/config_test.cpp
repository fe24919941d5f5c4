// The notifications config block: what it accepts and that it names every bad field.
#include "runner/notify/config.hpp"

#include "core/codes.hpp"
#include "tests/support/field_errors.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace be::notify {
namespace {

std::vector<std::string> fields(const std::vector<config::FieldError>& errors) {
  return test::field_names(errors);
}

TEST(NotifyConfig, shouldReadEveryFieldOfAValidConfig) {
  const auto cfg = parse_notify_config(R"({"notifications":{
      "webhooks":[
        {"name":"ops","url":"http://127.0.0.1:9000/hook","format":"json","bots":[2,1,2],
         "kinds":["trade","kill_switch"]},
        {"name":"tg","url":"https://api.telegram.org/bot123:abc/sendMessage","format":"telegram",
         "bots":"all","kinds":["stop_loss","take_profit","risk_reject","bot_error","feed_status",
         "bot_status","trailing_stop"],"telegram_chat_id":"-1001234"},
        {"name":"slack","url":"https://hooks.slack.com/services/T/B/X","format":"slack",
         "kinds":["trade"]}],
      "max_attempts":4,"initial_backoff_ms":100,"max_backoff_ms":2000,"timeout_ms":1500,
      "verify_peer":false,"ca_file":"/etc/ssl/extra.pem"},
    "other_section":{"ignored":true}})");
  ASSERT_TRUE(cfg) << config::format_errors(cfg.error());
  ASSERT_EQ(cfg->webhooks.size(), 3u);
  const Webhook& ops = cfg->webhooks[0];
  EXPECT_EQ(ops.name, "ops");
  EXPECT_EQ(ops.format, Format::kJson);
  EXPECT_FALSE(ops.all_bots);
  EXPECT_EQ(ops.bots, (std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(ops.kinds,
            kind_bit(NotificationKind::kTrade) | kind_bit(NotificationKind::kKillSwitch));
  const Webhook& tg = cfg->webhooks[1];
  EXPECT_EQ(tg.format, Format::kTelegram);
  EXPECT_TRUE(tg.all_bots);
  EXPECT_EQ(tg.telegram_chat_id, "-1001234");
  EXPECT_EQ(tg.kinds & kind_bit(NotificationKind::kTrade), 0u);
  EXPECT_TRUE(cfg->webhooks[2].all_bots);  // absent "bots" means all
  EXPECT_EQ(cfg->webhooks[2].format, Format::kSlack);
  EXPECT_EQ(cfg->max_attempts, 4u);
  EXPECT_EQ(cfg->initial_backoff_ms, 100);
  EXPECT_EQ(cfg->max_backoff_ms, 2000);
  EXPECT_EQ(cfg->timeout_ms, 1500);
  EXPECT_FALSE(cfg->verify_peer);
  EXPECT_EQ(cfg->ca_file, "/etc/ssl/extra.pem");
}

TEST(NotifyConfig, shouldApplyDefaultsAndAcceptAnAbsentBlock) {
  const auto none = parse_notify_config(R"({"engine":{}})");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->webhooks.empty());
  const auto cfg = parse_notify_config(
      R"({"notifications":{"webhooks":[{"name":"a","url":"http://h/x","kinds":["trade"]}]}})");
  ASSERT_TRUE(cfg) << config::format_errors(cfg.error());
  EXPECT_EQ(cfg->webhooks[0].format, Format::kJson);
  EXPECT_EQ(cfg->max_attempts, 10u);
  EXPECT_EQ(cfg->initial_backoff_ms, 500);
  EXPECT_EQ(cfg->max_backoff_ms, 60000);
  EXPECT_TRUE(cfg->verify_peer);
}

TEST(NotifyConfig, shouldNameEveryBadFieldAtOnce) {
  const auto cfg = parse_notify_config(R"({"notifications":{
      "webhooks":[
        {"name":"ops","url":"ftp://h/x","format":"xml","bots":[1,-2,"x"],
         "kinds":["trade","moon"],"colour":"red"},
        {"name":"ops","url":"http://h:99999/","format":"telegram","kinds":[]},
        {"url":"http://h/"},
        7],
      "max_attempts":0,"initial_backoff_ms":1000,"max_backoff_ms":10,"surprise":1}})");
  ASSERT_FALSE(cfg);
  const std::vector<std::string> expected{
      "notifications.webhooks[0].url",      "notifications.webhooks[0].format",
      "notifications.webhooks[0].bots[1]",  "notifications.webhooks[0].bots[2]",
      "notifications.webhooks[0].kinds[1]", "notifications.webhooks[0].colour",
      "notifications.webhooks[1].name",     "notifications.webhooks[1].url",
      "notifications.webhooks[1].kinds",    "notifications.webhooks[1].telegram_chat_id",
      "notifications.webhooks[2].name",     "notifications.webhooks[2].kinds",
      "notifications.webhooks[3]",          "notifications.max_attempts",
      "notifications.max_backoff_ms",       "notifications.surprise"};
  std::vector<std::string> got = fields(cfg.error());
  EXPECT_EQ(got, expected) << config::format_errors(cfg.error());
  const std::string text = config::format_errors(cfg.error());
  EXPECT_NE(text.find("unsupported scheme 'ftp'"), std::string::npos) << text;
  EXPECT_NE(text.find("duplicate webhook name 'ops'"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown field"), std::string::npos) << text;
}

TEST(NotifyConfig, shouldReportJsonSyntaxErrors) {
  const auto cfg = parse_notify_config(R"({"notifications":)");
  ASSERT_FALSE(cfg);
  ASSERT_EQ(cfg.error().size(), 1u);
  EXPECT_FALSE(cfg.error()[0].message.empty());
}

TEST(NotifyConfig, shouldRouteByBotAndKind) {
  Webhook w;
  w.all_bots = false;
  w.bots = {1, 3};
  w.kinds = kind_bit(NotificationKind::kTrade);
  Notification n;
  n.kind = NotificationKind::kTrade;
  n.bot = BotId{3};
  EXPECT_TRUE(w.wants(n));
  n.bot = BotId{2};
  EXPECT_FALSE(w.wants(n));
  n.bot = BotId{1};
  n.kind = NotificationKind::kRiskReject;
  EXPECT_FALSE(w.wants(n));
}

TEST(NotifyConfig, shouldMapEveryKindNameBothWays) {
  for (int k = 1; k <= 9; ++k) {
    const auto kind = static_cast<NotificationKind>(k);
    const auto back = notification_kind_from(to_string(kind));
    ASSERT_TRUE(back) << k;
    EXPECT_EQ(*back, kind);
  }
  EXPECT_FALSE(notification_kind_from("Trade"));
}

}  // namespace
}  // namespace be::notify
