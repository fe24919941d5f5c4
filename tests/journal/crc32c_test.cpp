#include "core/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

namespace be {
namespace {

std::span<const std::byte> bytes(std::string_view s) {
  return std::as_bytes(std::span(s));
}

TEST(Crc32c, shouldMatchTheCastagnoliCheckValue) {
  EXPECT_EQ(crc32c(bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_extend_sw(0, "123456789", 9), 0xE3069283u);
}

TEST(Crc32c, shouldMatchPublishedVectors) {
  // RFC 3720 (iSCSI) B.4 test patterns.
  std::array<unsigned char, 32> zeros{};
  std::array<unsigned char, 32> ones{};
  ones.fill(0xFF);
  std::array<unsigned char, 32> inc{};
  for (int i = 0; i < 32; ++i)
    inc[static_cast<std::size_t>(i)] = static_cast<unsigned char>(i);
  EXPECT_EQ(crc32c_extend_sw(0, zeros.data(), 32), 0x8A9136AAu);
  EXPECT_EQ(crc32c_extend_sw(0, ones.data(), 32), 0x62A8AB43u);
  EXPECT_EQ(crc32c_extend_sw(0, inc.data(), 32), 0x46DD794Eu);
  EXPECT_EQ(crc32c(std::as_bytes(std::span(zeros))), 0x8A9136AAu);
  EXPECT_EQ(crc32c(bytes("")), 0u);
}

TEST(Crc32c, shouldAgreeBetweenHardwareAndTableOnRandomData) {
  if (!crc32c_hw_available()) GTEST_SKIP() << "CPU without SSE4.2: only the table path exists";
  std::mt19937_64 rng(42);
  std::vector<unsigned char> buf(4096 + 7);
  for (auto& b : buf)
    b = static_cast<unsigned char>(rng());
  for (int i = 0; i < 2000; ++i) {
    const std::size_t off = rng() % 8;  // unaligned starts too
    const std::size_t len = rng() % (buf.size() - off);
    const auto seed = static_cast<std::uint32_t>(rng());
    ASSERT_EQ(crc32c_extend_hw(seed, buf.data() + off, len),
              crc32c_extend_sw(seed, buf.data() + off, len))
        << "offset " << off << " length " << len;
  }
}

TEST(Crc32c, shouldComposeWhenExtendedPieceByPiece) {
  const std::string_view s = "the quick brown fox jumps over the lazy dog, twice over";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    const std::uint32_t a = crc32c(bytes(s.substr(0, cut)));
    EXPECT_EQ(crc32c_extend(a, s.data() + cut, s.size() - cut), crc32c(bytes(s)));
  }
}

}  // namespace
}  // namespace be
