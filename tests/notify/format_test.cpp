// Payload bodies and human text: exact bytes per format, exact decimals per scale.
#include "runner/notify/format.hpp"

#include <gtest/gtest.h>

#include "tests/notify/support.hpp"

namespace be::notify {
namespace {

using test::item_of_kind;
using test::trade_item;

TEST(NotifyFormat, shouldWriteTradeTextWithExactDecimalsAtInstrumentScales) {
  NotifyItem item = trade_item(42);
  EXPECT_EQ(human_text(item), "[dca-1] BTCUSDT BUY 0.00100000 @ 51613.38000000");
  item.price_scale = 2;
  item.qty_scale = 3;
  item.n.value1 = 5'161'338;  // 51613.38
  item.n.value2 = 1;          // 0.001
  item.n.side = Side::kSell;
  EXPECT_EQ(human_text(item), "[dca-1] BTCUSDT SELL 0.001 @ 51613.38");
}

// Every kind of notification (bot 1, "dca-1", on BTCUSDT) with its code and its exact text.
struct KindText {
  NotificationKind kind;
  std::uint16_t code;
  const char* text;
};
constexpr KindText kKindTexts[] = {
    {NotificationKind::kStopLoss, 0, "[dca-1] BTCUSDT stop-loss hit at 51613.38000000"},
    {NotificationKind::kTakeProfit, 0, "[dca-1] BTCUSDT take-profit hit at 51613.38000000"},
    {NotificationKind::kTrailingStop, 0, "[dca-1] BTCUSDT trailing stop hit at 51613.38000000"},
    {NotificationKind::kRiskReject, 18, "[dca-1] BTCUSDT order rejected by risk: max_daily_loss"},
    {NotificationKind::kKillSwitch, 1, "[dca-1] kill switch SET"},
    {NotificationKind::kKillSwitch, 0, "[dca-1] kill switch reset"},
    {NotificationKind::kBotError, 0, "[dca-1] bot error: circuit breaker opened"},
    {NotificationKind::kFeedStatus, 2, "[dca-1] BTCUSDT feed disconnected"},
    {NotificationKind::kBotStatus, 2, "[dca-1] bot is now running"},
};

TEST(NotifyFormat, shouldWriteEveryKindAsReadableText) {
  for (const KindText& c : kKindTexts) {
    EXPECT_EQ(human_text(item_of_kind(1, c.kind, 1, c.code)), c.text)
        << "kind " << static_cast<int>(c.kind) << ", code " << c.code;
  }
}

TEST(NotifyFormat, shouldNameEngineOrBotIdWhenNoNameGiven) {
  NotifyItem item = item_of_kind(1, NotificationKind::kKillSwitch, 1, 1);
  item.bot_name.clear();
  EXPECT_EQ(human_text(item), "[bot 1] kill switch SET");
  item.n.bot = kNoBot;
  EXPECT_EQ(human_text(item), "[engine] kill switch SET");
}

TEST(NotifyFormat, shouldWritePlainJsonEventWithStructuredFields) {
  const NotifyItem item = trade_item(42);
  EXPECT_EQ(format_payload(item, Format::kJson, idempotency_key("eng1", 42), ""),
            R"({"idempotency_key":"eng1-42","sequence":42,"time":"2025-11-23T03:33:32.123456789Z",)"
            R"("time_ns":"1763868812123456789","kind":"trade","bot_id":1,"bot":"dca-1",)"
            R"("symbol":"BTCUSDT","side":"buy","price":"51613.38000000","quantity":"0.00100000",)"
            R"("code":0,"value1":5161338000000,"value2":100000,"cause":41,)"
            R"("text":"[dca-1] BTCUSDT BUY 0.00100000 @ 51613.38000000"})");
}

TEST(NotifyFormat, shouldWriteReasonAndNullsForSystemEvents) {
  NotifyItem item = item_of_kind(9, NotificationKind::kKillSwitch, 0, 1);
  item.n.bot = kNoBot;
  item.bot_name.clear();
  item.symbol.clear();
  item.n.value1 = 0;
  item.n.value2 = 0;
  EXPECT_EQ(format_payload(item, Format::kJson, "eng1-9", ""),
            R"({"idempotency_key":"eng1-9","sequence":9,"time":"2025-11-23T03:33:32.123456789Z",)"
            R"("time_ns":"1763868812123456789","kind":"kill_switch","bot_id":null,"bot":"engine",)"
            R"("symbol":null,"code":1,"reason":"set","value1":0,"value2":0,"cause":8,)"
            R"("text":"[engine] kill switch SET"})");
}

TEST(NotifyFormat, shouldWriteTelegramSendMessageBodyWithEscapedHtml) {
  NotifyItem item = trade_item(42);
  item.bot_name = "a<b>&c";
  EXPECT_EQ(format_payload(item, Format::kTelegram, "eng1-42", "-1001234"),
            R"({"chat_id":"-1001234","text":"<b>Trade</b>\n[a&lt;b&gt;&amp;c] BTCUSDT BUY )"
            R"(0.00100000 @ 51613.38000000\n<i>2025-11-23T03:33:32.123456789Z · eng1-42</i>",)"
            R"("parse_mode":"HTML"})");
}

TEST(NotifyFormat, shouldWriteSlackTextAndBlocks) {
  const NotifyItem item = item_of_kind(5, NotificationKind::kStopLoss, 2);
  EXPECT_EQ(format_payload(item, Format::kSlack, "eng1-5", ""),
            R"({"text":"Stop-loss: [dca-2] BTCUSDT stop-loss hit at 51613.38000000",)"
            R"("blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Stop-loss*\n[dca-2] )"
            R"(BTCUSDT stop-loss hit at 51613.38000000"}},{"type":"context","elements":[{"type":)"
            R"("mrkdwn","text":"2025-11-23T03:33:32.123456789Z · eng1-5"}]}]})");
}

TEST(NotifyFormat, shouldEscapeJsonControlCharactersAndQuotes) {
  NotifyItem item = trade_item(3);
  item.bot_name = "q\"\\\x01";
  const std::string body = format_payload(item, Format::kJson, "k-3", "");
  EXPECT_NE(body.find(R"("bot":"q\"\\\u0001")"), std::string::npos) << body;
}

TEST(NotifyFormat, shouldShowRawUnitsForAnImpossibleScaleInsteadOfCrashing) {
  NotifyItem item = trade_item(3);
  item.price_scale = 40;
  EXPECT_EQ(human_text(item), "[dca-1] BTCUSDT BUY 0.00100000 @ 5161338000000");
}

}  // namespace
}  // namespace be::notify
