// What a TLS client of net/ trusts: the options every client (WebSocket, HTTP) takes.
//
// The peer's chain and its name (the DNS name or IP address in the URL, checked against the
// certificate's subjectAltName by OpenSSL) are verified unless verify_peer is false. Trust
// anchors: the system's default store plus ca_file and ca_pem when given (a test passes a
// self-signed certificate as ca_pem). SNI carries the URL's host name (not for an IP literal,
// which RFC 6066 forbids in SNI). A refused certificate fails with "tls handshake: certificate
// verify failed: <OpenSSL's reason> (peer host:port; ...)".
//
// Thread-safety: a value.
#pragma once

#include <string>

namespace be::net {

struct TlsClientOptions {
  bool verify_peer = true;
  std::string ca_file;  // PEM bundle file with extra trust anchors
  std::string ca_pem;   // PEM text with extra trust anchors
};

}  // namespace be::net
