// The config's "api" object: every key read over the defaults, every bad field named.
#include "runner/api/options.hpp"

#include <gtest/gtest.h>

#include <string>

namespace be::api {
namespace {

std::string errors_of(std::string_view json) {
  auto o = read_api_options(json);
  if (o) return "";
  return config::format_errors(o.error());
}

TEST(ApiOptionsConfig, shouldKeepTheDefaultsWithoutAnApiObject) {
  ApiOptions defaults;
  defaults.port = 9000;
  auto o = read_api_options(R"({"engine": {}})", defaults);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->port, 9000);
  EXPECT_EQ(o->bind_address, "127.0.0.1");
  EXPECT_EQ(o->max_connections, 64u);
  EXPECT_EQ(o->reserved_connections, 8u);
}

TEST(ApiOptionsConfig, shouldReadEveryKey) {
  auto o = read_api_options(R"({"api": {
    "bind": "0.0.0.0", "port": 0, "io_threads": 4, "max_connections": 200,
    "reserved_connections": 20, "max_body_bytes": 131072, "max_header_bytes": 16384,
    "idle_timeout_ms": 10000, "reserve_idle_timeout_ms": 2000, "rate_per_second": 50,
    "rate_burst": 100, "audit_log_lines_per_second": 10, "noise_log_lines_per_second": 0,
    "ws_queue_messages": 1024}})");
  ASSERT_TRUE(o) << config::format_errors(o.error());
  EXPECT_EQ(o->bind_address, "0.0.0.0");
  EXPECT_EQ(o->port, 0);
  EXPECT_EQ(o->io_threads, 4);
  EXPECT_EQ(o->max_connections, 200u);
  EXPECT_EQ(o->reserved_connections, 20u);
  EXPECT_EQ(o->max_body_bytes, 131072u);
  EXPECT_EQ(o->max_header_bytes, 16384u);
  EXPECT_EQ(o->idle_timeout, std::chrono::milliseconds(10'000));
  EXPECT_EQ(o->reserve_idle_timeout, std::chrono::milliseconds(2'000));
  EXPECT_EQ(o->rate_per_second, 50.0);
  EXPECT_EQ(o->rate_burst, 100.0);
  EXPECT_EQ(o->audit_log_lines_per_second, 10.0);
  EXPECT_EQ(o->noise_log_lines_per_second, 0.0);
  EXPECT_EQ(o->ws_queue_messages, 1024u);
}

TEST(ApiOptionsConfig, shouldNameEveryBadField) {
  const std::string e = errors_of(
      R"({"api": {"bind": "", "port": 70000, "max_connections": 8, "reserved_connections": 8,
                  "rate_burst": 0.5, "colour": 1}})");
  for (const char* part :
       {"api.bind: must be an address", "api.port: must be an integer from 0 to 65535",
        "api.reserved_connections: must be less than max_connections (8)",
        "api.rate_burst:", "api.colour: unknown field"}) {
    EXPECT_NE(e.find(part), std::string::npos) << part << "\n" << e;
  }
  EXPECT_NE(errors_of(R"({"api": 3})"), "");
  EXPECT_NE(errors_of("[]"), "");
  EXPECT_NE(errors_of("{"), "");
}

}  // namespace
}  // namespace be::api
