#include "journal/format.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "tests/journal/journal_test_util.hpp"

namespace be::journal {
namespace {

std::vector<std::byte> frame_of(const Event& e, SequenceNumber key_seq) {
  std::vector<std::byte> out(event_frame_size(e));
  encode_event(seq_key(key_seq), e, out.data());
  return out;
}

TEST(JournalFormat, shouldEncodeSequenceKeysBigEndianSoLmdbOrdersThemNumerically) {
  const SeqKey k = seq_key(0x0102030405060708ull);
  EXPECT_EQ(k[0], std::byte{0x01});
  EXPECT_EQ(k[7], std::byte{0x08});
  EXPECT_EQ(seq_from_key(k.data()), 0x0102030405060708ull);
  EXPECT_LT(std::memcmp(seq_key(255).data(), seq_key(256).data(), 8), 0);
}

TEST(JournalFormat, shouldFrameAFixedEventIn132Bytes) {
  const Event e = test::make_event(10);  // a Trade
  const auto f = frame_of(e, 10);
  ASSERT_EQ(f.size(), 132u);
  FrameView v;
  const SeqKey key = seq_key(10);
  ASSERT_EQ(parse_frame(key, f, v), FrameStatus::kOk);
  EXPECT_EQ(v.type, static_cast<std::uint16_t>(EventType::kTrade));
  EXPECT_EQ(v.version, Trade::kVersion);
  EXPECT_EQ(v.payload.size(), kFixedEventPayloadSize);
  EXPECT_EQ(std::memcmp(v.payload.data() + kEventPrefixSize, e.payload.data(), kPayloadCapacity),
            0);
}

TEST(JournalFormat, shouldFrameBlobBytesInPlaceOfThePointer) {
  const Event e = test::make_event(9 * 50 + 8);  // a blob
  ASSERT_EQ(e.header.type, EventType::kBlob);
  const BlobRef b = e.as<BlobRef>();
  const auto f = frame_of(e, e.header.sequence);
  EXPECT_EQ(f.size(), kFrameOverhead + kBlobPayloadOffset + b.size);
  FrameView v;
  ASSERT_EQ(parse_frame(seq_key(e.header.sequence), f, v), FrameStatus::kOk);
  EXPECT_EQ(std::memcmp(v.payload.data() + kBlobPayloadOffset, b.data, b.size), 0);
}

TEST(JournalFormat, shouldRejectAFrameStoredUnderAnotherSequence) {
  const auto f = frame_of(test::make_event(5), 5);
  FrameView v;
  EXPECT_EQ(parse_frame(seq_key(6), f, v), FrameStatus::kBadCrc);
}

TEST(JournalFormat, shouldRejectEveryFlippedBit) {
  auto f = frame_of(test::make_event(3), 3);
  const SeqKey key = seq_key(3);
  for (std::size_t i = 0; i < f.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      f[i] ^= std::byte(1u << bit);
      FrameView v;
      EXPECT_NE(parse_frame(key, f, v), FrameStatus::kOk) << "byte " << i << " bit " << bit;
      f[i] ^= std::byte(1u << bit);
    }
  }
}

TEST(JournalFormat, shouldRejectShortAndMislengthedFrames) {
  auto f = frame_of(test::make_event(2), 2);
  FrameView v;
  EXPECT_EQ(parse_frame(seq_key(2), std::span(f).first(11), v), FrameStatus::kTooShort);
  EXPECT_EQ(parse_frame(seq_key(2), std::span(f).first(f.size() - 1), v),
            FrameStatus::kLengthMismatch);
}

}  // namespace
}  // namespace be::journal
