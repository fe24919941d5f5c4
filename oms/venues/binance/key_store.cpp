#include "oms/venues/binance/key_store.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <istream>
#include <ostream>

#include "core/hex.hpp"
#include "oms/venues/binance/signing.hpp"

namespace be::binance {

// ---- SecretString ---------------------------------------------------------------------------

SecretString::SecretString(std::string_view value)
    : data_(std::make_unique<char[]>(value.size() + 1)), size_(value.size()) {
  if (!value.empty()) std::memcpy(data_.get(), value.data(), value.size());
}

SecretString::SecretString(SecretString&& other) noexcept
    : data_(std::move(other.data_)), size_(other.size_) {
  other.size_ = 0;
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void SecretString::wipe() noexcept {
  if (data_) OPENSSL_cleanse(data_.get(), size_ + 1);
  data_.reset();
  size_ = 0;
}

namespace {

constexpr std::array<char, 6> kMagic = {'B', 'E', 'K', 'E', 'Y', 'S'};
constexpr std::uint8_t kAlgoAes256Gcm = 1;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr std::size_t kHeaderBytes = 24;  // magic, version, algo, nonce, length
constexpr std::size_t kMaxPlaintext = 4096;

// Wipes a std::string-held temporary on every path out of a scope.
struct Cleanse {
  void* data;
  std::size_t size;
  ~Cleanse() {
    if (data != nullptr && size != 0) OPENSSL_cleanse(data, size);
  }
};

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

constexpr int kEncrypt = 1;
constexpr int kDecrypt = 0;

// An AES-256-GCM context under the master key with the file's nonce (bytes 8..19 of
// `header`), the whole header already fed as additional authenticated data; null on any
// failure. Encryption and decryption differ only in `direction`.
CtxPtr gcm_over_header(const MasterKey& master, const std::uint8_t* header, int direction) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  const auto* key = reinterpret_cast<const unsigned char*>(master.reveal().data());
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr, direction) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kNonceBytes),
                          nullptr) != 1 ||
      EVP_CipherInit_ex(ctx.get(), nullptr, nullptr, key, header + 8, direction) != 1 ||
      EVP_CipherUpdate(ctx.get(), nullptr, &len, header, static_cast<int>(kHeaderBytes)) != 1) {
    return nullptr;
  }
  return ctx;
}

void put_u32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint32_t get_u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

std::string errno_text(int e) {
  return std::strerror(e);
}

}  // namespace

Expected<MasterKey, std::string> master_key_from_hex(std::string_view hex) {
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' '))
    hex.remove_suffix(1);
  while (!hex.empty() && (hex.front() == ' ' || hex.front() == '\n'))
    hex.remove_prefix(1);
  if (hex.size() != 2 * kMasterKeyBytes) {
    return Unexpected(std::string("master key must be 64 hex characters (32 bytes), got ") +
                      std::to_string(hex.size()) + " characters");
  }
  std::array<char, kMasterKeyBytes> raw{};
  Cleanse wipe_raw{raw.data(), raw.size()};
  for (std::size_t i = 0; i < kMasterKeyBytes; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Unexpected(std::string("master key is not hexadecimal"));
    raw[i] = static_cast<char>((hi << 4) | lo);
  }
  return MasterKey(std::string_view(raw.data(), raw.size()));
}

Expected<MasterKey, std::string> load_master_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    return Unexpected("cannot open master key file " + path + ": " + errno_text(errno));
  }
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return Unexpected("cannot stat master key file " + path + ": " + errno_text(errno));
  }
  if (!S_ISREG(st.st_mode)) {
    return Unexpected("master key file " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Unexpected("master key file " + path + " has mode " + mode +
                      "; it must be 0600 (readable by its owner only): chmod 600 " + path);
  }
  std::array<char, 256> buffer{};
  Cleanse wipe_buffer{buffer.data(), buffer.size()};
  std::size_t used = 0;
  while (used < buffer.size()) {
    const ssize_t n = ::read(fd, buffer.data() + used, buffer.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unexpected("cannot read master key file " + path + ": " + errno_text(errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  auto key = master_key_from_hex(std::string_view(buffer.data(), used));
  if (!key) return Unexpected("master key file " + path + ": " + key.error());
  return key;
}

Expected<MasterKey, std::string> load_master_key(const std::string& path,
                                                 std::optional<std::string_view> env_value) {
  if (!path.empty()) return load_master_key_file(path);
  if (env_value && !env_value->empty()) {
    auto key = master_key_from_hex(*env_value);
    if (!key) return Unexpected(std::string(kMasterKeyEnv) + ": " + key.error());
    return key;
  }
  return Unexpected(std::string("no master key: give --master-key-file (mode 0600) or set ") +
                    std::string(kMasterKeyEnv));
}

Expected<std::vector<std::uint8_t>, std::string> encrypt_credentials(const MasterKey& master,
                                                                     std::string_view api_key,
                                                                     std::string_view secret) {
  if (master.size() != kMasterKeyBytes)
    return Unexpected(std::string("master key is not 32 bytes"));
  if (api_key.empty() || secret.empty()) {
    return Unexpected(std::string("API key and secret must both be non-empty"));
  }
  if (api_key.size() > 1024 || secret.size() > 1024) {
    return Unexpected(std::string("API key or secret longer than 1024 characters"));
  }
  // Reserved once so the bytes are never reallocated (and left behind) while being built.
  std::string plain;
  plain.reserve(4 + api_key.size() + secret.size());
  Cleanse wipe_plain{plain.data(), plain.capacity()};
  plain.push_back(static_cast<char>(api_key.size() & 0xFF));
  plain.push_back(static_cast<char>(api_key.size() >> 8));
  plain.append(api_key);
  plain.push_back(static_cast<char>(secret.size() & 0xFF));
  plain.push_back(static_cast<char>(secret.size() >> 8));
  plain.append(secret);

  std::vector<std::uint8_t> out(kHeaderBytes + plain.size() + kTagBytes);
  std::memcpy(out.data(), kMagic.data(), kMagic.size());
  out[6] = kKeyFileVersion;
  out[7] = kAlgoAes256Gcm;
  if (RAND_bytes(out.data() + 8, static_cast<int>(kNonceBytes)) != 1) {
    return Unexpected(std::string("no randomness for the nonce (RAND_bytes failed)"));
  }
  put_u32(out, 20, static_cast<std::uint32_t>(plain.size()));

  const CtxPtr ctx = gcm_over_header(master, out.data(), kEncrypt);
  int len = 0;
  if (!ctx ||
      EVP_EncryptUpdate(ctx.get(), out.data() + kHeaderBytes, &len,
                        reinterpret_cast<const unsigned char*>(plain.data()),
                        static_cast<int>(plain.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + kHeaderBytes + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out.data() + kHeaderBytes + plain.size()) != 1) {
    return Unexpected(std::string("AES-256-GCM encryption failed"));
  }
  return out;
}

Expected<ApiCredentials, std::string> decrypt_credentials(const MasterKey& master,
                                                          const std::vector<std::uint8_t>& file) {
  if (master.size() != kMasterKeyBytes)
    return Unexpected(std::string("master key is not 32 bytes"));
  if (file.size() < kHeaderBytes + kTagBytes ||
      std::memcmp(file.data(), kMagic.data(), kMagic.size()) != 0) {
    return Unexpected(std::string("not a botengine key file (bad magic or too short)"));
  }
  if (file[6] != kKeyFileVersion) {
    return Unexpected("key file version " + std::to_string(file[6]) +
                      " is not supported (this build reads " + std::to_string(kKeyFileVersion) +
                      ")");
  }
  if (file[7] != kAlgoAes256Gcm)
    return Unexpected(std::string("key file cipher is not AES-256-GCM"));
  const std::size_t n = get_u32(file.data() + 20);
  if (n > kMaxPlaintext || file.size() != kHeaderBytes + n + kTagBytes) {
    return Unexpected(std::string("key file length does not match its header (truncated?)"));
  }
  std::string plain(n, '\0');
  Cleanse wipe_plain{plain.data(), plain.size()};
  const CtxPtr ctx = gcm_over_header(master, file.data(), kDecrypt);
  int len = 0;
  std::array<std::uint8_t, kTagBytes> tag{};
  std::memcpy(tag.data(), file.data() + kHeaderBytes + n, kTagBytes);
  if (!ctx ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                        file.data() + kHeaderBytes, static_cast<int>(n)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1) {
    return Unexpected(std::string("AES-256-GCM decryption failed"));
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len,
                          &final_len) != 1) {
    return Unexpected(
        std::string("key file failed authentication: wrong master key, or the file was modified"));
  }
  // Parse the two length-prefixed fields.
  std::string_view rest(plain);
  const auto field = [&rest]() -> std::optional<std::string_view> {
    if (rest.size() < 2) return std::nullopt;
    const std::size_t len16 = static_cast<unsigned char>(rest[0]) |
                              (static_cast<std::size_t>(static_cast<unsigned char>(rest[1])) << 8);
    if (rest.size() < 2 + len16) return std::nullopt;
    const auto value = rest.substr(2, len16);
    rest.remove_prefix(2 + len16);
    return value;
  };
  const auto api_key = field();
  const auto secret = field();
  if (!api_key || !secret || !rest.empty() || api_key->empty() || secret->empty()) {
    return Unexpected(std::string("key file content is malformed"));
  }
  return ApiCredentials{SecretString(*api_key), SecretString(*secret)};
}

Expected<bool, std::string> write_key_file(const std::string& path,
                                           const std::vector<std::uint8_t>& bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Unexpected("cannot create " + tmp + ": " + errno_text(errno));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Unexpected("cannot write " + tmp + ": " + errno_text(e));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Unexpected("cannot finish " + tmp + ": " + errno_text(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    return Unexpected("cannot rename " + tmp + " to " + path + ": " + errno_text(e));
  }
  return true;
}

Expected<std::vector<std::uint8_t>, std::string> read_key_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Unexpected("cannot open key file " + path + ": " + errno_text(errno));
  std::vector<std::uint8_t> bytes;
  std::array<std::uint8_t, 1024> chunk{};
  for (;;) {
    const ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      return Unexpected("cannot read key file " + path + ": " + errno_text(e));
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.data(), chunk.data() + n);
    if (bytes.size() > kHeaderBytes + kMaxPlaintext + kTagBytes) {
      ::close(fd);
      return Unexpected("key file " + path + " is too large to be a key file");
    }
  }
  ::close(fd);
  return bytes;
}

Expected<ApiCredentials, std::string> load_credentials(const std::string& key_file,
                                                       const MasterKey& master) {
  auto bytes = read_key_file(key_file);
  if (!bytes) return Unexpected(bytes.error());
  auto creds = decrypt_credentials(master, bytes.value());
  if (!creds) return Unexpected(key_file + ": " + creds.error());
  return creds;
}

int keys_command(const std::vector<std::string_view>& args,
                 std::optional<std::string_view> env_master_key, std::istream& in,
                 std::ostream& out, std::ostream& err) {
  constexpr std::string_view kUsage =
      "usage: keys encrypt [--master-key-file F] --out KEYFILE   (API key and secret on stdin, "
      "one per line)\n"
      "       keys check   [--master-key-file F] --in KEYFILE\n"
      "the master key is 64 hex characters in a mode-0600 file or in BE_MASTER_KEY\n";
  if (args.empty() || (args[0] != "encrypt" && args[0] != "check")) {
    err << kUsage;
    return 2;
  }
  std::string master_file;
  std::string key_file;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--master-key-file" && has_value) {
      master_file = std::string(args[++i]);
    } else if ((args[i] == "--out" || args[i] == "--in") && has_value) {
      key_file = std::string(args[++i]);
    } else {
      err << "keys: unknown or incomplete option '" << args[i] << "'\n" << kUsage;
      return 2;
    }
  }
  if (key_file.empty()) {
    err << "keys: the key file is missing\n" << kUsage;
    return 2;
  }
  auto master = load_master_key(master_file, env_master_key);
  if (!master) {
    err << "keys: " << master.error() << "\n";
    return 1;
  }
  if (args[0] == "encrypt") {
    std::string api_key;
    std::string secret;
    std::string line;
    // One buffer each, reserved up front and wiped whole: no reallocation leaves a copy.
    constexpr std::size_t kMaxSecretText = 8192;
    secret.reserve(kMaxSecretText);
    line.reserve(kMaxSecretText);
    Cleanse wipe_secret{secret.data(), secret.capacity()};
    Cleanse wipe_line{line.data(), line.capacity()};
    std::getline(in, api_key);
    std::getline(in, secret);
    Cleanse wipe_key{api_key.data(), api_key.size()};
    if (!api_key.empty() && api_key.back() == '\r') api_key.pop_back();
    if (!secret.empty() && secret.back() == '\r') secret.pop_back();
    // An Ed25519 private key (PEM): its lines through the END line.
    if (secret.starts_with("-----BEGIN")) {
      while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (secret.size() + line.size() + 2 > kMaxSecretText) break;
        secret.append("\n").append(line);
        if (line.starts_with("-----END")) break;
      }
      secret.append("\n");
      if (auto signer = RequestSigner::make(secret); !signer) {
        err << "keys: " << signer.error() << "\n";
        return 1;
      }
    }
    auto bytes = encrypt_credentials(master.value(), api_key, secret);
    if (!bytes) {
      err << "keys: " << bytes.error() << "\n";
      return 1;
    }
    auto written = write_key_file(key_file, bytes.value());
    if (!written) {
      err << "keys: " << written.error() << "\n";
      return 1;
    }
    out << "wrote " << key_file << " (mode 0600)\n";
    return 0;
  }
  auto creds = load_credentials(key_file, master.value());
  if (!creds) {
    err << "keys: " << creds.error() << "\n";
    return 1;
  }
  // The lengths only: enough to see the right file was used, nothing that leaks the key.
  out << "ok: " << key_file << " decrypts (API key " << creds.value().api_key.size()
      << " characters, secret " << creds.value().secret.size() << " characters)\n";
  return 0;
}

}  // namespace be::binance
