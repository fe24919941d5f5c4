#include "net/detail/tls_client.hpp"

namespace be::net::detail {

namespace {

std::string ssl_error_text() {
  return beast::error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category())
      .message();
}

}  // namespace

std::optional<std::string> configure_client_context(ssl::context& context,
                                                    const TlsClientOptions& options) {
  beast::error_code ec;
  context.set_default_verify_paths(ec);  // no system store is not fatal: ca_file/ca_pem may do
  if (!options.ca_file.empty()) {
    context.load_verify_file(options.ca_file, ec);
    if (ec) return "cannot load CA file '" + options.ca_file + "': " + ec.message();
  }
  if (!options.ca_pem.empty()) {
    context.add_certificate_authority(asio::buffer(options.ca_pem), ec);
    if (ec) return "cannot load ca_pem: " + ec.message();
  }
  return std::nullopt;
}

std::optional<std::string> prepare_client_session(SSL* session, const std::string& host,
                                                  bool verify_peer) {
  // Asio sets SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's 16 KiB record buffer whenever
  // it drains and mallocs it again on the next record: once per frame. Keep it.
  SSL_clear_mode(session, SSL_MODE_RELEASE_BUFFERS);
  beast::error_code literal;
  const bool ip_literal = (asio::ip::make_address(host, literal), !literal);
  // SNI: virtual-hosted TLS endpoints pick the certificate by it.
  if (!ip_literal && !SSL_set_tlsext_host_name(session, host.c_str())) {
    return "sni: " + ssl_error_text();
  }
  if (!verify_peer) {
    SSL_set_verify(session, SSL_VERIFY_NONE, nullptr);
    return std::nullopt;
  }
  // OpenSSL's own name check (not a verify callback) so a mismatch leaves a verify result
  // that describe_handshake_failure() can name.
  X509_VERIFY_PARAM* param = SSL_get0_param(session);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const int named = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                               : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  if (named != 1) return "tls host name: " + ssl_error_text();
  SSL_set_verify(session, SSL_VERIFY_PEER, nullptr);
  return std::nullopt;
}

std::string describe_handshake_failure(SSL* session, const beast::error_code& ec,
                                       std::string_view host, std::uint16_t port) {
  // "certificate verify failed" alone does not say what to fix: add the verify result
  // ("self-signed certificate", "hostname mismatch", "certificate has expired") and the peer.
  const long verify = SSL_get_verify_result(session);
  if (verify == X509_V_OK) return "tls handshake: " + ec.message();
  std::string reason = "tls handshake: certificate verify failed: ";
  reason += X509_verify_cert_error_string(verify);
  reason += " (peer ";
  reason += host;
  reason += ':';
  reason += std::to_string(port);
  reason += "; trust it with ca_file/ca_pem or fix the server's certificate)";
  return reason;
}

}  // namespace be::net::detail
