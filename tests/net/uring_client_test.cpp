// The io_uring WebSocket client (net/uring/ws_client.hpp) on loopback: against the simulator's
// WebSocket server (Beast's server side) for the handshake, data, pings and the close; against
// a raw server written here for the frames no sane server sends (fragments around a ping,
// masked frames, reserved bits and opcodes, non-canonical lengths, bad close codes). Every
// wait is bounded.
#include "net/uring/ws_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "net/detail/ws_frame.hpp"
#include "net/ws_client.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"
#include "tests/net/raw_ws_server.hpp"

namespace be::net::uring {
namespace {

constexpr Nanos kMs = 1'000'000;
constexpr Nanos kDeadline = 10'000 * kMs;
constexpr const char* kStreams = "/stream?streams=btcusdt@trade/btcusdt@bookTicker";

// A deterministic market as fast as the client reads: two servers with this config send the
// same frames in the same order.
std::unique_ptr<sim::SimServer> start_sim(Nanos ping_interval = 3'600'000 * kMs) {
  sim::SimConfig c;
  c.port = 0;
  c.speed = 0;
  c.hold_until_subscribed = true;
  c.ping_interval = ping_interval;
  auto server = std::make_unique<sim::SimServer>(c, sim::make_synthetic_source({}));
  EXPECT_TRUE(server->start());
  return server;
}

std::string url_of(const sim::SimServer& s, std::string_view target = kStreams) {
  return "ws://127.0.0.1:" + std::to_string(s.port()) + std::string(target);
}

WsClientConfig config_for(std::string url, unsigned buffer_bytes = 16384) {
  WsClientConfig c;
  c.url = std::move(url);
  c.buffer_bytes = buffer_bytes;
  return c;
}

// Polls until `n` frames arrived, the connection ended, or the deadline.
std::vector<std::string> receive(WsClient& client, std::size_t n) {
  std::vector<std::string> got;
  auto keep = [&](const Frame& f) {
    EXPECT_EQ(f.kind, FrameKind::kData);
    EXPECT_GE(f.readable, f.payload.size());
    EXPECT_GT(f.receive_time, 0);
    if (got.size() < n) got.emplace_back(f.payload);
  };
  const Nanos deadline = monotonic_now() + kDeadline;
  while (got.size() < n && monotonic_now() < deadline) {
    if (client.wait(100 * kMs, keep) < 0) break;
  }
  return got;
}

// The same frames through today's client, for comparison.
std::vector<std::string> receive_with_beast(const std::string& url, std::size_t n) {
  std::mutex mu;
  std::vector<std::string> got;
  net::WsClientHandlers h;
  h.on_frame = [&](const Frame& f) {
    std::lock_guard lock(mu);
    if (got.size() < n) got.emplace_back(f.payload);
  };
  net::WsClientConfig c;
  c.url = url;
  net::WsClient beast(c, h);
  EXPECT_TRUE(beast.start());
  const Nanos deadline = monotonic_now() + kDeadline;
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (got.size() >= n || monotonic_now() > deadline) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling a condition, bounded
  }
  beast.stop();
  return got;
}

struct ReceiveCase {
  const char* name;
  unsigned buffers;
  unsigned buffer_bytes;
  bool multishot;
};

// Test names, not the parameter's bytes, in gtest's and ctest's output.
void PrintTo(const ReceiveCase& c, std::ostream* os) {
  *os << c.name;
}

class UringAgainstSim : public ::testing::TestWithParam<ReceiveCase> {};

// The parser must see what the Beast client sees: the same frames, byte for byte, in order,
// with big buffers (frames in place), tiny ones (most frames cut by chunk boundaries and
// reassembled, buffers running out and the receive re-armed) and one receive at a time.
TEST_P(UringAgainstSim, shouldReceiveTheSameFramesAsTheBeastClient) {
  const ReceiveCase& rc = GetParam();
  constexpr std::size_t kFrames = 400;
  auto reference_sim = start_sim();
  const std::vector<std::string> expected = receive_with_beast(url_of(*reference_sim), kFrames);
  ASSERT_EQ(expected.size(), kFrames);

  auto sim = start_sim();
  WsClientConfig c;
  c.url = url_of(*sim);
  c.buffers = rc.buffers;
  c.buffer_bytes = rc.buffer_bytes;
  c.multishot = rc.multishot;
  auto client = WsClient::connect(c);
  ASSERT_TRUE(client) << client.error();
  const std::vector<std::string> got = receive(**client, kFrames);
  ASSERT_EQ(got.size(), kFrames) << (*client)->error();
  for (std::size_t i = 0; i < kFrames; ++i)
    ASSERT_EQ(got[i], expected[i]) << "frame " << i;
  const Features& f = (*client)->features();
  const WsStats& s = (*client)->stats();
  EXPECT_TRUE(f.provided_buffers) << f.fallback_reason;
  EXPECT_EQ(f.multishot, rc.multishot) << f.fallback_reason;
  if (!rc.multishot) {
    EXPECT_FALSE(f.fallback_reason.empty());
    EXPECT_GE(s.rearms, s.chunks - 1) << "one receive per chunk";
  }
  EXPECT_GE(s.frames, kFrames);
  if (rc.buffer_bytes < 128) {
    EXPECT_GT(s.assembled, 0u) << "frames longer than a buffer";
  }
}

INSTANTIATE_TEST_SUITE_P(Buffers, UringAgainstSim,
                         ::testing::Values(ReceiveCase{"multishot", 64, 16384, true},
                                           ReceiveCase{"tiny_buffers", 4, 48, true},
                                           ReceiveCase{"single_shot", 8, 4096, false}),
                         [](const auto& p) { return std::string(p.param.name); });

TEST(UringClient, shouldAnswerTheServersPingsWithPongs) {
  auto sim = start_sim(30 * kMs);
  auto client = WsClient::connect(config_for(url_of(*sim)));
  ASSERT_TRUE(client) << client.error();
  auto ignore = [](const Frame&) {};
  const Nanos deadline = monotonic_now() + kDeadline;
  while (monotonic_now() < deadline && sim->stats().pongs_received < 2) {
    ASSERT_GE((*client)->wait(10 * kMs, ignore), 0) << (*client)->error();
  }
  EXPECT_GE(sim->stats().pongs_received, 2u) << "the server saw our pongs";
  EXPECT_GE((*client)->stats().pings, 2u);
}

TEST(UringClient, shouldCloseCleanly) {
  auto sim = start_sim();
  auto client = WsClient::connect(config_for(url_of(*sim)));
  ASSERT_TRUE(client) << client.error();
  ASSERT_TRUE(
      sim->wait_for([](const sim::SimStats& s) { return s.open_sessions == 1; }, kDeadline));
  (*client)->close(1000);
  auto ignore = [](const Frame&) {};
  const Nanos deadline = monotonic_now() + kDeadline;
  while (monotonic_now() < deadline && (*client)->wait(10 * kMs, ignore) >= 0) {
  }
  EXPECT_EQ((*client)->state(), WsState::kClosed) << (*client)->error();
  EXPECT_EQ((*client)->error(), "closed");
  EXPECT_TRUE(
      sim->wait_for([](const sim::SimStats& s) { return s.open_sessions == 0; }, kDeadline));
  EXPECT_FALSE((*client)->send_text("{}")) << "nothing is sent after the close";
}

TEST(UringClient, shouldRefuseWhatItCannotConnectTo) {
  auto refused = WsClient::connect(config_for("ws://127.0.0.1:1/stream"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "connect: Connection refused");
  auto tls = WsClient::connect(config_for("wss://127.0.0.1:1/stream"));
  ASSERT_FALSE(tls);
  EXPECT_EQ(tls.error(), "url: wss:// is not supported on this path yet");
  auto sim = start_sim();
  auto unknown = WsClient::connect(config_for(url_of(*sim, "/nowhere")));
  ASSERT_FALSE(unknown);
  EXPECT_TRUE(unknown.error().starts_with("websocket handshake: HTTP/1.1 4")) << unknown.error();
}

// ---- a raw server for the frames the simulator never sends ---------------------------------

using test::frame;
using test::RawWsServer;

struct RawCase {
  const char* name;
  std::string script;
  std::vector<std::string> frames;  // delivered, in order
  std::string error;                // error() at the end
  bool pong = false;                // the script pings: a pong must come back
};

void PrintTo(const RawCase& c, std::ostream* os) {
  *os << c.name;
}

class UringAgainstRawServer : public ::testing::TestWithParam<RawCase> {};

// Each script is read through 16-byte buffers too, so every frame is cut somewhere.
TEST_P(UringAgainstRawServer, shouldDeliverWhatIsValidAndNameWhatIsNot) {
  const RawCase& rc = GetParam();
  for (const unsigned buffer_bytes : {16384u, 16u}) {
    RawWsServer server(rc.script);
    auto client = WsClient::connect(config_for(server.url(), buffer_bytes));
    ASSERT_TRUE(client) << client.error();
    std::vector<std::string> got;
    auto keep = [&](const Frame& f) { got.emplace_back(f.payload); };
    const Nanos deadline = monotonic_now() + kDeadline;
    while (monotonic_now() < deadline && (*client)->wait(10 * kMs, keep) >= 0) {
    }
    EXPECT_EQ(got, rc.frames) << "buffers of " << buffer_bytes;
    EXPECT_EQ((*client)->error(), rc.error) << "buffers of " << buffer_bytes;
    client->reset();  // the server's read ends
    const std::string sent = server.received();
    if (rc.pong) {
      // A pong answers the ping with its payload, masked as a client must: 0x8A, mask bit, "hb".
      ASSERT_GE(sent.size(), 8u);
      EXPECT_EQ(static_cast<unsigned char>(sent[0]), 0x8Au);
      EXPECT_EQ(static_cast<unsigned char>(sent[1]), 0x80u | 2u);
    }
  }
}

const std::string kText = frame(0x81, R"({"e":"trade"})");
const std::string kByeClose = frame(0x88, std::string("\x03\xe9", 2) + "bye");  // 1001 "bye"

INSTANTIATE_TEST_SUITE_P(
    Frames, UringAgainstRawServer,
    ::testing::Values(RawCase{"text_then_close",
                              kText + kByeClose,
                              {R"({"e":"trade"})"},
                              "closed by the server: 1001 bye"},
                      RawCase{"fragments_around_a_ping",
                              frame(0x01, R"({"e":)") + frame(0x89, "hb") + frame(0x00, R"("tra)") +
                                  frame(0x80, R"(de"})") + kText + kByeClose,
                              {R"({"e":"trade"})", R"({"e":"trade"})"},
                              "closed by the server: 1001 bye",
                              true},
                      RawCase{"long_frame_with_a_16_bit_length",
                              frame(0x81, std::string(300, 'x')) + kByeClose,
                              {std::string(300, 'x')},
                              "closed by the server: 1001 bye"},
                      RawCase{"masked_frame_from_the_server",
                              kText + frame(0x81, "{}", true),
                              {R"({"e":"trade"})"},
                              "read: The WebSocket frame was masked"},
                      RawCase{"reserved_bits",
                              frame(0xC1, "{}"),
                              {},
                              "read: The WebSocket frame contained illegal reserved bits"},
                      RawCase{"reserved_opcode",
                              frame(0x83, "{}"),
                              {},
                              "read: The WebSocket frame contained an illegal opcode"},
                      RawCase{"continuation_without_a_message",
                              frame(0x80, "{}"),
                              {},
                              "read: The WebSocket continuation frame was unexpected"},
                      RawCase{"data_frame_inside_a_fragmented_message",
                              frame(0x01, "{") + frame(0x81, "{}"),
                              {},
                              "read: The WebSocket data frame was unexpected"},
                      RawCase{"fragmented_ping",
                              frame(0x09, "hb"),
                              {},
                              "read: The WebSocket control frame was fragmented"},
                      RawCase{"non_canonical_length",
                              frame(0x81, "{}", false, 2),
                              {},
                              "read: The WebSocket frame size was not canonical"},
                      RawCase{"bad_close_code",
                              frame(0x88, std::string("\x03\xed", 2)),
                              {},
                              "read: The WebSocket close frame reason code was invalid"},
                      RawCase{"text_that_is_not_utf8",
                              frame(0x81, "\xff\xfe"),
                              {},
                              "read: The WebSocket frame payload was not valid utf8"},
                      RawCase{"end_of_stream_without_a_close",
                              kText,
                              {R"({"e":"trade"})"},
                              "read: end of stream"}),
    [](const auto& p) { return std::string(p.param.name); });

TEST(UringClient, shouldRefuseAWrongHandshakeAnswer) {
  RawWsServer server("", /*bad_accept=*/true);
  auto client = WsClient::connect(config_for(server.url()));
  ASSERT_FALSE(client);
  EXPECT_EQ(client.error(), "websocket handshake: wrong Sec-WebSocket-Accept");
}

}  // namespace
}  // namespace be::net::uring
