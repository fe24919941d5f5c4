// The `botengine` command line: one binary, subcommands in a table (runner/main.cpp).
// Each subcommand lives in its own file and gets its arguments after the subcommand name.
// Exit codes: 0 success, 1 the operation found a problem (a corrupt journal, say),
// 2 a usage error.
#pragma once

#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>

namespace be::cli {

using Args = std::span<const std::string_view>;

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  std::string_view name;
  std::string_view summary;  // one line for `botengine --help`
  int (*run)(Args args);     // args exclude the subcommand name
};

// Prints "botengine COMMAND: WHY" and the command's usage text to stderr; returns kExitUsage.
inline int usage_error(std::string_view command, std::string_view why, std::string_view usage) {
  std::fprintf(stderr, "botengine %.*s: %.*s\n%.*s", static_cast<int>(command.size()),
               command.data(), static_cast<int>(why.size()), why.data(),
               static_cast<int>(usage.size()), usage.data());
  return kExitUsage;
}

// A subcommand's usage: called with why the arguments are bad, it prints "botengine COMMAND:
// WHY" and the usage text to stderr and returns kExitUsage (`return usage("--seed takes ...")`).
struct Usage {
  std::string_view command;
  std::string_view text;
  int operator()(std::string_view why) const { return usage_error(command, why, text); }
  // A failure after the arguments were accepted: "botengine COMMAND: WHY", kExitFailure.
  int failed(std::string_view why) const {
    std::fprintf(stderr, "botengine %.*s: %.*s\n", static_cast<int>(command.size()), command.data(),
                 static_cast<int>(why.size()), why.data());
    return kExitFailure;
  }
};

// Creates `dir` and its parents for `command`'s output; false after saying why on stderr
// ("botengine run: cannot create DIR: REASON").
inline bool make_directory(std::string_view command, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!ec) return true;
  std::fprintf(stderr, "botengine %.*s: cannot create %s: %s\n", static_cast<int>(command.size()),
               command.data(), dir.c_str(), ec.message().c_str());
  return false;
}

// Subcommands, each defined in its own runner/cmd_*.cpp.
int run_version(Args args);
int run_journal(Args args);  // runner/cmd_journal.cpp
int run_ta(Args args);       // runner/cmd_ta.cpp
int run_capture(Args args);  // runner/cmd_capture.cpp
int run_sim(Args args);      // runner/cmd_sim.cpp
int run_record(Args args);   // runner/cmd_record.cpp
int run_bench(Args args);    // runner/cmd_bench.cpp
int run_keys(Args args);     // runner/cmd_keys.cpp
int run_run(Args args);      // runner/cmd_run.cpp
int run_replay(Args args);   // runner/cmd_replay.cpp
int run_data(Args args);     // runner/cmd_data.cpp
int run_sweep(Args args);    // runner/cmd_sweep.cpp

}  // namespace be::cli
