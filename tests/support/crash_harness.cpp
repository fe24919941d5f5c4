#include "tests/support/crash_harness.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "journal/files.hpp"

namespace be::test {

// Whole transfers, retrying on EINTR and short counts: journal/files.hpp's, the one home.
bool write_all(int fd, const void* data, std::size_t n) {
  return journal::write_fully(fd, data, n);
}

bool read_all(int fd, void* data, std::size_t n) {
  return journal::read_fully(fd, data, n);
}

int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  return "status " + std::to_string(status);
}

void exit_child(int code) {
  ::_exit(code);
}

Child spawn(const std::function<void(int)>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    body(fds[1]);
    ::_exit(99);
  }
  ::close(fds[1]);
  if (pid < 0) {
    ::close(fds[0]);
    return {};
  }
  return {pid, fds[0]};
}

namespace {

std::uint64_t from_env(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

// Threads of this process (/proc/self/status): a fork copies only the calling thread, so a
// child forked while another thread held a lock (malloc's, say) could deadlock.
int running_threads() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

// A child silent this long is stuck (a bug in the scenario or the code under test): the
// round fails saying so instead of hanging the suite. A bound, not a synchronisation.
constexpr int kSilenceLimitMs = 60'000;

// Waits (bounded) until the child wrote something or closed the pipe.
bool child_spoke(int fd) {
  pollfd p{fd, POLLIN, 0};
  int ready = 0;
  while ((ready = ::poll(&p, 1, kSilenceLimitMs)) < 0 && errno == EINTR) {
  }
  return ready > 0;
}

int uniform(std::mt19937_64& rng, int low, int high) {
  return high <= low ? low
                     : low + static_cast<int>(rng() % static_cast<std::uint64_t>(high - low + 1));
}

}  // namespace

CrashSettings crash_settings(int default_kills) {
  // Rotating by default: each run kills at other moments; the seed printed reruns one.
  const auto clock_seed =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  CrashSettings s;
  s.seed = from_env("BE_CRASH_SEED", clock_seed);
  s.kills = static_cast<int>(from_env("BE_CRASH_KILLS", static_cast<std::uint64_t>(default_kills)));
  return s;
}

void run_raw_crash_rounds(const RawCrashScenario& scenario) {
  const CrashSettings settings = crash_settings(scenario.default_kills);
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name =
      test != nullptr ? std::string(test->test_suite_name()) + "." + test->name() : "?";
  const std::string rerun = "BE_CRASH_SEED=" + std::to_string(settings.seed) +
                            " BE_CRASH_KILLS=" + std::to_string(settings.kills) +
                            " ctest --preset release -R '^" + name + "$'";
  std::printf("[ crash    ] %s: %d kills, seed %llu; rerun: %s\n", name.c_str(), settings.kills,
              static_cast<unsigned long long>(settings.seed), rerun.c_str());
  std::fflush(stdout);  // before any fork: the child must not flush the parent's buffer too
  std::mt19937_64 rng(settings.seed);
  std::vector<unsigned char> report(scenario.report_size);
  const KillSchedule& plan = scenario.schedule;
  for (int index = 0; index < settings.kills; ++index) {
    SCOPED_TRACE("crash round " + std::to_string(index) + " of " + std::to_string(settings.kills) +
                 ", seed " + std::to_string(settings.seed) + "; rerun: " + rerun);
    CrashRound round{index, settings.kills, settings.seed, &rng};
    const int first = uniform(rng, plan.min_reports, plan.max_reports);
    const int delay = uniform(rng, 0, plan.max_delay_reports);
    if (scenario.before_fork) scenario.before_fork(round);
    ASSERT_EQ(running_threads(), 1) << "a check left threads running: a fork would copy "
                                       "only this one";
    const Child child = spawn([&](int fd) { scenario.child(round, fd); });
    ASSERT_GE(child.pid, 0) << "pipe or fork failed";
    int seen = 0;
    int since_trigger = -1;  // reports since the trigger; -1 before it
    bool killed = false;
    bool silent = false;
    // Reports written before the child died still count: read until EOF.
    while ((silent = !child_spoke(child.from_child)) == false &&
           read_all(child.from_child, report.data(), report.size())) {
      ++seen;
      scenario.on_report(report.data());
      if (killed) continue;
      if (since_trigger < 0) {
        const bool trigger = scenario.armed ? scenario.armed(report.data()) : seen >= first;
        if (trigger) since_trigger = 0;
      } else {
        ++since_trigger;
      }
      if (since_trigger >= delay) {
        ::kill(child.pid, SIGKILL);
        killed = true;
      }
    }
    if (!killed) ::kill(child.pid, SIGKILL);  // it closed the pipe or went silent
    ::close(child.from_child);
    const int status = wait_child(child.pid);
    ASSERT_FALSE(silent) << "the child sent no report for " << kSilenceLimitMs / 1000 << " s after "
                         << seen << " reports (killed)";
    ASSERT_TRUE(killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended on its own (" << describe_status(status) << ") after " << seen
        << " reports, before the kill";
    scenario.check(round);
    if (::testing::Test::HasFatalFailure()) return;  // later rounds would build on a bad state
  }
}

}  // namespace be::test
