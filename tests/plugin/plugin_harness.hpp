// What the plugin tests share: the test plugins' paths, a temporary directory, plugins
// loaded and installed for one test (restored to none after it), and plugin bot configs.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/json_config.hpp"
#include "runner/plugin_loader.hpp"
#include "strategies/plugin/catalog.hpp"

namespace be::plugin::test {

namespace fs = std::filesystem;

struct TempDir {  // removed with everything in it
  fs::path path;
  TempDir() {
    char tmpl[] = "/tmp/be_plugin_test_XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

inline std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Loads `path` as plugin `name` and installs it alone; the destructor installs none again.
class Installed {
 public:
  Installed(const std::string& name, const std::string& path) {
    auto loaded = cli::load_plugin(name, path);
    EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error());
    if (!loaded) return;
    sha256_ = loaded->sha256;
    install({std::move(*loaded)});
  }
  ~Installed() {
    install({});
    (void)take_refused_build();
  }
  Installed(const Installed&) = delete;
  Installed& operator=(const Installed&) = delete;
  const std::string& sha256() const noexcept { return sha256_; }

 private:
  std::string sha256_;
};

// A plugin bot's config on BTCUSDT; `inputs` is the inputs object's JSON, `extra` more of
// "parameters" (e.g. a "sha256").
inline std::string plugin_config(std::string_view plugin, std::string_view inputs,
                                 std::string_view extra = {}) {
  std::string json = R"({"name":"p","symbol":"BTCUSDT","timeframe":"1m","seed":7,)"
                     R"("strategy":{"type":"plugin","parameters":{"plugin":)";
  config::append_json_string(json, plugin);
  json += R"(,"inputs":)";
  json += inputs;
  if (!extra.empty()) {
    json += ',';
    json += extra;
  }
  json += "}}}";
  return json;
}

}  // namespace be::plugin::test
