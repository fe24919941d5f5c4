#include "runner/api/options.hpp"

#include <chrono>
#include <string>

namespace be::api {

namespace {

using config::Presence;

template <class T>
void read_count(config::ObjectReader& r, std::string_view key, T& out, std::int64_t min,
                std::int64_t max) {
  if (auto v = r.integer(key, Presence::kOptional, min, max)) out = static_cast<T>(*v);
}

void read_ms(config::ObjectReader& r, std::string_view key, std::chrono::milliseconds& out,
             std::int64_t min, std::int64_t max) {
  if (auto v = r.integer(key, Presence::kOptional, min, max)) out = std::chrono::milliseconds(*v);
}

void read_rate(config::ObjectReader& r, std::string_view key, double& out, double min) {
  if (auto v = r.number(key, Presence::kOptional, min, 1e6)) out = *v;
}

}  // namespace

Expected<ApiOptions, std::vector<config::FieldError>> read_api_options(std::string_view config_json,
                                                                       ApiOptions o) {
  auto root = config::parse(config_json);
  if (!root) return Unexpected{std::vector<config::FieldError>{{"", root.error()}}};
  std::vector<config::FieldError> errors;
  if (root->kind != config::Value::Kind::kObject) {
    errors.push_back({"", "the configuration must be a JSON object"});
    return Unexpected{std::move(errors)};
  }
  config::ObjectReader top(*root, "", errors);
  if (auto api = top.object("api", Presence::kOptional)) {
    if (auto v = api->string("bind", Presence::kOptional)) {
      if (v->empty()) {
        api->error("bind", "must be an address, e.g. 127.0.0.1");
      } else {
        o.bind_address = std::move(*v);
      }
    }
    read_count(*api, "port", o.port, 0, 65'535);
    read_count(*api, "io_threads", o.io_threads, 1, 64);
    read_count(*api, "max_connections", o.max_connections, 1, 65'536);
    read_count(*api, "reserved_connections", o.reserved_connections, 0, 65'535);
    if (o.reserved_connections >= o.max_connections) {
      api->error("reserved_connections",
                 "must be less than max_connections (" + std::to_string(o.max_connections) + ")");
    }
    read_count(*api, "max_body_bytes", o.max_body_bytes, 1'024, 64ll << 20);
    read_count(*api, "max_header_bytes", o.max_header_bytes, 1'024, 1ll << 20);
    read_ms(*api, "idle_timeout_ms", o.idle_timeout, 100, 86'400'000);
    read_ms(*api, "reserve_idle_timeout_ms", o.reserve_idle_timeout, 100, 3'600'000);
    read_rate(*api, "rate_per_second", o.rate_per_second, 0.01);
    read_rate(*api, "rate_burst", o.rate_burst, 1.0);
    read_rate(*api, "audit_log_lines_per_second", o.audit_log_lines_per_second, 0.0);
    read_rate(*api, "noise_log_lines_per_second", o.noise_log_lines_per_second, 0.0);
    read_count(*api, "ws_queue_messages", o.ws_queue_messages, 16, 1ll << 24);
    if (auto tls = api->object("tls", Presence::kOptional)) {
      // HTTPS and wss: a PEM certificate chain (leaf first) and its private key.
      const auto cert = tls->string("cert_file", Presence::kRequired);
      const auto key = tls->string("key_file", Presence::kRequired);
      if (cert && key) {
        auto identity = net::server::load_tls_identity(*cert, *key);
        if (identity) {
          o.tls = std::move(*identity);
        } else {
          tls->error("cert_file", identity.error());
        }
      }
      tls->finish();
    }
    api->finish();
  }
  if (!errors.empty()) return Unexpected{std::move(errors)};
  return o;
}

}  // namespace be::api
