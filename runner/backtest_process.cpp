#include "runner/backtest_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/file_read.hpp"
#include "core/json_config.hpp"

extern char** environ;

namespace be::cli {

namespace fs = std::filesystem;

namespace {

api::BacktestOutcome failed(std::string why) {
  api::BacktestOutcome out;
  out.error = std::move(why);
  return out;
}

// The last lines of the child's output (at most ~1 KB), for the job's error.
std::string tail_of(const fs::path& path) {
  std::string text = read_file(path.string(), std::uint64_t{1} << 20).value_or("");
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  if (text.size() > 1000) text = "..." + text.substr(text.size() - 1000);
  return text;
}

// Closes the fd it owns.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// Waits for `pid` to exit, or kills it once `stop` is requested. Its wait status.
int wait_or_kill(pid_t pid, const std::stop_token& stop) {
  Fd stop_fd(::eventfd(0, EFD_CLOEXEC));
  Fd pid_fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  std::stop_callback on_stop(stop, [&] {
    const std::uint64_t one = 1;
    if (stop_fd.fd >= 0) (void)!::write(stop_fd.fd, &one, sizeof one);
  });
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) return status;
    if (done < 0 && errno != EINTR) return status;
    if (stop.stop_requested()) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return status;
    }
    // Without a pidfd (a kernel before 5.3) the stop fd's poll times out and waitpid looks.
    pollfd fds[2] = {{stop_fd.fd, POLLIN, 0}, {pid_fd.fd, POLLIN, 0}};
    ::poll(fds, pid_fd.fd >= 0 ? 2 : 1, pid_fd.fd >= 0 ? -1 : 100);
  }
}

}  // namespace

api::BacktestOutcome run_backtest_process(const BacktestProcessOptions& o, std::uint64_t id,
                                          const std::vector<std::string>& bots,
                                          std::stop_token stop) {
  const fs::path dir = fs::path(o.work_dir) / std::to_string(id);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec) return failed("cannot create " + dir.string() + ": " + ec.message());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ignored;
      fs::remove_all(dir, ignored);
    }
  } cleanup{dir};

  const fs::path bots_file = dir / "bots.json";
  {
    std::ofstream out(bots_file, std::ios::binary);
    out << config::join_array(bots);
    if (!out) return failed("cannot write " + bots_file.string());
  }
  const fs::path output = dir / "output.txt";
  Fd out_fd(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (out_fd.fd < 0)
    return failed("cannot create " + output.string() + ": " + std::strerror(errno));

  const std::string prefix = (dir / "report").string();
  std::vector<std::string> args = {o.botengine,        "replay",   o.journal_dir, "--bots",
                                   bots_file.string(), "--report", prefix,        "--quiet"};
  std::vector<char*> argv;
  for (std::string& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, out_fd.fd, 2);
  // Nothing else of the engine's (sockets, journal files) crosses into the child.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  pid_t pid = 0;
  const int spawned =
      ::posix_spawn(&pid, o.botengine.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return failed("cannot start " + o.botengine + ": " + std::strerror(spawned));
  // The lowest priority and the caps, before it has done anything that matters.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(pid), o.nice);
  const rlimit memory{o.max_address_space, o.max_address_space};
  const rlimit cpu{o.max_cpu_seconds, o.max_cpu_seconds + 5};
  ::prlimit(pid, RLIMIT_AS, &memory, nullptr);
  ::prlimit(pid, RLIMIT_CPU, &cpu, nullptr);

  const int status = wait_or_kill(pid, stop);
  if (stop.stop_requested()) return failed("stopped: the engine is shutting down");
  const std::string said = tail_of(output);
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return failed("the backtest process was stopped by signal " + std::to_string(sig) +
                  (sig == SIGXCPU || sig == SIGKILL
                       ? " (its CPU time limit is " + std::to_string(o.max_cpu_seconds) + " s)"
                       : std::string()) +
                  (said.empty() ? "" : ": " + said));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return failed("botengine replay exited with status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                  (said.empty() ? "" : ": " + said));
  }
  auto json = read_file(prefix + ".json", o.max_report_bytes);
  auto html = read_file(prefix + ".html", o.max_report_bytes);
  if (!json) return failed("the backtest's report: " + json.error());
  if (!html) return failed("the backtest's report: " + html.error());
  api::BacktestOutcome out;
  out.ok = true;
  out.report_json = std::move(*json);
  out.report_html = std::move(*html);
  return out;
}

}  // namespace be::cli
