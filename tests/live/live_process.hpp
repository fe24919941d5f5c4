// Processes and HTTP for the live end-to-end test: the real `botengine sim` and `botengine run`
// binaries started as children (output to a log file the test reads), and blocking HTTP to
// their ports. Every wait is for a condition with a deadline.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "net/http_client.hpp"
#include "net/url.hpp"

extern char** environ;

namespace be::test {

// Polls `done` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child process whose stdout and stderr go to `log`.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() { kill(SIGKILL); }

  bool start(const std::vector<std::string>& argv, const std::filesystem::path& log) {
    log_ = log;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0;
  }
  // The first capture of `pattern` in the log once it appears (within `timeout`).
  std::optional<std::string> wait_for_line(const std::string& pattern,
                                           std::chrono::milliseconds timeout) const {
    const std::regex re(pattern);
    std::optional<std::string> found;
    eventually(
        [&] {
          std::smatch m;
          const std::string text = read_text(log_);
          if (std::regex_search(text, m, re)) found = m.size() > 1 ? m[1].str() : m[0].str();
          return found.has_value() || !running();
        },
        timeout);
    return found;
  }
  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0 && !reaped(); }
  // Sends `signal` and reaps; the exit status (-1: was not running).
  int kill(int signal) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string log() const { return read_text(log_); }

 private:
  bool reaped() const {
    int status = 0;
    return ::waitpid(pid_, &status, WNOHANG) == pid_;
  }
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

// One origin, requests with an optional bearer token.
class Http {
 public:
  Http(const std::string& origin, const net::TlsClientOptions& tls = {}) {
    net::HttpClientOptions options;
    options.tls = tls;
    options.timeout = std::chrono::milliseconds(10'000);
    client_.emplace(net::parse_http_url(origin).value(), options);
  }
  // {status, body}; status 0 when the request failed.
  std::pair<int, std::string> call(std::string_view method, std::string_view target,
                                   std::string_view token = {}, std::string_view body = {}) {
    const std::string auth = "Bearer " + std::string(token);
    const net::HttpHeader header{"Authorization", auth};
    net::HttpRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    if (!body.empty()) r.content_type = "application/json";
    if (!token.empty()) r.headers = {&header, 1};
    auto answer = client_->request(r);
    if (!answer) return {0, answer.error().message};
    return {answer->status, answer->body};
  }

 private:
  std::optional<net::HttpClient> client_;
};

}  // namespace be::test
