// The frame codec on Beast's own pieces (net/detail/ws_frame.hpp says which are Beast's).
#include "net/detail/ws_frame.hpp"

#include <cstring>

#include "net/detail/asio.hpp"

namespace be::net::detail {

namespace wsd = websocket::detail;
using websocket::error;

namespace {

WsDecode fail(error e, std::string* out) {
  if (out) *out = websocket::make_error_code(e).message();
  return WsDecode::kError;
}

std::uint64_t big_endian(const std::uint8_t* p, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i)
    v = (v << 8) | p[i];
  return v;
}

}  // namespace

// Beast's stream::impl_type::parse_fh for the client role, rule for rule, on a flat byte range.
WsDecode decode_server_header(const std::uint8_t* p, std::size_t n, bool in_message,
                              std::uint64_t message_so_far, std::uint64_t max_message,
                              WsFrameHeader& out, std::string* error_text) {
  if (n < 2) return WsDecode::kNeedMore;
  const auto op = static_cast<wsd::opcode>(p[0] & 0x0f);
  const bool fin = (p[0] & 0x80) != 0;
  const bool rsv = (p[0] & 0x70) != 0;
  const bool masked = (p[1] & 0x80) != 0;
  std::uint64_t len = p[1] & 0x7f;
  const std::size_t extra = len == 126 ? 2 : len == 127 ? 8 : 0;
  if (n < 2 + extra + (masked ? 4 : 0)) return WsDecode::kNeedMore;
  switch (op) {
    case wsd::opcode::text:
    case wsd::opcode::binary:
      if (in_message) return fail(error::bad_data_frame, error_text);
      if (rsv) return fail(error::bad_reserved_bits, error_text);
      break;
    case wsd::opcode::cont:
      if (!in_message) return fail(error::bad_continuation, error_text);
      if (rsv) return fail(error::bad_reserved_bits, error_text);
      break;
    default:
      if (wsd::is_reserved(op) || !wsd::is_valid(op)) return fail(error::bad_opcode, error_text);
      if (!fin) return fail(error::bad_control_fragment, error_text);
      if (len > 125) return fail(error::bad_control_size, error_text);
      if (rsv) return fail(error::bad_reserved_bits, error_text);
      break;
  }
  if (masked) return fail(error::bad_masked_frame, error_text);
  if (extra != 0) {
    len = big_endian(p + 2, extra);
    if ((extra == 2 && len < 126) || (extra == 8 && len < 65536)) {
      return fail(error::bad_size, error_text);
    }
  }
  if (!wsd::is_control(op) && (len > max_message || message_so_far > max_message - len)) {
    return fail(error::message_too_big, error_text);
  }
  out.op = static_cast<WsOpcode>(op);
  out.fin = fin;
  out.length = len;
  out.header_bytes = 2 + extra;
  return WsDecode::kFrame;
}

void append_client_frame(std::string& out, WsOpcode op, std::string_view payload,
                         std::uint32_t mask_key) {
  wsd::frame_header fh{};
  fh.op = static_cast<wsd::opcode>(op);
  fh.fin = true;
  fh.mask = true;
  fh.key = mask_key;
  fh.len = payload.size();
  beast::flat_static_buffer<14> head;
  wsd::write(head, fh);  // Beast's header writer
  const std::size_t at = out.size();
  out.append(static_cast<const char*>(head.data().data()), head.size());
  out.append(payload);
  wsd::prepared_key key;
  wsd::prepare_key(key, mask_key);
  wsd::mask_inplace(asio::mutable_buffer(out.data() + at + head.size(), payload.size()), key);
}

bool read_close_payload(std::string_view payload, std::uint16_t& code, std::string& reason,
                        std::string* error_text) {
  websocket::close_reason cr;
  beast::error_code ec;
  wsd::read_close(cr, asio::const_buffer(payload.data(), payload.size()), ec);
  if (ec) {
    if (error_text) *error_text = ec.message();
    return false;
  }
  code = cr.code;
  reason.assign(cr.reason.data(), cr.reason.size());
  return true;
}

bool check_text_payload(std::string_view text, std::string* error_text) {
  if (wsd::check_utf8(text.data(), text.size())) return true;
  if (error_text) *error_text = websocket::make_error_code(error::bad_frame_payload).message();
  return false;
}

std::string make_handshake_key() {
  wsd::sec_ws_key_type key;
  wsd::make_sec_ws_key(key);
  return std::string(key.data(), key.size());
}

std::string handshake_accept_for(std::string_view key) {
  wsd::sec_ws_accept_type accept;
  wsd::make_sec_ws_accept(accept, beast::string_view(key.data(), key.size()));
  return std::string(accept.data(), accept.size());
}

}  // namespace be::net::detail
