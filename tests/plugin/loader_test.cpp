// Loading plugins (runner/plugin_loader.hpp): the hash, and every refusal with its reason.
#include <gtest/gtest.h>

#include "feed/import/checksum.hpp"
#include "tests/plugin/plugin_harness.hpp"

namespace be::plugin::test {
namespace {

using ::testing::HasSubstr;

TEST(PluginLoader, shouldLoadAPluginAndHashTheLibraryItLoaded) {
  auto loaded = cli::load_plugin("counter", BE_COUNTER_PLUGIN_A);
  ASSERT_TRUE(loaded.has_value()) << loaded.error();
  EXPECT_EQ(loaded->name, "counter");
  EXPECT_EQ(loaded->path, BE_COUNTER_PLUGIN_A);
  EXPECT_EQ(loaded->sha256, feed::import::sha256_hex(read_bytes(BE_COUNTER_PLUGIN_A)));
  EXPECT_EQ(loaded->sha256.size(), 64u);
  ASSERT_NE(loaded->api, nullptr);
  EXPECT_EQ(loaded->api->abi_version, BE_SDK_ABI_VERSION);
  EXPECT_STREQ(loaded->api->name, "counter build a");
  // Another build of the same source is another hash.
  auto other = cli::load_plugin("counter", BE_COUNTER_PLUGIN_B);
  ASSERT_TRUE(other.has_value()) << other.error();
  EXPECT_NE(other->sha256, loaded->sha256);
  EXPECT_STREQ(other->api->name, "counter build b");
}

TEST(PluginLoader, shouldRefuseAPluginOfAnotherAbiVersionNamingBothVersions) {
  auto loaded = cli::load_plugin("future", BE_WRONG_ABI_PLUGIN);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_THAT(loaded.error(), HasSubstr("plugin \"future\" (" BE_WRONG_ABI_PLUGIN ")"));
  EXPECT_THAT(loaded.error(),
              HasSubstr("built for plugin ABI version " + std::to_string(BE_SDK_ABI_VERSION + 41) +
                        ", but this engine speaks version " + std::to_string(BE_SDK_ABI_VERSION)));
}

TEST(PluginLoader, shouldRefuseAMissingFileNamingIt) {
  TempDir dir;
  const std::string path = (dir.path / "absent.so").string();
  auto loaded = cli::load_plugin("rsi", path);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_EQ(loaded.error(),
            "plugin \"rsi\" (" + path + "): cannot open: No such file or directory");
}

TEST(PluginLoader, shouldRefuseALibraryWithoutTheEntryPoint) {
  auto loaded = cli::load_plugin("other", BE_NOT_A_PLUGIN);
  ASSERT_FALSE(loaded.has_value());
  EXPECT_THAT(loaded.error(), HasSubstr("not a botengine plugin: it exports no be_plugin_entry"));
}

TEST(PluginLoader, shouldRefuseAFileThatIsNotASharedLibrary) {
  TempDir dir;
  const fs::path path = dir.path / "text.so";
  std::ofstream(path) << "not an ELF file\n";
  auto loaded = cli::load_plugin("text", path.string());
  ASSERT_FALSE(loaded.has_value());
  EXPECT_THAT(loaded.error(), HasSubstr("not a loadable shared library"));
}

TEST(PluginLoader, shouldReadThePluginsOfADeploymentConfig) {
  auto none = cli::load_plugins(R"({"venues": []})");
  ASSERT_TRUE(none.has_value()) << none.error();
  EXPECT_TRUE(none->empty());
  auto two = cli::load_plugins(std::string(R"({"plugins": {"a": ")") + BE_COUNTER_PLUGIN_A +
                               R"(", "b": ")" + BE_COUNTER_PLUGIN_B + R"("}})");
  ASSERT_TRUE(two.has_value()) << two.error();
  ASSERT_EQ(two->size(), 2u);
  EXPECT_EQ((*two)[0].name, "a");
  EXPECT_EQ((*two)[1].name, "b");
  auto bad = cli::load_plugins(R"({"plugins": ["x.so"]})");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error(), "plugins: must be an object of name: library path");
  auto not_text = cli::load_plugins(R"({"plugins": {"x": 3}})");
  ASSERT_FALSE(not_text.has_value());
  EXPECT_EQ(not_text.error(), "plugins.x: must be the library's path (a string)");
}

}  // namespace
}  // namespace be::plugin::test
