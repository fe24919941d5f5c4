// A fresh temporary directory (mkdtemp under $TMPDIR, else /tmp), removed with everything in
// it when the object goes. The benchmarks keep their journals in one; a fixture that serves
// many runs holds it in a static, whose destructor runs after BENCHMARK_MAIN's main returns,
// so no bench needs its own main just to clean up. Header-only: no Google Benchmark, no link.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace be::bench {

class ScratchDir {
 public:
  // `prefix` names the directory (e.g. "be_replay_bench") so a leftover one says whose it is.
  explicit ScratchDir(std::string_view prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/";
    tmpl.append(prefix).append("_XXXXXX");
    if (::mkdtemp(tmpl.data()) != nullptr) path_ = std::move(tmpl);
  }
  ScratchDir(ScratchDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
  ScratchDir& operator=(ScratchDir&& other) noexcept {
    if (this != &other) {
      remove();
      path_ = std::exchange(other.path_, {});
    }
    return *this;
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() { remove(); }

  // Empty when mkdtemp failed (the bench then fails to open its journal and says so).
  const std::string& path() const noexcept { return path_; }

 private:
  void remove() noexcept {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  std::string path_;
};

}  // namespace be::bench
