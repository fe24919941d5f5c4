// Boost.Asio/Beast and OpenSSL for the .cpp files of be_net: one place for the includes, the
// namespace aliases and the one diagnostic Boost needs silenced. Never include this from a
// public header of net/ (those stay free of Beast so their users compile fast).
#pragma once

#include <chrono>

// GCC 12 at -O2 reports a "potential null pointer dereference" inside Asio's scheduler
// (a false positive in a system header, seen after inlining); silenced for Boost only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#pragma GCC diagnostic pop

#include "core/ids.hpp"

namespace be::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

inline std::chrono::steady_clock::duration to_duration(Nanos ns) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::nanoseconds(ns));
}

}  // namespace be::net::detail
