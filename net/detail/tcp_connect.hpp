// Internal to net/: the one blocking TCP connect with a deadline, for the clients that own their
// socket instead of handing it to Asio (the hot-thread order session, net/ws_direct*, and the
// io_uring ingest client, net/uring/).
#pragma once

#include <cstdint>
#include <string>

#include "core/expected.hpp"

namespace be::net::detail {

// Resolves `host` and connects to each address in turn until one answers, all within
// `timeout_ms`. The socket comes back connected, blocking, close-on-exec, with TCP_NODELAY.
// Errors read "resolve: <why>" or "connect: <why>" (the last address's reason).
Expected<int, std::string> connect_tcp(const std::string& host, std::uint16_t port, int timeout_ms);

}  // namespace be::net::detail
