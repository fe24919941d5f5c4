#include <cctype>
#include <charconv>

#include "net/detail/ws_requests.hpp"
#include "net/ws_client.hpp"

namespace be::net {

std::string stream_name(std::string_view symbol, std::string_view channel) {
  std::string name;
  name.reserve(symbol.size() + channel.size() + 1);
  for (char c : symbol)
    name.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  name.push_back('@');
  name.append(channel);
  return name;
}

FrameKind classify_frame(std::string_view p, bool binary) noexcept {
  if (binary) return FrameKind::kUnrecognised;
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r' || p.back() == ' '))
    p.remove_suffix(1);
  if (p.size() < 2 || p.front() != '{' || p.back() != '}') return FrameKind::kUnrecognised;
  if (p.starts_with(R"({"result")") || p.starts_with(R"({"id")") || p.starts_with(R"({"code")") ||
      p.starts_with(R"({"error")")) {
    return FrameKind::kReply;
  }
  return FrameKind::kData;
}

namespace detail {

std::optional<std::uint64_t> reply_id(std::string_view p) {
  const auto at = p.rfind(R"("id":)");
  if (at == std::string_view::npos) return std::nullopt;
  const char* first = p.data() + at + 5;
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(first, p.data() + p.size(), id);
  if (ec != std::errc{} || end == first) return std::nullopt;
  return id;
}

std::string reply_message(std::string_view p) {
  const auto at = p.find(R"("msg":")");
  if (at == std::string_view::npos) return "error reply without msg";
  const auto begin = at + 7;
  const auto end = p.find('"', begin);
  return std::string(p.substr(begin, end == std::string_view::npos ? 0 : end - begin));
}

std::string request_json(std::string_view method, const std::vector<std::string>& params,
                         std::uint64_t id) {
  std::string out = R"({"method":")";
  out += method;
  out += '"';
  if (!params.empty()) {
    out += R"(,"params":[)";
    for (std::size_t i = 0; i < params.size(); ++i) {
      if (i) out += ',';
      out += '"';
      out += params[i];
      out += '"';
    }
    out += ']';
  }
  out += R"(,"id":)";
  out += std::to_string(id);
  out += '}';
  return out;
}

}  // namespace detail
}  // namespace be::net
