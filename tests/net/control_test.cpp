#include "sim/control.hpp"

#include <gtest/gtest.h>

namespace be::sim {
namespace {

TEST(ControlRequest, shouldParseSubscribeUnsubscribeAndList) {
  auto s = parse_control_request(
      R"({"method":"SUBSCRIBE","params":["btcusdt@trade","btcusdt@depth@100ms"],"id":7})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->method, ControlRequest::Method::kSubscribe);
  EXPECT_EQ(s->params, (std::vector<std::string>{"btcusdt@trade", "btcusdt@depth@100ms"}));
  EXPECT_EQ(s->id, 7u);
  auto u = parse_control_request(R"({"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":8})");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->method, ControlRequest::Method::kUnsubscribe);
  auto l = parse_control_request(R"({"method":"LIST_SUBSCRIPTIONS","id":9})");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->method, ControlRequest::Method::kList);
}

TEST(ControlRequest, shouldAnswerEachKindOfBadRequestWithBinancesErrorCode) {
  struct Case {
    const char* text;
    int code;
    bool has_id;
  };
  const Case cases[] = {
      {R"({"method":"SUBSCRIBE","params":["x"],"id":1)", 3, false},  // invalid JSON
      {"[1,2]", 2, false},                                           // not an object
      {R"({"method":"SUBSCRIBE","params":["x"]})", 2, false},        // no id
      {R"({"method":"SUBSCRIBE","params":["x"],"id":-1})", 2, false},
      {R"({"method":"SUBSCRIBE","params":["x"],"id":"a"})", 2, false},
      {R"({"method":"FROB","params":["x"],"id":1})", 2, true},
      {R"({"method":"SUBSCRIBE","params":"x","id":1})", 1, true},
      {R"({"method":"SUBSCRIBE","params":[1],"id":1})", 1, true},
      {R"({"method":"SUBSCRIBE","params":[],"id":1})", 2, true},
      {R"({"params":["x"],"id":1})", 2, true},
      {R"({"method":"SUBSCRIBE","params":["x"],"id":1,"extra":true})", 0, true},
  };
  for (const Case& c : cases) {
    auto r = parse_control_request(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_EQ(r.error().code, c.code) << c.text << " -> " << r.error().msg;
    EXPECT_EQ(r.error().id.has_value(), c.has_id) << c.text;
  }
  EXPECT_FALSE(parse_control_request(std::string(kMaxControlBytes + 1, ' ')));
}

TEST(ControlRequest, shouldFormatRepliesAsBinanceDoes) {
  EXPECT_EQ(reply_ok(5), R"({"result":null,"id":5})");
  EXPECT_EQ(reply_list({"a@trade", "b@trade"}, 6), R"({"result":["a@trade","b@trade"],"id":6})");
  EXPECT_EQ(reply_error(ControlError{3, "Invalid JSON: \"x\"", std::nullopt}),
            R"({"error":{"code":3,"msg":"Invalid JSON: \"x\""}})");
  EXPECT_EQ(reply_error(ControlError{2, "bad\x01\xff", 4}),
            R"({"error":{"code":2,"msg":"bad\u0001\u00ff"},"id":4})");
}

TEST(Fault, shouldParseEveryKind) {
  auto d = parse_fault(R"({"kind":"drop"})");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Fault::Kind::kDrop);
  auto s = parse_fault(R"({"kind":"stall","ms":250})");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->duration, 250'000'000);
  auto m = parse_fault(R"({"kind":"malformed","count":3})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->count, 3u);
  auto k = parse_fault(R"({"kind":"skip_sequence","count":2,"symbol":"BTCUSDT"})");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->kind, Fault::Kind::kSkipSequence);
  EXPECT_EQ(k->symbol, "btcusdt");
}

TEST(Fault, shouldNameEveryBadField) {
  auto r = parse_fault(R"({"kind":"stall","ms":0,"count":"x","colour":1})");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("'ms'"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("'count'"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("'colour'"), std::string::npos) << r.error();
  EXPECT_EQ(parse_fault(R"({"ms":5})").error(), "field 'kind' is required");
  EXPECT_EQ(parse_fault(R"({"kind":"stall"})").error(), "field 'ms' is required for stall");
  EXPECT_NE(parse_fault("{").error().find("invalid JSON"), std::string::npos);
  EXPECT_NE(parse_fault(R"({"kind":"explode"})").error().find("one of"), std::string::npos);
}

}  // namespace
}  // namespace be::sim
