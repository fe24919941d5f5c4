// The TLS client set-up every net/ client shares (Beast/OpenSSL; .cpp files of net/ only):
// the context's trust anchors, one session's SNI and name check, and a handshake failure
// that says what to fix.
//
// Thread-safety: configure_client_context before the context is used by any stream;
// the rest act on one session on its I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/detail/asio.hpp"
#include "net/tls_client.hpp"

namespace be::net::detail {

// The system's default trust store plus options.ca_file and options.ca_pem. An error names
// the option that could not be loaded ("cannot load CA file '<path>': ...").
std::optional<std::string> configure_client_context(ssl::context& context,
                                                    const TlsClientOptions& options);

// Prepares one client session before its handshake: SNI (not for an IP literal), OpenSSL's
// own host-name or IP check when verify_peer (a mismatch then leaves a verify result that
// describe_handshake_failure can name), and keeps OpenSSL's record buffer between records
// (no malloc per record). An error says which step failed ("sni: ...").
std::optional<std::string> prepare_client_session(SSL* session, const std::string& host,
                                                  bool verify_peer);

// "tls handshake: <error>", or, when the peer's certificate was refused, "tls handshake:
// certificate verify failed: <OpenSSL's reason> (peer host:port; trust it with ...)".
std::string describe_handshake_failure(SSL* session, const beast::error_code& ec,
                                       std::string_view host, std::uint16_t port);

}  // namespace be::net::detail
