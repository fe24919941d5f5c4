// The one crash harness every crash test uses (label "crash"): a child process runs a
// scenario and reports progress values through a pipe; the parent waits for a seeded random
// number of reports, then a seeded random delay (also counted in reports, never slept),
// SIGKILLs the child, reaps it, and runs the scenario's check with every report the child
// wrote before it died. Rounds repeat on the same on-disk state, so each child starts from
// what the previous kill left.
//
// Settings (environment): BE_CRASH_KILLS (rounds, i.e. kills, per test; default per test),
// BE_CRASH_SEED (the kill schedule; default: the clock, so it rotates per run; scripts/test.sh
// sets one per run for all crash tests). The seed is printed at the start and in every failure
// message, with the line that reruns exactly that schedule.
//
// Children are forked while the parent runs no other thread (checked before each fork): a
// check may start threads (an engine) but must stop them before it returns. A child leaves
// only by the parent's SIGKILL or by _exit(); a child that ends on its own fails the round.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

namespace be::test {

// ---- process plumbing (also for tests that fork without killing) ------------------------

// Writes or reads exactly n bytes, retrying on EINTR; false on EOF or error.
bool write_all(int fd, const void* data, std::size_t n);
bool read_all(int fd, void* data, std::size_t n);
// waitpid, retrying on EINTR; the raw status.
int wait_child(pid_t pid);
// "killed by signal 9", "exited with 3": for failure messages.
std::string describe_status(int status);

// A forked child and the read end of a pipe from it.
struct Child {
  pid_t pid = -1;
  int from_child = -1;
};
// Forks a child that runs body(write_fd); body should not return (the child _exits with 99
// if it does). pid -1 when the pipe or fork failed.
Child spawn(const std::function<void(int write_fd)>& body);

// ---- the crash harness -------------------------------------------------------------------

struct CrashSettings {
  std::uint64_t seed = 0;
  int kills = 0;
};
// The run's settings: BE_CRASH_SEED and BE_CRASH_KILLS, else a rotating seed and
// `default_kills`.
CrashSettings crash_settings(int default_kills);

// When the parent kills, drawn per round from the seeded generator: after `first` reports,
// with `first` uniform in [min_reports, max_reports] (or, when the scenario has an arming
// predicate, after the first report it accepts), then `delay` more reports, uniform in
// [0, max_delay_reports].
struct KillSchedule {
  int min_reports = 1;
  int max_reports = 40;
  int max_delay_reports = 0;
};

struct CrashRound {
  int index = 0;
  int kills = 0;           // rounds in this run
  std::uint64_t seed = 0;  // the run's seed
  // The run's generator, advanced by the harness's own draws: a scenario may draw its own
  // per-round values from it (in the parent, before the child is forked, so both agree).
  std::mt19937_64* rng = nullptr;
};

// The byte-level harness behind CrashScenario (use that).
struct RawCrashScenario {
  int default_kills = 0;
  KillSchedule schedule;
  std::size_t report_size = 0;
  std::function<void(CrashRound&)> before_fork;  // optional: per-round setup in the parent
  std::function<void(const CrashRound&, int write_fd)> child;
  std::function<bool(const void* report)> armed;  // optional
  std::function<void(const void* report)> on_report;
  std::function<void(const CrashRound&)> check;
};
void run_raw_crash_rounds(const RawCrashScenario& scenario);

// A scenario's Report is any trivially copyable value the child sends as it goes.
template <class Report>
class Reporter {
 public:
  explicit Reporter(int fd) : fd_(fd) {}
  // Sends one report; a parent that is gone ends the child (_exit).
  void operator()(const Report& report) const;

 private:
  int fd_;
};

template <class Report>
struct CrashScenario {
  static_assert(std::is_trivially_copyable_v<Report>);
  int default_kills = 0;
  KillSchedule schedule;
  std::function<void(CrashRound&)> before_fork;  // optional
  // In the child: runs until killed, calling report() at each moment worth a kill.
  std::function<void(const CrashRound&, const Reporter<Report>& report)> child;
  // Optional: replaces the count of `first` reports; the trigger is the first report this
  // accepts (then the delay runs).
  std::function<bool(const Report&)> armed;
  // In the parent, after the kill and reap: every report the child wrote before it died.
  std::function<void(const CrashRound&, const std::vector<Report>& reports)> check;
};

// Runs the scenario's rounds (one SIGKILL each) with the run's settings.
template <class Report>
void run_crash_rounds(const CrashScenario<Report>& scenario) {
  std::vector<Report> reports;
  RawCrashScenario raw;
  raw.default_kills = scenario.default_kills;
  raw.schedule = scenario.schedule;
  raw.report_size = sizeof(Report);
  raw.before_fork = [&](CrashRound& round) {
    reports.clear();
    if (scenario.before_fork) scenario.before_fork(round);
  };
  raw.child = [&](const CrashRound& round, int fd) { scenario.child(round, Reporter<Report>(fd)); };
  if (scenario.armed) {
    raw.armed = [&](const void* bytes) {
      Report r;
      std::memcpy(&r, bytes, sizeof r);
      return scenario.armed(r);
    };
  }
  raw.on_report = [&](const void* bytes) {
    Report r;
    std::memcpy(&r, bytes, sizeof r);
    reports.push_back(r);
  };
  raw.check = [&](const CrashRound& round) { scenario.check(round, reports); };
  run_raw_crash_rounds(raw);
}

[[noreturn]] void exit_child(int code);  // _exit, for the child side

template <class Report>
void Reporter<Report>::operator()(const Report& report) const {
  if (!write_all(fd_, &report, sizeof report)) exit_child(98);
}

}  // namespace be::test
