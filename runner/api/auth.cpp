#include "runner/api/auth.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <span>
#include <sstream>

#include "core/hex.hpp"

namespace be::api {
namespace {

std::optional<TokenHash> parse_hash(std::string_view hex) noexcept {
  if (hex.size() != 64) return std::nullopt;
  TokenHash h{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return h;
}

TokenHash sha256(std::string_view data) noexcept {
  TokenHash h{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), h.data(), &len, EVP_sha256(), nullptr);
  return h;
}

std::vector<std::string_view> split_ws(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
      ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
      ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

}  // namespace

Expected<TokenStore, std::string> TokenStore::parse(std::string_view text) {
  TokenStore store;
  std::string errors;
  std::size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const std::size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    const auto words = split_ws(line);
    if (words.empty()) continue;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (words.size() != 3) {
      errors += where + "expected `<user name> <admin|user> <sha256 hex>`\n";
      continue;
    }
    if (words[1] != "admin" && words[1] != "user") {
      errors += where + "role must be `admin` or `user`, not `" + std::string(words[1]) + "`\n";
      continue;
    }
    const auto h = parse_hash(words[2]);
    if (!h) {
      errors += where + "the token hash must be 64 hex digits (sha256)\n";
      continue;
    }
    bool duplicate = false;
    for (std::size_t i = 0; i < store.users_.size(); ++i) {
      if (store.users_[i].name == words[0]) {
        errors += where + "user `" + std::string(words[0]) + "` is listed twice\n";
        duplicate = true;
      } else if (store.hashes_[i] == *h) {
        errors += where + "the same token hash as user `" + store.users_[i].name + "`\n";
        duplicate = true;
      }
    }
    if (duplicate) continue;
    store.users_.push_back(User{UserId{static_cast<std::uint32_t>(store.users_.size() + 1)},
                                std::string(words[0]), words[1] == "admin"});
    store.hashes_.push_back(*h);
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Unexpected(std::move(errors));
  }
  return store;
}

Expected<TokenStore, std::string> TokenStore::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected("cannot read tokens file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  auto store = parse(text.str());
  if (!store) return Unexpected(path.string() + ": " + store.error());
  return store;
}

const User* TokenStore::authenticate(std::string_view token) const noexcept {
  if (token.empty()) return nullptr;
  const TokenHash presented = sha256(token);
  // Every entry is compared, match or not, so the time taken does not depend on which one
  // (if any) matches.
  std::size_t found = users_.size();
  for (std::size_t i = 0; i < hashes_.size(); ++i) {
    const bool equal = CRYPTO_memcmp(presented.data(), hashes_[i].data(), presented.size()) == 0;
    found = equal ? i : found;
  }
  return found < users_.size() ? &users_[found] : nullptr;
}

const User* TokenStore::find(UserId id) const noexcept {
  const auto i = static_cast<std::size_t>(index_of(id));
  return i >= 1 && i <= users_.size() ? &users_[i - 1] : nullptr;
}

std::vector<TokenStore::Entry> TokenStore::entries() const {
  std::vector<Entry> out;
  for (std::size_t i = 0; i < users_.size(); ++i) {
    out.push_back({users_[i].name, users_[i].admin,
                   to_hex(std::span<const std::uint8_t>(hashes_[i].data(), hashes_[i].size()))});
  }
  return out;
}

std::optional<User> authenticate_users(const std::vector<engine::UserView>& users,
                                       std::string_view token) {
  if (token.empty()) return std::nullopt;
  const std::string presented = hash_token(token);
  // Every user is compared, match or not (the disabled too): the time taken does not depend
  // on which one matches.
  const engine::UserView* found = nullptr;
  for (const engine::UserView& u : users) {
    const bool equal =
        u.token_sha256.size() == presented.size() &&
        CRYPTO_memcmp(presented.data(), u.token_sha256.data(), presented.size()) == 0;
    found = equal ? &u : found;
  }
  if (found == nullptr || found->disabled) return std::nullopt;
  return User{found->id, found->name, found->admin};
}

std::string generate_token() {
  std::uint8_t bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  return to_hex(std::span<const std::uint8_t>(bytes, sizeof bytes));
}

std::string hash_token(std::string_view token) {
  const TokenHash h = sha256(token);
  return to_hex(std::span<const std::uint8_t>(h.data(), h.size()));
}

namespace {

Expected<bool, std::string> write_fd(int fd, const std::filesystem::path& path,
                                     std::string_view text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return Unexpected("cannot write " + path.string() + ": " + why);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0)
    return Unexpected("cannot flush " + path.string() + ": " + std::strerror(errno));
  return true;
}

}  // namespace

Expected<std::optional<std::string>, std::string> ensure_tokens_file(
    const std::filesystem::path& path, std::string_view admin_name) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return std::optional<std::string>{};
    return Unexpected("cannot create " + path.string() + ": " + std::strerror(errno));
  }
  std::string token = generate_token();
  if (token.empty()) {
    ::close(fd);
    ::unlink(path.c_str());
    return Unexpected(std::string("the random generator failed (RAND_bytes)"));
  }
  const std::string text =
      "# botengine API tokens: <user name> <admin|user> <sha256 hex of the token>\n" +
      std::string(admin_name) + " admin " + hash_token(token) + "\n";
  auto written = write_fd(fd, path, text);
  if (!written) {
    ::unlink(path.c_str());
    return Unexpected(written.error());
  }
  return std::optional<std::string>(std::move(token));
}

Expected<bool, std::string> write_private_file(const std::filesystem::path& path,
                                               std::string_view text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Unexpected("cannot create " + path.string() + ": " + std::strerror(errno));
  // O_CREAT's mode only applies to a new file; an existing one is narrowed too.
  if (::fchmod(fd, 0600) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    return Unexpected("cannot chmod " + path.string() + ": " + why);
  }
  return write_fd(fd, path, text);
}

}  // namespace be::api
