// The backtest routes (runner/api/routes_backtests.cpp) and their queue (backtests.hpp),
// through the Router without sockets, with a run function the test releases: validation
// (each config as a create validates it, errors under bots[i]), 202 and the job's states,
// the report shown to its owner and admins only, one job per user (409), a full queue (429),
// failures, the bound on kept jobs, a queue destroyed mid-run, and no queue (409).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "runner/api/backtests.hpp"
#include "runner/api/router.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A run function whose jobs finish only when the test says so.
class Gate {
 public:
  BacktestFn fn() {
    return [this](std::uint64_t id, const std::vector<std::string>& bots, std::stop_token stop) {
      std::unique_lock lock(mutex_);
      started_.push_back(id);
      seen_bots_ = bots.size();
      changed_.notify_all();
      changed_.wait(lock, stop, [&] { return released_ > finished_; });
      ++finished_;
      BacktestOutcome out;
      if (stop.stop_requested()) {
        out.error = "stopped";
        return out;
      }
      out.ok = !fail_;
      if (fail_) out.error = "no bot trades a symbol this recording has";
      out.report_json = R"({"bots":[{"name":"btc rsi","trades":3}],"total":{"trades":3}})";
      out.report_html = "<!doctype html><title>report " + std::to_string(id) + "</title>";
      return out;
    };
  }
  void release(bool fail = false) {
    std::lock_guard lock(mutex_);
    fail_ = fail;
    ++released_;
    changed_.notify_all();
  }
  bool wait_started(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(30), [&] { return started_.size() >= n; });
  }
  std::size_t seen_bots() {
    std::lock_guard lock(mutex_);
    return seen_bots_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any changed_;
  std::vector<std::uint64_t> started_;
  std::size_t released_ = 0, finished_ = 0, seen_bots_ = 0;
  bool fail_ = false;
};

bool settles(const BacktestQueue& queue, std::uint64_t id, BacktestState state) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    const auto job = queue.find(id);
    if (job && job->state == state) return true;
    std::this_thread::yield();
  }
  return false;
}

class BacktestsTest : public ::testing::Test {
 protected:
  explicit BacktestsTest(BacktestQueue::Limits limits = {})
      : tokens_(*TokenStore::parse(tokens_file_text())),
        queue_(gate_.fn(), limits),
        router_(engine_, tokens_, options(&queue_), stats_) {
    engine_.import_users(tokens_.entries());
  }
  static RouterOptions options(BacktestQueue* queue) {
    RouterOptions o{1e6, 1e6, {}, 1u << 20, {}, [](std::string_view) {}, 1e6, 20.0, {}, {}, false};
    o.backtests = queue;
    return o;
  }
  HttpResponse call(std::string_view method, std::string_view target, std::string_view token,
                    std::string_view body = {}) {
    const std::string auth = "Bearer " + std::string(token);
    return router_.handle(HttpRequest{method, target, auth, body},
                          std::chrono::steady_clock::now());
  }
  std::uint64_t submit(std::string_view token) {
    const HttpResponse r =
        call("POST", "/api/v1/backtests", token, "{\"bots\":[" + std::string(kRsiConfig) + "]}");
    EXPECT_EQ(r.status, 202) << r.body;
    auto v = config::parse(r.body);
    return v && v->find("id") != nullptr ? std::stoull(v->find("id")->text) : 0;
  }

  Gate gate_;
  FakeControlPlane engine_;
  TokenStore tokens_;
  ApiStats stats_;
  BacktestQueue queue_;
  Router router_;
};

TEST_F(BacktestsTest, shouldRunAJobAndShowItsReportToItsOwnerAndAdminsOnly) {
  const std::uint64_t id = submit(kAliceToken);
  ASSERT_EQ(id, 1u);
  ASSERT_TRUE(gate_.wait_started(1));
  EXPECT_EQ(gate_.seen_bots(), 1u);
  const std::string path = "/api/v1/backtests/" + std::to_string(id);
  HttpResponse running = call("GET", path, kAliceToken);
  EXPECT_EQ(running.status, 200);
  EXPECT_THAT(running.body, HasSubstr(R"("state":"running")"));
  EXPECT_EQ(call("GET", path + "/report", kAliceToken).status, 404) << "no report before done";
  gate_.release();
  ASSERT_TRUE(settles(queue_, id, BacktestState::kDone));
  const HttpResponse done = call("GET", path, kAliceToken);
  EXPECT_EQ(done.status, 200);
  EXPECT_THAT(done.body, HasSubstr(R"("state":"done")"));
  EXPECT_THAT(done.body, HasSubstr(R"("report":{"bots":[{"name":"btc rsi","trades":3}])"));
  const HttpResponse html = call("GET", path + "/report", kAliceToken);
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(html.body, HasSubstr("<title>report 1</title>"));
  // Bob sees neither the job nor its report, nor it in his list; the admin sees all three.
  EXPECT_EQ(call("GET", path, kBobToken).status, 404);
  EXPECT_EQ(call("GET", path + "/report", kBobToken).status, 404);
  EXPECT_THAT(call("GET", "/api/v1/backtests", kBobToken).body, HasSubstr(R"({"backtests":[]})"));
  EXPECT_EQ(call("GET", path, kAdminToken).status, 200);
  EXPECT_THAT(call("GET", "/api/v1/backtests", kAdminToken).body, HasSubstr(R"("id":1,)"));
  EXPECT_THAT(call("GET", "/api/v1/backtests", kAliceToken).body, HasSubstr(R"("state":"done")"));
  EXPECT_EQ(call("GET", "/api/v1/backtests/77", kAliceToken).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/backtests/x", kAliceToken).status, 404);
}

TEST_F(BacktestsTest, shouldValidateEachConfigAsACreateDoesAndNameItsIndex) {
  const HttpResponse bad = call("POST", "/api/v1/backtests", kAliceToken,
                                "{\"bots\":[" + std::string(kRsiConfig) +
                                    R"(,{"name":"x","symbol":"BTCUSDT","timeframe":"1m",
                                    "strategy":{"type":"rsi","parameters":{"period":0}}}]})");
  EXPECT_EQ(bad.status, 422);
  EXPECT_THAT(bad.body, HasSubstr(R"("field":"bots[1].strategy.parameters.period")"));
  EXPECT_THAT(bad.body, Not(HasSubstr("bots[0]")));
  for (const std::string& body :
       {std::string("[]"), std::string("{}"), std::string("{\"bots\":[]}"),
        std::string("{\"bots\":[3]}"), std::string("not json"),
        "{\"bots\":[" + std::string(kRsiConfig) + "],\"extra\":1}"}) {
    const HttpResponse r = call("POST", "/api/v1/backtests", kAliceToken, body);
    EXPECT_EQ(r.status, 422) << body << " -> " << r.body;
  }
  std::string many = "{\"bots\":[";
  for (int i = 0; i < 17; ++i)
    many += (i ? "," : "") + std::string(kRsiConfig);
  const HttpResponse too_many = call("POST", "/api/v1/backtests", kAliceToken, many + "]}");
  EXPECT_EQ(too_many.status, 422);
  EXPECT_THAT(too_many.body, HasSubstr("from 1 to 16 bot configs, got 17"));
  EXPECT_TRUE(queue_.list(UserId{0}, true).empty()) << "nothing refused was queued";
}

TEST_F(BacktestsTest, shouldTakeOneJobPerUserAndSayWhenTheQueueIsFull) {
  const std::uint64_t first = submit(kAliceToken);
  ASSERT_TRUE(gate_.wait_started(1));
  const HttpResponse again = call("POST", "/api/v1/backtests", kAliceToken,
                                  "{\"bots\":[" + std::string(kRsiConfig) + "]}");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_THAT(again.body, HasSubstr("your backtest 1 is still running: one at a time per user"));
  gate_.release(true);  // it fails: its error is shown, and alice may submit again
  ASSERT_TRUE(settles(queue_, first, BacktestState::kFailed));
  EXPECT_THAT(call("GET", "/api/v1/backtests/1", kAliceToken).body,
              HasSubstr(R"("error":"no bot trades a symbol this recording has")"));
  EXPECT_EQ(call("GET", "/api/v1/backtests/1/report", kAliceToken).status, 404);
  const std::uint64_t second = submit(kAliceToken);
  EXPECT_EQ(second, 2u);
  ASSERT_TRUE(gate_.wait_started(2));
  gate_.release();
  ASSERT_TRUE(settles(queue_, second, BacktestState::kDone));
}

class SmallBacktestsTest : public BacktestsTest {
 protected:
  SmallBacktestsTest() : BacktestsTest(BacktestQueue::Limits{2, 2, 16}) {}
};

TEST_F(SmallBacktestsTest, shouldRefuseWithRetryAfterWhenFullAndForgetTheOldestFinished) {
  const std::uint64_t a = submit(kAliceToken);
  const std::uint64_t b = submit(kBobToken);
  const HttpResponse full = call("POST", "/api/v1/backtests", kAdminToken,
                                 "{\"bots\":[" + std::string(kRsiConfig) + "]}");
  EXPECT_EQ(full.status, 429) << full.body;
  EXPECT_EQ(full.retry_after_seconds, 10);
  EXPECT_THAT(full.body, HasSubstr("2 backtests are queued or running"));
  gate_.release();
  gate_.release();
  ASSERT_TRUE(settles(queue_, a, BacktestState::kDone));
  ASSERT_TRUE(settles(queue_, b, BacktestState::kDone));
  const std::uint64_t c = submit(kAdminToken);
  gate_.release();
  ASSERT_TRUE(settles(queue_, c, BacktestState::kDone));
  // Three finished, two kept: the oldest is forgotten.
  EXPECT_EQ(call("GET", "/api/v1/backtests/" + std::to_string(a), kAliceToken).status, 404);
  EXPECT_EQ(call("GET", "/api/v1/backtests/" + std::to_string(c), kAdminToken).status, 200);
}

TEST(BacktestQueue, shouldStopTheRunningJobWhenDestroyed) {
  Gate gate;
  std::atomic<bool> destroyed{false};
  {
    BacktestQueue queue(gate.fn());
    ASSERT_TRUE(queue.submit(UserId{1}, {std::string(kRsiConfig)}).has_value());
    ASSERT_TRUE(gate.wait_started(1));
  }  // never released: only the stop token ends the run
  destroyed = true;
  EXPECT_TRUE(destroyed.load());
}

TEST(BacktestRoutes, shouldAnswer409WithoutAJournal) {
  FakeControlPlane engine;
  TokenStore tokens = *TokenStore::parse(tokens_file_text());
  engine.import_users(tokens.entries());
  ApiStats stats;
  Router router(
      engine, tokens,
      RouterOptions{1e6, 1e6, {}, 1u << 20, {}, [](std::string_view) {}, 1e6, 20.0, {}, {}, false},
      stats);
  const std::string auth = "Bearer " + std::string(kAliceToken);
  const HttpResponse r = router.handle(HttpRequest{"POST", "/api/v1/backtests", auth,
                                                   "{\"bots\":[" + std::string(kRsiConfig) + "]}"},
                                       std::chrono::steady_clock::now());
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("engine.journal is off"));
}

}  // namespace
}  // namespace be::api::test
