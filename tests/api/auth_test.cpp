// Tokens file parsing, constant-time lookup, token generation and the first-start file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "runner/api/auth.hpp"

namespace be::api {
namespace {

namespace fs = std::filesystem;

TEST(TokenStore, shouldMapUsersToDenseIdsInFileOrder) {
  const std::string text = "# comment\n\nroot admin " + hash_token("a") + "\n  ann user " +
                           hash_token("b") + " # trailing comment\nbo user " + hash_token("c");
  auto store = TokenStore::parse(text);
  ASSERT_TRUE(store.has_value()) << store.error();
  ASSERT_EQ(store->users().size(), 3u);
  const User* u = store->authenticate("b");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->name, "ann");
  EXPECT_EQ(u->id, UserId{2});
  EXPECT_FALSE(u->admin);
  EXPECT_TRUE(store->authenticate("a")->admin);
  EXPECT_EQ(store->authenticate("c")->id, UserId{3});
  EXPECT_EQ(store->find(UserId{1})->name, "root");
  EXPECT_EQ(store->find(UserId{0}), nullptr);
  EXPECT_EQ(store->find(UserId{4}), nullptr);
}

TEST(TokenStore, shouldRejectUnknownAndEmptyTokens) {
  auto store = TokenStore::parse("x user " + hash_token("right"));
  ASSERT_TRUE(store.has_value());
  EXPECT_EQ(store->authenticate("wrong"), nullptr);
  EXPECT_EQ(store->authenticate(""), nullptr);
  EXPECT_EQ(store->authenticate("righ"), nullptr);
  EXPECT_NE(store->authenticate("right"), nullptr);
}

TEST(TokenStore, shouldNameEveryBadLine) {
  const std::string text = "a admin " + hash_token("1") + "\nb boss " + hash_token("2") +
                           "\nc user 1234\nd user\na user " + hash_token("3") + "\ne user " +
                           hash_token("1") + "\n";
  auto store = TokenStore::parse(text);
  ASSERT_FALSE(store.has_value());
  const std::string& e = store.error();
  EXPECT_NE(e.find("line 2: role must be `admin` or `user`"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3: the token hash must be 64 hex digits"), std::string::npos) << e;
  EXPECT_NE(e.find("line 4: expected"), std::string::npos) << e;
  EXPECT_NE(e.find("line 5: user `a` is listed twice"), std::string::npos) << e;
  EXPECT_NE(e.find("line 6: the same token hash as user `a`"), std::string::npos) << e;
}

TEST(Tokens, shouldGenerateDistinctHexTokensAndHashThemWithSha256) {
  const std::string a = generate_token();
  const std::string b = generate_token();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  // FIPS 180-2 test vector.
  EXPECT_EQ(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Tokens, shouldCreateTheTokensFileOnceWithModeOwnerOnly) {
  const fs::path dir = fs::temp_directory_path() / ("be-api-auth-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "tokens";
  auto first = ensure_tokens_file(file, "root");
  ASSERT_TRUE(first.has_value()) << first.error();
  ASSERT_TRUE(first->has_value());
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto store = TokenStore::load(file);
  ASSERT_TRUE(store.has_value()) << store.error();
  const User* u = store->authenticate(**first);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->name, "root");
  EXPECT_TRUE(u->admin);

  auto second = ensure_tokens_file(file, "root");
  ASSERT_TRUE(second.has_value());
  EXPECT_FALSE(second->has_value()) << "an existing tokens file must be left alone";
  EXPECT_NE(TokenStore::load(file)->authenticate(**first), nullptr);

  const fs::path secret = dir / "admin.token";
  { std::ofstream(secret) << "old"; }
  ::chmod(secret.c_str(), 0644);
  ASSERT_TRUE(write_private_file(secret, **first + "\n").has_value());
  ASSERT_EQ(::stat(secret.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  fs::remove_all(dir);
}

TEST(Tokens, shouldReportAFileThatCannotBeCreated) {
  auto r = ensure_tokens_file("/nonexistent-dir-for-be-test/tokens");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().find("cannot create"), std::string::npos);
}

}  // namespace
}  // namespace be::api
