// A TLS server identity for a Server (server.hpp): a certificate chain and its private key, in PEM.
//
// make_self_signed_identity() creates one in memory with the OpenSSL API (an EC P-256 key and
// a self-signed X.509 v3 certificate naming the given hosts and IP addresses as
// subjectAltNames), so tests and demos serve wss:// without key files on disk or in the
// repository; a client trusts it by taking `certificate_pem` as its CA (WsClientConfig::ca_pem).
// load_tls_identity() reads a certificate chain and key from PEM files (`botengine sim
// --tls-cert F --tls-key F`).
//
// Thread-safety: free functions, no shared state. Errors: returned as text naming the file or
// the OpenSSL step that failed; nothing throws.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace be::net::server {

struct TlsIdentity {
  std::string certificate_pem;  // leaf first, then any intermediates
  std::string private_key_pem;
};

struct SelfSignedOptions {
  std::string common_name = "localhost";
  std::vector<std::string> dns_names = {"localhost"};
  std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
  int valid_days = 2;  // from one hour ago, so a clock a little behind still accepts it
};

Expected<TlsIdentity, std::string> make_self_signed_identity(const SelfSignedOptions& options = {});

Expected<TlsIdentity, std::string> load_tls_identity(const std::string& certificate_path,
                                                     const std::string& private_key_path);

}  // namespace be::net::server
