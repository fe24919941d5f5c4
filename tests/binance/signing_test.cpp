#include "oms/venues/binance/signing.hpp"

#include <gtest/gtest.h>

namespace be::binance {
namespace {

// The SIGNED request example (HMAC) of Binance's spot REST API documentation ("Request
// security"): the documented secret, query and signature.
constexpr std::string_view kDocSecret =
    "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
constexpr std::string_view kDocQuery =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
    "timestamp=1499827319559";
constexpr std::string_view kDocSignature =
    "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

TEST(BinanceSigning, shouldMatchTheDocumentedHmacExample) {
  EXPECT_EQ(hmac_sha256_hex(kDocSecret, kDocQuery), kDocSignature);
}

TEST(BinanceSigning, shouldMatchTheDocumentedPercentEncodedExample) {
  // The same page's second example: a symbol with non-ASCII characters, percent-encoded.
  constexpr std::string_view query =
      "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
      "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
  EXPECT_EQ(hmac_sha256_hex(kDocSecret, query),
            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
}

TEST(BinanceSigning, shouldBuildTheDocumentedQueryFromFixedPoint) {
  QueryBuilder q;
  q.add("symbol", "LTCBTC")
      .add("side", "BUY")
      .add("type", "LIMIT")
      .add("timeInForce", "GTC")
      .add_decimal("quantity", 100'000'000, 8)  // 1 at scale 8
      .add_decimal("price", 10'000'000, 8)      // 0.1 at scale 8
      .add("recvWindow", std::int64_t{5000})
      .add("timestamp", std::int64_t{1499827319559});
  EXPECT_EQ(q.str(), kDocQuery);
  EXPECT_EQ(q.signed_query(kDocSecret),
            std::string(kDocQuery) + "&signature=" + std::string(kDocSignature));
}

TEST(BinanceSigning, shouldFormatDecimalsExactlyWithoutTrailingZeros) {
  EXPECT_EQ(format_venue_decimal(5161338000000, 8), "51613.38");
  EXPECT_EQ(format_venue_decimal(1, 8), "0.00000001");
  EXPECT_EQ(format_venue_decimal(0, 8), "0");
  EXPECT_EQ(format_venue_decimal(4200, 2), "42");
  EXPECT_EQ(format_venue_decimal(12, 5), "0.00012");
  EXPECT_EQ(format_venue_decimal(7, 0), "7");
  EXPECT_EQ(format_venue_decimal(-150, 2), "-1.5");
}

TEST(BinanceSigning, shouldSignAnEmptyQueryAsTheSignatureAlone) {
  const QueryBuilder q;
  EXPECT_EQ(q.signed_query("s"), "signature=" + hmac_sha256_hex("s", ""));
}

TEST(BinanceSigning, shouldCompareSignaturesCaseInsensitivelyAndRejectOthers) {
  EXPECT_TRUE(signature_equal(kDocSignature,
                              "C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71"));
  EXPECT_FALSE(signature_equal(kDocSignature,
                               "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b70"));
  EXPECT_FALSE(signature_equal(kDocSignature, "c8db"));
}

}  // namespace
}  // namespace be::binance
