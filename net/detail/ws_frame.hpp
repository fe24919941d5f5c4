// The WebSocket frame codec (RFC 6455 §5) for a client that does its own framing: the io_uring
// ingest path (net/uring/). It is Beast's codec, not a second one: the header layout and its
// writer, the masking, the close-frame reader, the opcode and close-code rules, the UTF-8
// check and the handshake key/accept are Beast's own (boost/beast/websocket/detail), the very
// code the Beast client's websocket::stream frames with; only the header *reader*, which Beast
// keeps inside its stream, is written here, with Beast's rules and Beast's error codes, so an
// error reads the same from either client ("bad masked frame", "bad continuation", ...).
//
// No Beast type appears in this header (the .cpp includes Beast); nothing here allocates but
// the std::string outputs a caller reuses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace be::net::detail {

enum class WsOpcode : std::uint8_t {
  kContinuation = 0,
  kText = 1,
  kBinary = 2,
  kClose = 8,
  kPing = 9,
  kPong = 10,
};

struct WsFrameHeader {
  WsOpcode op = WsOpcode::kText;
  bool fin = true;
  std::uint64_t length = 0;      // payload bytes
  std::size_t header_bytes = 0;  // 2 .. 10 (a server's frames carry no mask key)
};

enum class WsDecode : std::uint8_t { kFrame, kNeedMore, kError };

// Decodes the header of a frame a server sent from `n` bytes at `p`; `in_message`: a
// fragmented data message is open (a continuation is expected). kNeedMore: the header is not
// complete yet. kError: `*error` names the protocol violation in Beast's words (its
// websocket::error messages): reserved bits set (no extension is negotiated), a reserved
// opcode, a fragmented or oversized control frame, a masked frame (a server must not mask), a
// length not in its shortest form, a data frame inside a fragmented message or a continuation
// outside one, a payload (or message, `message_so_far` bytes before it) over `max_message`.
WsDecode decode_server_header(const std::uint8_t* p, std::size_t n, bool in_message,
                              std::uint64_t message_so_far, std::uint64_t max_message,
                              WsFrameHeader& out, std::string* error);

// Appends one complete client frame (FIN set, masked with `mask_key`, as a client must) to `out`.
void append_client_frame(std::string& out, WsOpcode op, std::string_view payload,
                         std::uint32_t mask_key);

// The close frame's payload read by Beast's rules: empty, or a valid close code and UTF-8
// reason. False with `*error` set ("bad close code", ...) otherwise.
bool read_close_payload(std::string_view payload, std::uint16_t& code, std::string& reason,
                        std::string* error);

// A text message's payload is UTF-8 (Beast's checker); false with `*error` in Beast's words.
bool check_text_payload(std::string_view text, std::string* error);

// The handshake: a fresh Sec-WebSocket-Key, and the Sec-WebSocket-Accept a server must answer
// for a key.
std::string make_handshake_key();
std::string handshake_accept_for(std::string_view key);

}  // namespace be::net::detail
