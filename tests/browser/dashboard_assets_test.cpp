// The embedded dashboard: every file under runner/dashboard/assets is in the binary byte for
// byte with the right content type, lookups outside the set fail, and no asset points the
// browser anywhere but the page's own origin (the runner must work offline, issue 8).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

#include "runner/dashboard/dashboard.hpp"

namespace {

namespace fs = std::filesystem;
using be::dashboard::Asset;
using be::dashboard::find_asset;

const fs::path kAssetDir = BE_DASHBOARD_ASSET_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string text_of(const Asset& a) {
  return {reinterpret_cast<const char*>(a.bytes.data()), a.bytes.size()};
}

std::set<std::string> source_paths() {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(kAssetDir))
    if (e.is_regular_file()) {
      // Appending rather than "/" + path: GCC 12 flags the latter with a false -Wrestrict.
      std::string p = "/";
      p += fs::relative(e.path(), kAssetDir).generic_string();
      out.insert(std::move(p));
    }
  return out;
}

TEST(DashboardAssets, shouldEmbedEveryAssetFileByteForByte) {
  const auto paths = source_paths();
  ASSERT_FALSE(paths.empty()) << "no assets found in " << kAssetDir;
  for (const std::string& p : paths) {
    const Asset* a = find_asset(p);
    ASSERT_NE(a, nullptr) << p << " is not embedded (re-run the build?)";
    EXPECT_EQ(a->path, p);
    EXPECT_EQ(text_of(*a), read_file(kAssetDir / p.substr(1))) << p << " differs from its file";
  }
  // Nothing stale either: a deleted file must leave the binary too.
  EXPECT_EQ(be::dashboard::assets().size(), paths.size());
}

TEST(DashboardAssets, shouldServeIndexAtRoot) {
  const Asset* root = find_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->path, "/index.html");
  EXPECT_EQ(find_asset(""), root);
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
}

TEST(DashboardAssets, shouldGiveEachAssetItsContentType) {
  for (const Asset& a : be::dashboard::assets()) {
    const std::string_view p = a.path;
    if (p.ends_with(".html"))
      EXPECT_EQ(a.content_type, "text/html; charset=utf-8") << p;
    else if (p.ends_with(".js"))
      EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8") << p;
    else if (p.ends_with(".css"))
      EXPECT_EQ(a.content_type, "text/css; charset=utf-8") << p;
    else
      ADD_FAILURE() << p << ": an asset type this test does not know; add it here";
  }
  EXPECT_EQ(be::dashboard::content_type_for("/x.bin"), "application/octet-stream");
}

TEST(DashboardAssets, shouldRefusePathsOutsideTheSet) {
  EXPECT_EQ(find_asset("index.html"), nullptr);  // no leading slash
  EXPECT_EQ(find_asset("/../CMakeLists.txt"), nullptr);
  EXPECT_EQ(find_asset("/assets/index.html"), nullptr);
  EXPECT_EQ(find_asset("/INDEX.HTML"), nullptr);
  EXPECT_EQ(find_asset("/index.html?x=1"), nullptr);  // the server strips queries first
  EXPECT_EQ(find_asset("/api/v1/engine"), nullptr);
}

// No absolute URL (http, https, ws, protocol-relative) anywhere: every fetch, script, style
// and socket goes to the origin that served the page.
TEST(DashboardAssets, shouldReferenceNothingOutsideThePagesOrigin) {
  const std::regex absolute(R"((https?|wss?|ftp)://|["'(`=]\s*//[^/])", std::regex::icase);
  for (const Asset& a : be::dashboard::assets()) {
    const std::string text = text_of(a);
    std::smatch m;
    if (std::regex_search(text, m, absolute)) {
      const auto at = static_cast<std::size_t>(m.position(0));
      ADD_FAILURE() << a.path << " references another origin: ..."
                    << text.substr(at > 30 ? at - 30 : 0, 80) << "...";
    }
  }
}

// What index.html loads and what the modules import must all be embedded, or the page
// breaks only in a browser.
TEST(DashboardAssets, shouldEmbedEveryAssetThePagesLoad) {
  const std::regex html_ref(R"re((?:src|href)="(/[^"#]*)")re");
  const std::regex js_import(R"re((?:import|from)\s*['"]\.(/[^'"]+)['"])re");
  int refs = 0;
  for (const Asset& a : be::dashboard::assets()) {
    const std::string text = text_of(a);
    const std::regex& re = a.path.ends_with(".html") ? html_ref : js_import;
    for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it) {
      ++refs;
      EXPECT_NE(find_asset((*it)[1].str()), nullptr)
          << a.path << " loads " << (*it)[1] << ", which is not embedded";
    }
  }
  EXPECT_GE(refs, 3) << "the pages load their script, style and modules";
}

}  // namespace
