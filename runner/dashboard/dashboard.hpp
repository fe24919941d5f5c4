// The dashboard's static assets, embedded in the binary at build time (embed.cmake turns each
// file under assets/ into a byte array), so `botengine run` serves the UI with nothing
// installed beside it and nothing fetched from the internet.
//
// Thread-safety: everything here is immutable static data; call from any thread.
// Lifetime: returned pointers, views and spans refer to static storage and never dangle.
#pragma once

#include <span>
#include <string_view>

namespace be::dashboard {

struct Asset {
  std::string_view path;          // request path, e.g. "/index.html", "/app.js"
  std::string_view content_type;  // e.g. "text/javascript; charset=utf-8"
  std::span<const unsigned char> bytes;
};

// The asset served at a request path; "/" and "" give "/index.html". The query string and
// fragment must already be stripped. Returns nullptr for anything else (the caller answers
// 404), including paths with ".." or a missing leading slash: no lookup ever reaches the disk.
const Asset* find_asset(std::string_view path) noexcept;

// Every embedded asset, sorted by path (for listings and tests).
std::span<const Asset> assets() noexcept;

// The content type for a file name's extension; "application/octet-stream" when unknown.
// Text types carry the charset so a browser never has to sniff.
constexpr std::string_view content_type_for(std::string_view path) noexcept {
  struct Type {
    std::string_view ext, type;
  };
  constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".json", "application/json"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const Type& t : kTypes)
    if (path.ends_with(t.ext)) return t.type;
  return "application/octet-stream";
}

}  // namespace be::dashboard
