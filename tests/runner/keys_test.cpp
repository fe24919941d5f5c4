// `botengine keys add|list|remove` through the real binary: the secret goes in on stdin or
// from a file and never comes out, not in what the command prints, not in the key file (it is
// encrypted), not in an error, and a secret mistakenly given on the command line is refused
// without being echoed (docs/CLI.md, "botengine keys").
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/botengine_cli.hpp"

namespace be {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kApiKey = "kEy-ID-5f1c9a0e77d4";
constexpr std::string_view kSecret = "sEcReT-a93b1e55c0de";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class KeysCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("be-keys-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "master.key")
        << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    fs::permissions(dir_ / "master.key", fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(dir_ / "creds") << kApiKey << "\n" << kSecret << "\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string common() const {
    return " --data-dir " + (dir_ / "data").string() + " --master-key-file " +
           (dir_ / "master.key").string();
  }
  fs::path dir_;
};

TEST_F(KeysCli, shouldStoreListAndRemoveAKeyWithoutEverShowingIt) {
  REQUIRE_BOTENGINE();
  const auto stdin_add =
      test::run_botengine("keys add main" + common() + " < " + (dir_ / "creds").string());
  ASSERT_EQ(stdin_add.exit_code, 0) << stdin_add.output;
  const auto file_add =
      test::run_botengine("keys add spare --from " + (dir_ / "creds").string() + common());
  ASSERT_EQ(file_add.exit_code, 0) << file_add.output;
  const auto list = test::run_botengine("keys list" + common());
  ASSERT_EQ(list.exit_code, 0) << list.output;
  // sha256("kEy-ID-5f1c9a0e77d4"): the fingerprint an account is attached by.
  const std::string fingerprint =
      stdin_add.output.substr(stdin_add.output.find("fingerprint ") + 12, 64);
  EXPECT_NE(list.output.find("main  " + fingerprint), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("spare  " + fingerprint), std::string::npos) << list.output;
  const auto removed = test::run_botengine("keys remove spare" + common());
  EXPECT_EQ(removed.exit_code, 0) << removed.output;
  EXPECT_FALSE(fs::exists(dir_ / "data" / "keys" / "spare.key"));
  const fs::path stored = dir_ / "data" / "keys" / "main.key";
  ASSERT_TRUE(fs::exists(stored));
  EXPECT_EQ(fs::status(stored).permissions() & (fs::perms::group_all | fs::perms::others_all),
            fs::perms::none);
  for (const std::string& text :
       {stdin_add.output, file_add.output, list.output, removed.output, slurp(stored)}) {
    EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
    EXPECT_EQ(text.find(kApiKey), std::string::npos) << text;
  }
}

TEST_F(KeysCli, shouldRefuseASecretOnTheCommandLineWithoutEchoingIt) {
  REQUIRE_BOTENGINE();
  const auto r = test::run_botengine("keys add main " + std::string(kSecret) + common());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("read from stdin or --from FILE"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(kSecret), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "data" / "keys" / "main.key"));
  // Only one line given: refused, nothing stored, nothing echoed.
  std::ofstream(dir_ / "half") << kApiKey << "\n";
  const auto half =
      test::run_botengine("keys add main" + common() + " < " + (dir_ / "half").string());
  EXPECT_EQ(half.exit_code, 1);
  EXPECT_EQ(half.output.find(kApiKey), std::string::npos) << half.output;
  EXPECT_FALSE(fs::exists(dir_ / "data" / "keys" / "main.key"));
}

}  // namespace
}  // namespace be
