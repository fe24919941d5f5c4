#include "feed/import/checksum.hpp"

#include <openssl/evp.h>

#include <array>
#include <cctype>

namespace be::feed::import {

std::string sha256_hex(std::string_view bytes) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

std::optional<std::string> check_sha256(std::string_view archive, std::string_view archive_name,
                                        std::string_view checksum_text) {
  // "<hex>  <name>" or "<hex> *<name>" (binary mode), one line; the name may be absent.
  std::string_view line = checksum_text.substr(0, checksum_text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.remove_suffix(1);
  const std::size_t space = line.find(' ');
  std::string expected(line.substr(0, space));
  for (char& c : expected)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (expected.size() != 64 ||
      expected.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return std::string("not a sha256sum line (64 hex digits, then the file name)");
  }
  if (space != std::string_view::npos) {
    std::string_view named = line.substr(space);
    while (!named.empty() && (named.front() == ' ' || named.front() == '*'))
      named.remove_prefix(1);
    if (!named.empty() && named != archive_name) {
      return "names " + std::string(named) + ", not " + std::string(archive_name);
    }
  }
  const std::string actual = sha256_hex(archive);
  if (actual != expected) {
    return "SHA-256 mismatch: the file's is " + actual + ", the CHECKSUM file says " + expected;
  }
  return std::nullopt;
}

}  // namespace be::feed::import
