// A backtest job as `run` starts it (runner/backtest_process.hpp): the real binary in a child
// process over a journal another `botengine run` wrote. Its report is byte for byte the one
// `botengine replay --bots --report` writes by hand; a run that fails says why (its exit status
// and the tail of what it printed); a runaway is stopped by its CPU time limit; a stop request
// kills the child at once; and the job's directory is gone afterwards.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stop_token>
#include <thread>

#include "core/file_read.hpp"
#include "runner/backtest_process.hpp"
#include "tests/support/botengine_cli.hpp"

namespace be::cli {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr const char* kDca =
    R"({"name":"btc dca","symbol":"BTCUSDT","timeframe":"1m","strategy":{"type":"dca",)"
    R"("parameters":{"base_order_quote":100.0,"take_profit_pct":0.01,)"
    R"("safety_orders":{"count":2,"quote":100.0,"deviation_pct":0.01}}}})";

class BacktestProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("be-backtest-process-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  BacktestProcessOptions options(std::string binary) const {
    BacktestProcessOptions o;
    o.botengine = std::move(binary);
    o.journal_dir = (dir_ / "data" / "journal").string();
    o.work_dir = (dir_ / "work").string();
    return o;
  }
  // A shell script standing in for the binary.
  std::string script(const std::string& name, const std::string& body) const {
    const fs::path path = dir_ / name;
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(path, fs::perms::owner_all);
    return path.string();
  }

  fs::path dir_;
};

TEST_F(BacktestProcessTest, shouldWriteTheReportTheCliWritesForTheSameJournalAndBots) {
  REQUIRE_BOTENGINE();
  // A journal of the embedded simulator's market, as `botengine run` records it.
  const test::CliResult run = test::run_botengine("run --data-dir " + (dir_ / "data").string() +
                                                  " --api-port 0 --duration-s 3");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const BacktestProcessOptions o = options(BE_BOTENGINE_PATH);
  const api::BacktestOutcome job = run_backtest_process(o, 7, {kDca}, std::stop_token{});
  ASSERT_TRUE(job.ok) << job.error;
  EXPECT_THAT(job.report_json, HasSubstr(R"("name":"btc dca")"));
  EXPECT_THAT(job.report_html, HasSubstr("<html"));
  EXPECT_FALSE(fs::exists(dir_ / "work" / "7")) << "the job's directory is removed";
  // The same backtest by hand.
  std::ofstream(dir_ / "bots.json") << "[" << kDca << "]";
  const test::CliResult by_hand =
      test::run_botengine("replay " + o.journal_dir + " --bots " + (dir_ / "bots.json").string() +
                          " --report " + (dir_ / "by-hand").string() + " --quiet");
  ASSERT_EQ(by_hand.exit_code, 0) << by_hand.output;
  EXPECT_EQ(job.report_json, read_file((dir_ / "by-hand.json").string()).value_or("unreadable"));
  EXPECT_EQ(job.report_html, read_file((dir_ / "by-hand.html").string()).value_or("unreadable"));
}

TEST_F(BacktestProcessTest, shouldSayWhyARunFailedWithItsStatusAndOutput) {
  const api::BacktestOutcome job = run_backtest_process(
      options(script("fails.sh", "echo 'botengine replay: no journal here' >&2; exit 3")), 1,
      {kDca}, std::stop_token{});
  EXPECT_FALSE(job.ok);
  EXPECT_EQ(job.error, "botengine replay exited with status 3: botengine replay: no journal here");
  EXPECT_FALSE(
      run_backtest_process(options((dir_ / "missing").string()), 2, {kDca}, std::stop_token{}).ok);
}

TEST_F(BacktestProcessTest, shouldStopARunawayAtItsCpuTimeLimit) {
  BacktestProcessOptions o = options(script("spins.sh", "while :; do :; done"));
  o.max_cpu_seconds = 1;
  const api::BacktestOutcome job = run_backtest_process(o, 1, {kDca}, std::stop_token{});
  EXPECT_FALSE(job.ok);
  EXPECT_THAT(job.error, HasSubstr("its CPU time limit is 1 s"));
}

TEST_F(BacktestProcessTest, shouldKillTheChildWhenAskedToStop) {
  std::stop_source stop;
  api::BacktestOutcome job;
  std::thread runner([&] {
    job = run_backtest_process(options(script("sleeps.sh", "exec sleep 600")), 1, {kDca},
                               stop.get_token());
  });
  stop.request_stop();  // before or after the spawn: either way the child is killed
  runner.join();        // bounded: a child left running would hold this for 600 s
  EXPECT_FALSE(job.ok);
  EXPECT_EQ(job.error, "stopped: the engine is shutting down");
}

}  // namespace
}  // namespace be::cli
