#include "runner/key_directory.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <system_error>

#include "runner/api/auth.hpp"

namespace be::cli {

namespace fs = std::filesystem;

namespace {
constexpr std::string_view kKeyFileSuffix = ".key";
constexpr std::size_t kMaxKeyNameBytes = 64;
}  // namespace

std::string key_fingerprint(std::string_view api_key) {
  return api::hash_token(api_key);  // the same sha256 hex the tokens file uses
}

Expected<fs::path, std::string> key_entry_path(const fs::path& dir, std::string_view name) {
  if (name.empty() || name.size() > kMaxKeyNameBytes || name.front() == '.' ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    return Unexpected(
        std::string("a key name is 1 to 64 characters, no '/', not starting with '.'"));
  }
  return dir / (std::string(name) + std::string(kKeyFileSuffix));
}

Expected<std::string, std::string> store_key_entry(const fs::path& dir,
                                                   const binance::MasterKey& master,
                                                   std::string_view name, std::string_view api_key,
                                                   std::string_view secret) {
  auto path = key_entry_path(dir, name);
  if (!path) return Unexpected(path.error());
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Unexpected("cannot create " + dir.string() + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  auto bytes = binance::encrypt_credentials(master, api_key, secret);
  if (!bytes) return Unexpected(bytes.error());
  auto written = binance::write_key_file(path->string(), *bytes);
  if (!written) return Unexpected(written.error());
  return key_fingerprint(api_key);
}

Expected<std::string, std::string> key_entry_fingerprint(const fs::path& dir,
                                                         const binance::MasterKey& master,
                                                         std::string_view name) {
  auto path = key_entry_path(dir, name);
  if (!path) return Unexpected(path.error());
  if (!fs::exists(*path)) return Unexpected("no key named `" + std::string(name) + "`");
  auto credentials = binance::load_credentials(path->string(), master);
  if (!credentials) return Unexpected(credentials.error());
  return key_fingerprint(credentials->api_key.reveal());
}

std::vector<KeyEntry> list_key_entries(const fs::path& dir, const binance::MasterKey& master) {
  std::vector<KeyEntry> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    if (!file.ends_with(kKeyFileSuffix) || file.front() == '.') continue;
    KeyEntry entry;
    entry.name = file.substr(0, file.size() - kKeyFileSuffix.size());
    auto fingerprint = key_entry_fingerprint(dir, master, entry.name);
    if (fingerprint) {
      entry.fingerprint = std::move(*fingerprint);
    } else {
      entry.problem = fingerprint.error();
    }
    out.push_back(std::move(entry));
  }
  std::sort(out.begin(), out.end(),
            [](const KeyEntry& a, const KeyEntry& b) { return a.name < b.name; });
  return out;
}

Expected<bool, std::string> remove_key_entry(const fs::path& dir, std::string_view name) {
  auto path = key_entry_path(dir, name);
  if (!path) return Unexpected(path.error());
  std::error_code ec;
  if (!fs::remove(*path, ec)) {
    if (ec) return Unexpected("cannot remove " + path->string() + ": " + ec.message());
    return Unexpected("no key named `" + std::string(name) + "`");
  }
  return true;
}

}  // namespace be::cli
