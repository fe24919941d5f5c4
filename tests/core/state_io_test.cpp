// core/state_io.hpp: the one hash, writer, reader and snapshot frame.
#include "core/state_io.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace be::state_io {
namespace {

struct Sample {
  std::int64_t price = -12345;
  std::uint32_t count = 7;
  std::uint8_t flag = 1;
  std::string note = "hello";
  template <class W>
  void save(W& w) const {
    w.put(price);
    w.put(count);
    w.put(flag);
    w.put_string(note);
  }
};

TEST(StateIoTest, fnv1a64MatchesTheReferenceVectors) {
  // The FNV-1a 64 test vectors (empty input, "a", "foobar"): every StateHash a journal holds
  // was computed with this function, so it must never change.
  EXPECT_EQ(fnv1a64(std::string_view{}), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64(std::string_view{"a"}), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64(std::string_view{"foobar"}), 0x85944171f73967e8ULL);
}

TEST(StateIoTest, hasherHashesExactlyWhatTheWriterWrites) {
  Sample s;
  std::vector<std::byte> bytes;
  Writer w(bytes);
  s.save(w);
  Hasher h;
  s.save(h);
  Sizer n;
  s.save(n);
  EXPECT_EQ(h.value(), fnv1a64(bytes));
  EXPECT_EQ(n.n, bytes.size());
}

TEST(StateIoTest, readerRoundTripsAndRefusesReadsPastTheEnd) {
  Sample s;
  std::vector<std::byte> bytes;
  Writer w(bytes);
  s.save(w);
  Reader r(bytes);
  EXPECT_EQ(r.get<std::int64_t>(), s.price);
  EXPECT_EQ(r.get<std::uint32_t>(), s.count);
  EXPECT_EQ(r.get<std::uint8_t>(), s.flag);
  EXPECT_EQ(r.get_string(), s.note);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.get<std::uint64_t>(), 0u);
  EXPECT_FALSE(r.ok());

  Reader torn{std::span<const std::byte>(bytes).first(bytes.size() - 1)};
  torn.get<std::int64_t>();
  torn.get<std::uint32_t>();
  torn.get<std::uint8_t>();
  EXPECT_EQ(torn.get_string(), "");
  EXPECT_TRUE(torn.failed());
}

TEST(StateIoTest, frameRefusesEveryKindOfDamage) {
  const std::array<std::uint32_t, 2> caps{16, 64};
  const auto body = [](SpanWriter& w) {
    w(std::uint64_t{42});
    w(std::int32_t{-1});
  };
  const auto frame = write_frame(0x54455354, 3, caps, 12, body);
  const auto ok = check_frame(frame, 0x54455354, 3, caps, 12);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(*ok, 4u + 1u + 8u);

  EXPECT_EQ(check_frame(frame, 0x54455354, 4, caps, 12).error(), FrameError::kBadVersion);
  EXPECT_EQ(check_frame(frame, 0x11111111, 3, caps, 12).error(), FrameError::kBadVersion);
  const std::array<std::uint32_t, 2> other{16, 32};
  EXPECT_EQ(check_frame(frame, 0x54455354, 3, other, 12).error(), FrameError::kCapacityMismatch);
  EXPECT_EQ(check_frame(std::span(frame).first(frame.size() - 1), 0x54455354, 3, caps, 12).error(),
            FrameError::kTruncated);
  for (std::size_t i = 13; i < frame.size(); ++i) {  // every byte of body and checksum
    auto bad = frame;
    bad[i] ^= std::byte{0x01};
    EXPECT_EQ(check_frame(bad, 0x54455354, 3, caps, 12).error(), FrameError::kCorrupt) << i;
  }
}

}  // namespace
}  // namespace be::state_io
