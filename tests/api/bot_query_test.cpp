// GET /api/v1/bots' paging and filters (runner/api/bot_query.hpp) over a read model of 10,000
// bots built directly (no engine: one engine holds 64 bots until capacity is configurable).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "runner/api/bot_query.hpp"

namespace be::api {
namespace {

constexpr UserId kAlice{1};
constexpr UserId kBob{2};
constexpr std::size_t kBots = 10'000;

// Bot i: owner alice for even i, bob for odd; symbol by i % 10; state by i % 3; PnL with
// many ties (i % 50 - 25).
engine::ReadModel model_of(std::size_t bots) {
  engine::ReadModel m;
  for (const auto& [id, name] : {std::pair{kAlice, "alice"}, std::pair{kBob, "bob"}}) {
    engine::UserView u;
    u.id = id;
    u.name = name;
    m.users.push_back(u);
  }
  for (std::size_t i = 0; i < bots; ++i) {
    engine::BotView b;
    b.id = BotId{static_cast<std::uint32_t>(i)};
    b.owner = i % 2 == 0 ? kAlice : kBob;
    b.name = "Bot " + std::to_string(i);
    b.type = i % 4 == 0 ? "grid" : "rsi";
    b.symbol = "SYM" + std::to_string(i % 10) + "USDT";
    b.state = i % 3 == 0 ? BotState::kRunning : BotState::kStopped;
    b.pnl = std::to_string(static_cast<int>(i % 50) - 25) + ".5";
    m.bots.push_back(std::move(b));
  }
  return m;
}

BotQuery parsed(std::string_view target, const engine::ReadModel& m, bool admin = true) {
  auto q = parse_bot_query(target, m, admin);
  EXPECT_TRUE(q.has_value()) << target << ": " << (q ? "" : q.error().message);
  return q ? *q : BotQuery{};
}

// Follows next_cursor from `target` to the end; every page at most `limit` long.
std::vector<const engine::BotView*> walk(const engine::ReadModel& m, std::string target,
                                         UserId viewer, bool admin, std::size_t limit,
                                         std::string cursor = {}) {
  std::vector<const engine::BotView*> all;
  for (int pages = 0; pages < 100'000; ++pages) {
    const std::string t = target + (cursor.empty() ? "" : "&cursor=" + cursor);
    const BotPage page = select_bots(m, parsed(t, m, admin), viewer, admin);
    EXPECT_LE(page.bots.size(), limit);
    all.insert(all.end(), page.bots.begin(), page.bots.end());
    if (page.next_cursor.empty()) return all;
    EXPECT_EQ(page.bots.size(), limit) << "a page short of the limit must be the last";
    cursor = page.next_cursor;
  }
  ADD_FAILURE() << "the cursor never ended";
  return all;
}

TEST(BotQuery, shouldPageEveryBotOnceInIdOrderWithTheDefaultLimit) {
  const auto m = model_of(kBots);
  const BotPage first = select_bots(m, parsed("/api/v1/bots", m), kAlice, true);
  ASSERT_EQ(first.bots.size(), kBotPageDefault);
  EXPECT_EQ(first.next_cursor, "id.99");
  const auto all = walk(m, "/api/v1/bots?limit=100", kAlice, true, 100);
  ASSERT_EQ(all.size(), kBots);
  for (std::size_t i = 0; i < all.size(); ++i)
    EXPECT_EQ(index_of(all[i]->id), i);
}

TEST(BotQuery, shouldAnswerWithoutACursorAtTheEndAndForAFewBots) {
  const auto m = model_of(4);
  const BotPage page = select_bots(m, parsed("/api/v1/bots", m), kAlice, true);
  EXPECT_EQ(page.bots.size(), 4u);
  EXPECT_TRUE(page.next_cursor.empty());
  const auto exact = model_of(100);
  EXPECT_TRUE(select_bots(exact, parsed("/api/v1/bots", exact), kAlice, true).next_cursor.empty());
}

TEST(BotQuery, shouldShowAUserOnlyTheirOwnBots) {
  const auto m = model_of(kBots);
  const auto mine = walk(m, "/api/v1/bots?limit=1000", kBob, false, 1000);
  ASSERT_EQ(mine.size(), kBots / 2);
  for (const auto* b : mine)
    EXPECT_EQ(b->owner, kBob);
}

TEST(BotQuery, shouldFilterByStateSymbolTypeOwnerAndSearchTogether) {
  const auto m = model_of(kBots);
  const auto hits =
      walk(m, "/api/v1/bots?state=running&symbol=SYM4USDT&type=grid&owner=alice&limit=7", kAlice,
           true, 7);
  std::size_t expected = 0;
  for (std::size_t i = 0; i < kBots; ++i)
    expected += i % 3 == 0 && i % 10 == 4 && i % 4 == 0 && i % 2 == 0;
  ASSERT_EQ(hits.size(), expected);
  for (const auto* b : hits) {
    EXPECT_EQ(b->state, BotState::kRunning);
    EXPECT_EQ(b->symbol, "SYM4USDT");
    EXPECT_EQ(b->type, "grid");
    EXPECT_EQ(b->owner, kAlice);
  }
  // Search: a case-insensitive part of the name or the symbol; owner by id as by name.
  const auto named = walk(m, "/api/v1/bots?q=bOT%20999", kAlice, true, 100);
  ASSERT_EQ(named.size(), 11u);  // 999 and 9990..9999
  EXPECT_EQ(walk(m, "/api/v1/bots?q=sym7u&owner=2&limit=1000", kAlice, true, 1000).size(),
            kBots / 10);  // i % 10 == 7 is odd: all bob's
  EXPECT_TRUE(walk(m, "/api/v1/bots?symbol=NOPE", kAlice, true, 100).empty());
}

TEST(BotQuery, shouldSortByPnlHighestFirstTiesByIdAcrossPages) {
  const auto m = model_of(kBots);
  const auto all = walk(m, "/api/v1/bots?sort=pnl&limit=333", kAlice, true, 333);
  ASSERT_EQ(all.size(), kBots);
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < all.size(); ++i) {
    seen.insert(index_of(all[i]->id));
    if (i == 0) continue;
    const double a = std::stod(all[i - 1]->pnl), b = std::stod(all[i]->pnl);
    EXPECT_TRUE(a > b || (a == b && all[i - 1]->id < all[i]->id)) << i;
  }
  EXPECT_EQ(seen.size(), kBots);
  EXPECT_EQ(all.front()->pnl, "24.5");
}

TEST(BotQuery, shouldKeepTheCursorStableWhenBotsAreCreatedAndDeletedBetweenPages) {
  auto m = model_of(1000);
  const BotPage first = select_bots(m, parsed("/api/v1/bots?limit=100", m), kAlice, true);
  ASSERT_EQ(first.next_cursor, "id.99");
  // Delete bots on both sides of the cursor, create new ones at the end.
  m.bots.erase(m.bots.begin() + 50, m.bots.begin() + 150);
  auto added = model_of(1010);
  for (std::size_t i = 1000; i < added.bots.size(); ++i)
    m.bots.push_back(added.bots.shared(i));
  const auto rest = walk(m, "/api/v1/bots?limit=100", kAlice, true, 100, first.next_cursor);
  ASSERT_EQ(rest.size(), 1010u - 150u);
  EXPECT_EQ(index_of(rest.front()->id), 150u);
  EXPECT_EQ(index_of(rest.back()->id), 1009u);
}

TEST(BotQuery, shouldRefuseHostileValuesWithAMessageSayingWhat) {
  const auto m = model_of(10);
  struct Case {
    std::string_view target;
    bool admin;
    int status;
    std::string_view says;
  };
  const Case cases[] = {
      {"/api/v1/bots?limit=-1", true, 400, "limit must be"},
      {"/api/v1/bots?limit=0", true, 400, "limit must be"},
      {"/api/v1/bots?limit=1001", true, 400, "limit must be"},
      {"/api/v1/bots?limit=99999999999999999999999", true, 400, "limit must be"},
      {"/api/v1/bots?limit=ten", true, 400, "limit must be"},
      {"/api/v1/bots?cursor=garbage", true, 400, "cursor is not one"},
      {"/api/v1/bots?cursor=id.", true, 400, "cursor is not one"},
      {"/api/v1/bots?cursor=id.12x", true, 400, "cursor is not one"},
      {"/api/v1/bots?cursor=id.4294967295", true, 400, "cursor is not one"},
      {"/api/v1/bots?sort=pnl&cursor=id.5", true, 400, "cursor is not one"},
      {"/api/v1/bots?sort=pnl&cursor=pnl.5.nan", true, 400, "cursor is not one"},
      {"/api/v1/bots?cursor=pnl.5.1", true, 400, "cursor is not one"},
      {"/api/v1/bots?state=sleeping", true, 400, "state must be"},
      {"/api/v1/bots?state=deleted", true, 400, "state must be"},
      {"/api/v1/bots?sort=name", true, 400, "sort must be"},
      {"/api/v1/bots?symbol=", true, 400, "must not be empty"},
      {"/api/v1/bots?colour=red", true, 400, "unknown parameter colour"},
      {"/api/v1/bots?limit=5&limit=6", true, 400, "limit is given twice"},
      {"/api/v1/bots?owner=carol", true, 400, "owner is not"},
      {"/api/v1/bots?owner=77", true, 400, "owner is not"},
      {"/api/v1/bots?owner=alice", false, 403, "only an admin"},
  };
  for (const Case& c : cases) {
    const auto q = parse_bot_query(c.target, m, c.admin);
    ASSERT_FALSE(q.has_value()) << c.target;
    EXPECT_EQ(q.error().status, c.status) << c.target;
    EXPECT_NE(q.error().message.find(c.says), std::string::npos)
        << c.target << ": " << q.error().message;
  }
}

}  // namespace
}  // namespace be::api
