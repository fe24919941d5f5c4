// A backtest job of the control API (runner/api/backtests.hpp) run the way the CLI runs one:
// `botengine replay JOURNAL --bots FILE --report PREFIX --quiet` in a child process. The child
// reads the deployment's journal as any other reader process does (LMDB is built for one
// writer and many reader processes; a second environment on the same files inside the engine's
// own process is what LMDB forbids), so a backtest shares no memory, thread or lock with the
// engine, and a crash or a runaway in it cannot reach the engine.
//
// The child is started with posix_spawn (vfork-like: the engine's pages are not copied or
// write-protected, so its hot thread takes no copy-on-write faults), then given the lowest
// CPU priority (nice 19) and limits on address space and CPU time (prlimit). Its stdout and
// stderr go to a file whose tail is the job's error when it fails. Each job has a directory
// under `work_dir` (the configs, the report, the output), removed when the job ends.
//
// Thread-safety: reentrant; called from the queue's worker thread.
#pragma once

#include <cstdint>
#include <stop_token>
#include <string>
#include <vector>

#include "runner/api/backtests.hpp"

namespace be::cli {

struct BacktestProcessOptions {
  std::string botengine;    // the binary: /proc/self/exe in `botengine run`
  std::string journal_dir;  // the deployment's journal
  std::string work_dir;     // <data dir>/backtests
  int nice = 19;
  std::uint64_t max_address_space = std::uint64_t{8} << 30;  // RLIMIT_AS, bytes
  std::uint64_t max_cpu_seconds = 900;                       // RLIMIT_CPU
  std::uint64_t max_report_bytes = std::uint64_t{32} << 20;  // each of .json and .html
};

api::BacktestOutcome run_backtest_process(const BacktestProcessOptions& options, std::uint64_t id,
                                          const std::vector<std::string>& bots,
                                          std::stop_token stop);

}  // namespace be::cli
