// Runs docs/API.md's examples (doc_examples.hpp says how they are written and matched) against
// a live server over the in-memory FakeControlPlane, so the reference cannot drift from the
// router. Examples run in document order on one server, so later ones see what earlier ones
// created. engine_doc_test.cpp runs the same examples against the real Engine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "tests/api/api_fixture.hpp"
#include "tests/api/doc_examples.hpp"

namespace be::api::test {
namespace {

namespace fs = std::filesystem;

TEST_F(ApiServerTest, shouldAnswerEveryExampleInTheApiDoc) {
  std::vector<DocExample> examples;
  ASSERT_NO_FATAL_FAILURE(load_doc_examples(examples));

  const fs::path reports = fs::temp_directory_path() / ("be-api-doc-" + std::to_string(getpid()));
  fs::remove_all(reports);
  write_doc_reports(reports);
  BacktestQueue backtests(doc_backtest_fn());
  ApiOptions options;
  options.reports_dir = reports;
  options.backtests = &backtests;
  start(options);

  for (const DocExample& e : examples) {
    SCOPED_TRACE(e.where());
    wait_for_backtests(backtests, e);
    const ExampleResult r = run_example(port_, e);
    EXPECT_TRUE(r.mismatches.empty()) << r.describe();
  }
  server_->stop();  // before the queue it borrows
  fs::remove_all(reports);
}

}  // namespace
}  // namespace be::api::test
