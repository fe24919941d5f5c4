// docs/openapi.json against the server itself: the router serves every documented operation
// and the document has every route the router serves (method, path and whether it needs a
// token), and GET /api/v1/openapi.json serves the document byte for byte without a token.
// The lint (Redocly) and the check of the engine's live answers against the schemas are the
// ctest tests api_openapi_lint and api_openapi_live (tests/api/openapi/check.mjs).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "core/json_config.hpp"
#include "runner/api/openapi.hpp"
#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return std::move(bytes).str();
}

const std::string kDocPath = std::string(BE_SOURCE_DIR) + "/docs/openapi.json";

// "/api/v1/bots/{bot}/{*}" and "/api/v1/reports/{name}" alike: every template segment "{}".
std::string shape(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += "{}";
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

struct DocumentedOperation {
  std::string method;  // "GET"
  std::string path;    // as written in the document
  bool public_ = false;
  bool trailing_slash = false;  // the path item's x-trailing-slash
};

class OpenApiTest : public ApiServerTest {
 protected:
  void SetUp() override {
    auto parsed = config::parse(read_file(kDocPath));
    ASSERT_TRUE(parsed.has_value()) << kDocPath << ": " << parsed.error();
    const config::Value* paths = parsed->find("paths");
    ASSERT_NE(paths, nullptr);
    for (std::size_t p = 0; p < paths->keys.size(); ++p) {
      const config::Value& item = paths->values[p];
      const config::Value* slash = item.find("x-trailing-slash");
      for (std::size_t m = 0; m < item.keys.size(); ++m) {
        const std::string& method = item.keys[m];
        if (method == "parameters" || method.starts_with("x-") || method == "summary" ||
            method == "description")
          continue;
        const config::Value* security = item.values[m].find("security");
        DocumentedOperation op;
        for (const char c : method)
          op.method += static_cast<char>(c - 'a' + 'A');
        op.path = paths->keys[p];
        op.public_ = security != nullptr && security->items.empty();
        op.trailing_slash = slash != nullptr && slash->boolean;
        operations_.push_back(op);
      }
    }
    ASSERT_GE(operations_.size(), 25u) << "docs/openapi.json lost its operations";
  }

  const DocumentedOperation* documented(std::string_view method, std::string_view pattern) const {
    for (const DocumentedOperation& op : operations_) {
      if (op.method != method) continue;
      if (shape(op.path) == shape(pattern)) return &op;
      if (op.trailing_slash && shape(op.path + "/") == shape(pattern)) return &op;
    }
    return nullptr;
  }

  std::vector<DocumentedOperation> operations_;
};

TEST_F(OpenApiTest, shouldDocumentEveryRouteTheRouterServes) {
  int routes = 0;
  for (const Router::RouteRow& row : Router::routes()) {
    // A "*" row is a catch-all refusal (404 "no such route" under a bot), not an operation.
    if (row.method == "*") continue;
    ++routes;
    SCOPED_TRACE(std::string(row.method) + " " + std::string(row.pattern));
    const DocumentedOperation* op = documented(row.method, row.pattern);
    ASSERT_NE(op, nullptr) << "the router serves it; docs/openapi.json does not describe it";
    EXPECT_EQ(op->public_, !row.needs_token)
        << (row.needs_token ? "the route needs a token; the document says it is public "
                              "(\"security\": [])"
                            : "the route is public; the document's operation needs a token "
                              "(give it \"security\": [])");
  }
  EXPECT_GE(routes, 30);
}

TEST_F(OpenApiTest, shouldServeEveryOperationTheDocumentDescribes) {
  const auto rows = Router::routes();
  const auto served = [&](std::string_view method, const std::string& path) {
    for (const Router::RouteRow& row : rows) {
      if (row.method == method && shape(row.pattern) == shape(path)) return true;
    }
    return false;
  };
  for (const DocumentedOperation& op : operations_) {
    SCOPED_TRACE(op.method + " " + op.path);
    // The WebSocket upgrade is served by ApiServer::upgrade, not the table (stream_test.cpp).
    if (op.path == "/api/v1/stream") continue;
    EXPECT_TRUE(served(op.method, op.path)) << "documented, but the router has no such route";
    if (op.trailing_slash) {
      EXPECT_TRUE(served(op.method, op.path + "/"))
          << "x-trailing-slash, but the router does not serve the path with a trailing /";
    }
  }
}

TEST_F(OpenApiTest, shouldServeTheDocumentWithoutAToken) {
  start();
  const auto reply = call("GET", "/api/v1/openapi.json");
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->header("content-type"), "application/json");
  // Compared as booleans: a mismatch would otherwise print 80 KB twice.
  const std::string file = read_file(kDocPath);
  EXPECT_TRUE(reply->body == file) << "the served document is not docs/openapi.json ("
                                   << reply->body.size() << " vs " << file.size() << " bytes)";
  EXPECT_TRUE(openapi_document() == file) << "the embedded document is not docs/openapi.json";

  const auto post = call("POST", "/api/v1/openapi.json", kAdminToken, "{}");
  ASSERT_TRUE(post.has_value());
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->body, R"({"error":{"code":"method_not_allowed","message":"use GET"}})");
}

}  // namespace
}  // namespace be::api::test
