#pragma once
// Whole-payload checks for GoogleTest: one EXPECT per field, so a failure names the field,
// and one place that knows which fields a payload has (the tests used to list them each).

#include <gtest/gtest.h>

#include "core/event.hpp"

namespace be::test {

// Every field of a Bar but the reserved bytes.
inline void expect_bar(const Bar& got, const Bar& want) {
  EXPECT_EQ(got.instrument, want.instrument);
  EXPECT_EQ(got.interval_seconds, want.interval_seconds);
  EXPECT_EQ(got.open_time, want.open_time);
  EXPECT_EQ(got.open, want.open);
  EXPECT_EQ(got.high, want.high);
  EXPECT_EQ(got.low, want.low);
  EXPECT_EQ(got.close, want.close);
  EXPECT_EQ(got.volume, want.volume);
  EXPECT_EQ(got.trade_count, want.trade_count);
  EXPECT_EQ(got.closed, want.closed);
}

}  // namespace be::test
