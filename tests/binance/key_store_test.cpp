#include "oms/venues/binance/key_store.hpp"

#include "oms/venues/binance/signing.hpp"
#include "tests/binance/ed25519_test_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>

namespace be::binance {
namespace {

// A secret printed by mistake must not compile.
template <class T>
concept Streamable = requires(std::ostream& os, const T& t) {
  os << t;
};
static_assert(!Streamable<SecretString>);
static_assert(!std::is_copy_constructible_v<SecretString>);

constexpr std::string_view kMasterHex =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kOtherHex =
    "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kApiKey =
    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
constexpr std::string_view kSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("be_keystore_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_master(std::string_view hex, mode_t mode) {
    const std::string path = (dir_ / "master.key").string();
    std::ofstream(path) << hex << "\n";
    ::chmod(path.c_str(), mode);
    return path;
  }

  static MasterKey master(std::string_view hex) {
    auto key = master_key_from_hex(hex);
    EXPECT_TRUE(key.has_value());
    return std::move(key).value();
  }

  static void expect_no_secret(std::string_view text) {
    EXPECT_EQ(text.find(kApiKey), std::string_view::npos) << text;
    EXPECT_EQ(text.find(kSecret), std::string_view::npos) << text;
  }

  std::filesystem::path dir_;
};

TEST_F(KeyStoreTest, shouldRoundTripCredentials) {
  const MasterKey key = master(kMasterHex);
  auto bytes = encrypt_credentials(key, kApiKey, kSecret);
  ASSERT_TRUE(bytes.has_value()) << bytes.error();
  auto creds = decrypt_credentials(key, bytes.value());
  ASSERT_TRUE(creds.has_value()) << creds.error();
  EXPECT_EQ(creds.value().api_key.reveal(), kApiKey);
  EXPECT_EQ(creds.value().secret.reveal(), kSecret);
}

TEST_F(KeyStoreTest, shouldNotStoreThePlaintextAndUseAFreshNonceEachTime) {
  const MasterKey key = master(kMasterHex);
  auto a = encrypt_credentials(key, kApiKey, kSecret);
  auto b = encrypt_credentials(key, kApiKey, kSecret);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a.value(), b.value());
  const std::string as_text(a.value().begin(), a.value().end());
  expect_no_secret(as_text);
  EXPECT_EQ(as_text.substr(0, 6), "BEKEYS");
}

TEST_F(KeyStoreTest, shouldRefuseAWrongMasterKeyWithoutEchoingSecrets) {
  auto bytes = encrypt_credentials(master(kMasterHex), kApiKey, kSecret);
  ASSERT_TRUE(bytes);
  auto creds = decrypt_credentials(master(kOtherHex), bytes.value());
  ASSERT_FALSE(creds.has_value());
  EXPECT_NE(creds.error().find("authentication"), std::string::npos) << creds.error();
  expect_no_secret(creds.error());
}

TEST_F(KeyStoreTest, shouldRefuseATamperedByteAnywhereInTheFile) {
  const MasterKey key = master(kMasterHex);
  auto bytes = encrypt_credentials(key, kApiKey, kSecret);
  ASSERT_TRUE(bytes);
  // Every byte: header (associated data), nonce, length, ciphertext and tag.
  for (std::size_t i = 0; i < bytes.value().size(); ++i) {
    auto tampered = bytes.value();
    tampered[i] ^= 0x01;
    auto creds = decrypt_credentials(key, tampered);
    EXPECT_FALSE(creds.has_value()) << "byte " << i;
    if (!creds) expect_no_secret(creds.error());
  }
  auto truncated = bytes.value();
  truncated.pop_back();
  EXPECT_FALSE(decrypt_credentials(key, truncated).has_value());
}

TEST_F(KeyStoreTest, shouldRefuseAnUnknownVersionClearly) {
  const MasterKey key = master(kMasterHex);
  auto bytes = encrypt_credentials(key, kApiKey, kSecret);
  ASSERT_TRUE(bytes);
  bytes.value()[6] = 9;
  auto creds = decrypt_credentials(key, bytes.value());
  ASSERT_FALSE(creds);
  EXPECT_NE(creds.error().find("version 9"), std::string::npos) << creds.error();
}

TEST_F(KeyStoreTest, shouldLoadAMasterKeyFileOfMode0600) {
  const std::string path = write_master(kMasterHex, 0600);
  auto key = load_master_key(path, std::nullopt);
  ASSERT_TRUE(key.has_value()) << key.error();
  EXPECT_EQ(key.value().size(), kMasterKeyBytes);
}

TEST_F(KeyStoreTest, shouldRefuseAMasterKeyFileReadableByOthers) {
  for (const mode_t mode : {0644, 0640, 0604, 0660}) {
    const std::string path = write_master(kMasterHex, mode);
    auto key = load_master_key_file(path);
    ASSERT_FALSE(key.has_value()) << std::oct << mode;
    EXPECT_NE(key.error().find("0600"), std::string::npos) << key.error();
    EXPECT_EQ(key.error().find(kMasterHex), std::string::npos) << key.error();
  }
}

TEST_F(KeyStoreTest, shouldTakeTheMasterKeyFromTheEnvironmentValueWhenNoFileIsGiven) {
  auto key = load_master_key("", kMasterHex);
  ASSERT_TRUE(key.has_value()) << key.error();
  auto none = load_master_key("", std::nullopt);
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().find("BE_MASTER_KEY"), std::string::npos);
  auto bad = load_master_key("", "not-hex");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().find("not-hex"), std::string::npos) << bad.error();
}

TEST_F(KeyStoreTest, shouldWipeASecretStringOnWipeAndMove) {
  SecretString s(kSecret);
  EXPECT_EQ(s.reveal(), kSecret);
  SecretString moved(std::move(s));
  EXPECT_TRUE(s.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(moved.reveal(), kSecret);
  moved.wipe();
  EXPECT_TRUE(moved.empty());
  EXPECT_EQ(moved.reveal(), "");
}

TEST_F(KeyStoreTest, shouldEncryptAndCheckThroughTheCliWithoutPrintingSecrets) {
  const std::string master_path = write_master(kMasterHex, 0600);
  const std::string key_file = (dir_ / "binance.keys").string();
  std::istringstream in(std::string(kApiKey) + "\n" + std::string(kSecret) + "\n");
  std::ostringstream out, err;
  ASSERT_EQ(keys_command({"encrypt", "--master-key-file", master_path, "--out", key_file},
                         std::nullopt, in, out, err),
            0)
      << err.str();
  struct stat st {};
  ASSERT_EQ(::stat(key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  std::istringstream no_input;
  std::ostringstream out2, err2;
  EXPECT_EQ(keys_command({"check", "--in", key_file}, kMasterHex, no_input, out2, err2), 0)
      << err2.str();
  EXPECT_NE(out2.str().find("ok"), std::string::npos);
  auto creds = load_credentials(key_file, master(kMasterHex));
  ASSERT_TRUE(creds) << creds.error();
  EXPECT_EQ(creds.value().secret.reveal(), kSecret);

  std::ostringstream out3, err3;
  EXPECT_EQ(keys_command({"check", "--in", key_file}, kOtherHex, no_input, out3, err3), 1);
  for (const std::string& text :
       {out.str(), err.str(), out2.str(), err2.str(), out3.str(), err3.str()}) {
    expect_no_secret(text);
    EXPECT_EQ(text.find(kMasterHex), std::string::npos) << text;
  }
}

TEST_F(KeyStoreTest, shouldHoldAnEd25519PrivateKeyGivenAsPemOnStdin) {
  const auto pair = be::test::make_ed25519_pair();
  const std::string master_path = write_master(kMasterHex, 0600);
  const std::string key_file = (dir_ / "ed25519.keys").string();
  std::istringstream in(std::string(kApiKey) + "\n" + pair.private_pem);
  std::ostringstream out, err;
  ASSERT_EQ(keys_command({"encrypt", "--master-key-file", master_path, "--out", key_file},
                         std::nullopt, in, out, err),
            0)
      << err.str();
  auto creds = load_credentials(key_file, master(kMasterHex));
  ASSERT_TRUE(creds) << creds.error();
  EXPECT_EQ(creds.value().secret.reveal(), pair.private_pem);
  auto signer = RequestSigner::make(creds.value().secret.reveal());
  ASSERT_TRUE(signer) << signer.error();
  EXPECT_EQ(signer->kind(), RequestSigner::Kind::kEd25519);
  EXPECT_TRUE(ed25519_verify(pair.public_pem, "timestamp=1", signer->sign("timestamp=1")));
  const std::string body = pair.private_pem.substr(28, 40);  // a piece of the key's base64
  for (const std::string& text : {out.str(), err.str()}) {
    EXPECT_EQ(text.find(body), std::string::npos) << text;
  }
  // A PEM block that is not an Ed25519 key is refused before anything is written, unquoted.
  std::istringstream bad(
      std::string(kApiKey) +
      "\n-----BEGIN PRIVATE KEY-----\nTm90QUtleQ==\n-----END PRIVATE KEY-----\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(keys_command({"encrypt", "--master-key-file", master_path, "--out",
                          (dir_ / "bad.keys").string()},
                         std::nullopt, bad, out2, err2),
            1);
  EXPECT_NE(err2.str().find("Ed25519"), std::string::npos) << err2.str();
  EXPECT_EQ(err2.str().find("Tm90QUtleQ"), std::string::npos) << err2.str();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "bad.keys"));
}

TEST_F(KeyStoreTest, shouldRefuseCliMisuseWithUsage) {
  std::istringstream in;
  std::ostringstream out, err;
  EXPECT_EQ(keys_command({}, std::nullopt, in, out, err), 2);
  EXPECT_EQ(keys_command({"encrypt"}, std::nullopt, in, out, err), 2);
  EXPECT_EQ(keys_command({"rotate", "--in", "x"}, std::nullopt, in, out, err), 2);
  EXPECT_NE(err.str().find("usage"), std::string::npos);
  std::ostringstream err2;
  const std::string master_path = write_master(kMasterHex, 0644);
  EXPECT_EQ(keys_command({"check", "--master-key-file", master_path, "--in", "x"}, std::nullopt, in,
                         out, err2),
            1);
  EXPECT_NE(err2.str().find("0600"), std::string::npos);
}

}  // namespace
}  // namespace be::binance
