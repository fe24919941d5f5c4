// The connectivity client against the exchange simulator over 127.0.0.1 (ephemeral ports).
// Every wait is a condition with a generous deadline; nothing sleeps to synchronise. Backoff,
// stale and ping intervals are configured small so each test finishes well under 10 s.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <simdjson.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/io_threads.hpp"
#include "net/ws_client.hpp"
#include "sim/sim_server.hpp"
#include "tests/net/loopback_listener.hpp"
#include "tests/net/recorder.hpp"

namespace be {
namespace {

using net::Frame;
using net::FrameKind;
using net::RequestResult;
using net::WsClient;
using net::WsClientConfig;
using sim::Fault;
using sim::SimConfig;
using sim::SimServer;

constexpr Nanos kMs = 1'000'000;
using test::Recorder;

constexpr std::string_view kTrade = R"({"stream":"btcusdt@trade","data":)";
constexpr std::string_view kBook = R"({"stream":"btcusdt@bookTicker","data":)";
constexpr std::string_view kDepth = R"({"stream":"btcusdt@depth@100ms","data":)";

std::unique_ptr<SimServer> start_sim(SimConfig config = {}, std::uint64_t seed = 1) {
  config.port = 0;
  sim::SyntheticConfig market;
  market.symbols = {"btcusdt", "ethusdt"};
  market.seed = seed;
  auto server = std::make_unique<SimServer>(config, sim::make_synthetic_source(market));
  auto port = server->start();
  EXPECT_TRUE(port) << port.error();
  EXPECT_NE(*port, 0);
  return server;
}

WsClientConfig client_config(const SimServer& server, std::string_view target = "/stream") {
  WsClientConfig c;
  c.url = "ws://127.0.0.1:" + std::to_string(server.port()) + std::string(target);
  c.venue = VenueId{3};
  c.backoff.initial = 20 * kMs;
  c.backoff.cap = 200 * kMs;
  c.backoff.seed = 11;
  c.stale_after = 5'000 * kMs;
  c.connect_timeout = 2'000 * kMs;
  return c;
}

Fault fault(Fault::Kind kind, Nanos duration = 0, std::uint32_t count = 1) {
  Fault f;
  f.kind = kind;
  f.duration = duration;
  f.count = count;
  return f;
}

SimConfig fast(double speed = 10.0) {
  SimConfig c;
  c.speed = speed;
  return c;
}

TEST(ClientSim, shouldReceiveBinanceTradesAfterSubscribing) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(rec.wait(
      [](const Recorder& r) { return r.count_state(ConnectivityState::kConnected) == 1; }));
  const std::uint64_t id = client.subscribe("BTCUSDT", "trade");
  ASSERT_NE(id, 0u);
  EXPECT_EQ(client.subscribe("btcusdt", "trade"), 0u) << "a second subscriber only counts";
  ASSERT_TRUE(rec.wait(
      [&](const Recorder& r) { return r.result(id).has_value() && r.count_prefix(kTrade) >= 10; }));
  client.stop();

  EXPECT_EQ(rec.result(id)->status, RequestResult::Status::kOk);
  EXPECT_EQ(rec.statuses().front().state, ConnectivityState::kConnected);
  EXPECT_EQ(rec.statuses().back().state, ConnectivityState::kDisconnected) << "stop() reports";
  simdjson::dom::parser parser;
  std::uint64_t last_id = 0;
  for (std::size_t i = 0; i < rec.frames().size(); ++i) {
    const std::string& f = rec.frames()[i];
    if (!f.starts_with(kTrade)) continue;
    EXPECT_EQ(rec.kinds()[i], FrameKind::kData);
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(f).get(doc), simdjson::SUCCESS) << f;
    const auto d = doc["data"];
    EXPECT_EQ(std::string_view(d["e"]), "trade");
    EXPECT_EQ(std::string_view(d["s"]), "BTCUSDT");
    const std::uint64_t t = d["t"];
    if (last_id) {
      EXPECT_EQ(t, last_id + 1) << "trade ids are consecutive";
    }
    last_id = t;
    const std::string_view p = d["p"], q = d["q"];
    EXPECT_EQ(p.size() - p.find('.'), 9u) << p;
    EXPECT_EQ(q.size() - q.find('.'), 9u) << q;
    EXPECT_GT(std::int64_t(d["E"]), 1'600'000'000'000);
    EXPECT_EQ(std::int64_t(d["T"]), std::int64_t(d["E"]));
    (void)bool(d["m"]);
    (void)bool(d["M"]);
  }
  EXPECT_GT(last_id, 0u);
}

// Clients on shared IoThreads (as a venue hub runs its sessions): each still gets its own
// frames and status; one stops (waiting until nothing of it is left in the shared context)
// while the other keeps receiving; the shared threads outlive both.
TEST(ClientSim, shouldShareIoThreadsAndStopOneClientWhileTheOtherRuns) {
  auto server = start_sim(fast());
  net::IoThreads io(1);
  Recorder first_rec, second_rec;
  auto first =
      std::make_unique<WsClient>(client_config(*server), first_rec.handlers(), nullptr, &io);
  WsClient second(client_config(*server), second_rec.handlers(), nullptr, &io);
  ASSERT_TRUE(first->start());
  ASSERT_TRUE(second.start());
  first->subscribe("btcusdt", "trade");
  second.subscribe("btcusdt", "trade");
  ASSERT_TRUE(first_rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 3; }));
  ASSERT_TRUE(second_rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 3; }));
  first->stop();
  EXPECT_EQ(first_rec.statuses().back().state, ConnectivityState::kDisconnected);
  first.reset();  // destroyed while the shared context keeps running
  const std::size_t seen = second_rec.count_prefix(kTrade);
  ASSERT_TRUE(
      second_rec.wait([&](const Recorder& r) { return r.count_prefix(kTrade) >= seen + 3; }));
  second.stop();
  EXPECT_EQ(second_rec.statuses().back().state, ConnectivityState::kDisconnected);
  EXPECT_EQ(io.size(), 1u);
}

TEST(ClientSim, shouldStopDeliveringAStreamOnceUnsubscribedWhileRunning) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  client.subscribe("btcusdt", "bookTicker");
  ASSERT_TRUE(rec.wait(
      [](const Recorder& r) { return r.count_prefix(kTrade) >= 3 && r.count_prefix(kBook) >= 3; }));
  const std::uint64_t id = client.unsubscribe("btcusdt", "trade");
  ASSERT_NE(id, 0u);
  EXPECT_EQ(client.subscriptions(), std::vector<std::string>{"btcusdt@bookTicker"});
  std::size_t reply_at = 0;
  ASSERT_TRUE(rec.wait([&](const Recorder& r) {
    if (!r.result(id)) return false;
    for (std::size_t i = 0; i < r.frames().size(); ++i) {
      if (r.frames()[i] == R"({"result":null,"id":)" + std::to_string(id) + "}") reply_at = i;
    }
    return reply_at > 0 && r.count_prefix(kBook, reply_at) >= 20;
  }));
  client.stop();
  EXPECT_EQ(rec.result(id)->status, RequestResult::Status::kOk);
  EXPECT_EQ(rec.count_prefix(kTrade, reply_at), 0u) << "trades after the UNSUBSCRIBE reply";
}

// Subscribed in the URL, with the market clock held until then and no pacing: the frames a
// client sees are a pure function of the seed.
std::vector<std::string> first_frames(std::uint64_t seed, std::size_t n) {
  SimConfig c = fast(0);
  c.hold_until_subscribed = true;
  auto server = start_sim(c, seed);
  Recorder rec;
  WsClient client(
      client_config(*server,
                    "/stream?streams=btcusdt@trade/btcusdt@depth@100ms/ethusdt@bookTicker"),
      rec.handlers());
  EXPECT_TRUE(client.start());
  EXPECT_TRUE(rec.wait([&](const Recorder& r) { return r.frames().size() >= n; }));
  client.stop();
  std::vector<std::string> out = rec.frames();
  out.resize(std::min(n, out.size()));
  return out;
}

TEST(ClientSim, shouldServeTheSameFramesForTheSameSeed) {
  const auto a = first_frames(21, 300);
  const auto b = first_frames(21, 300);
  const auto c = first_frames(22, 300);
  ASSERT_EQ(a.size(), 300u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_TRUE(a.front().starts_with(R"({"stream":")")) << a.front();
}

TEST(ClientSim, shouldReconnectWithBackoffAndResubscribeAfterADrop) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 3; }));
  server->inject(fault(Fault::Kind::kDrop));
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.resumed_after_drop(kTrade, 3); }));
  client.stop();
  const auto& st = rec.statuses();
  ASSERT_GE(st.size(), 3u);
  EXPECT_EQ(st[0].state, ConnectivityState::kConnected);
  EXPECT_EQ(st[1].state, ConnectivityState::kDisconnected);
  EXPECT_EQ(st[2].state, ConnectivityState::kConnected);
  // The first retry waits initial +-10 % (20 ms), and on loopback connects at once.
  const Nanos outage = st[2].time - st[1].time;
  EXPECT_GE(outage, 18 * kMs);
  EXPECT_LT(outage, 3'000 * kMs);
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_EQ(client.subscriptions(), std::vector<std::string>{"btcusdt@trade"});
}

// The engine's Feeds view shows when a venue's latest message came (issue 15: it said "never"
// while counting messages); the client keeps that receive time beside its frame count.
TEST(ClientSim, shouldKeepTheReceiveTimeOfTheLatestFrame) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  EXPECT_EQ(client.stats().last_frame_time, 0) << "no frame yet";
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 3; }));
  client.stop();
  const auto stats = client.stats();
  EXPECT_GE(stats.frames, 3u);
  EXPECT_GT(stats.last_frame_time, 0);
  EXPECT_EQ(stats.last_frame_time, rec.last_receive_time());
}

TEST(ClientSim, shouldReportStaleThenRecoveredWhenTheServerStalls) {
  auto server = start_sim(fast(10));
  Recorder rec;
  WsClientConfig c = client_config(*server);
  c.stale_after = 300 * kMs;
  WsClient client(c, rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "bookTicker");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kBook) >= 5; }));
  const std::size_t before = rec.snapshot_frames();
  server->inject(fault(Fault::Kind::kStall, 1'500 * kMs));
  ASSERT_TRUE(rec.wait([&](const Recorder& r) {
    bool stale = false;
    for (const auto& s : r.statuses()) {
      if (s.frames_before < before) continue;
      if (s.state == ConnectivityState::kStale) stale = true;
      if (stale && s.state == ConnectivityState::kRecovered) return true;
    }
    return false;
  }));
  client.stop();
  for (const auto& s : rec.statuses()) {
    if (&s == &rec.statuses().back()) break;  // the disconnect stop() reports
    EXPECT_NE(s.state, ConnectivityState::kDisconnected) << "a stall is not an outage";
  }
  EXPECT_GE(client.stats().stale_events, 1u);
}

TEST(ClientSim, shouldDeliverMalformedFramesToTheHandlerFlagged) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "trade");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kTrade) >= 1; }));
  server->inject(fault(Fault::Kind::kMalformed, 0, 3));
  std::vector<std::pair<std::string, FrameKind>> bad;
  ASSERT_TRUE(rec.wait([&](const Recorder& r) {
    bad.clear();
    for (std::size_t i = 0; i < r.frames().size(); ++i) {
      const auto& f = r.frames()[i];
      if (f == "this is not json" || f.find(R"("p":})") != std::string::npos || !f.ends_with('}')) {
        bad.emplace_back(f, r.kinds()[i]);
      }
    }
    return bad.size() >= 3;
  }));
  const auto stats = client.stats();
  client.stop();
  std::size_t unrecognised = 0;
  for (const auto& [text, kind] : bad)
    unrecognised += kind == FrameKind::kUnrecognised;
  EXPECT_EQ(unrecognised, 2u) << "truncated and garbage frames are flagged";
  EXPECT_EQ(stats.unrecognised_frames, 2u);
  EXPECT_EQ(stats.disconnects, 0u) << "malformed data is the parser's business";
}

TEST(ClientSim, shouldGetBinanceErrorRepliesForBadRequestsAndStayConnected) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return !r.statuses().empty(); }));
  ASSERT_TRUE(client.send_raw(R"({"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":)"));
  ASSERT_TRUE(client.send_raw(R"({"method":"FROB","params":["btcusdt@trade"],"id":77})"));
  const std::uint64_t unknown = client.subscribe("btcusdt", "nosuchstream");
  const std::uint64_t list = [&] {
    // After the bad requests, so its reply also proves the session survived them.
    return client.list_subscriptions();
  }();
  ASSERT_NE(list, 0u);
  ASSERT_TRUE(rec.wait([&](const Recorder& r) { return r.result(list) && r.result(unknown); }));
  client.stop();
  const auto& f = rec.frames();
  EXPECT_NE(std::find_if(f.begin(), f.end(),
                         [](const std::string& s) {
                           return s.starts_with(R"({"error":{"code":3,"msg":"Invalid JSON)");
                         }),
            f.end());
  EXPECT_NE(
      std::find_if(f.begin(), f.end(),
                   [](const std::string& s) {
                     return s.starts_with(
                                R"({"error":{"code":2,"msg":"Invalid request: unknown variant)") &&
                            s.ends_with(R"(,"id":77})");
                   }),
      f.end());
  EXPECT_EQ(rec.result(unknown)->status, RequestResult::Status::kError);
  EXPECT_NE(rec.result(unknown)->message.find("unknown stream"), std::string::npos);
  EXPECT_EQ(rec.result(list)->status, RequestResult::Status::kOk);
  EXPECT_GE(server->stats().rejected_requests, 3u);
}

// Minimal blocking HTTP over a POSIX socket, with a receive timeout so it cannot hang.
std::string http_exchange(std::uint16_t port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

std::string post(std::uint16_t port, std::string_view path, std::string_view body) {
  return http_exchange(
      port, "POST " + std::string(path) +
                " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + std::string(body));
}

TEST(ClientSim, shouldAnswerHostileHttpWithErrorsAndKeepServing) {
  auto server = start_sim(fast());
  const std::uint16_t port = server->port();
  EXPECT_TRUE(
      http_exchange(port, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(http_exchange(port,
                            "GET /ws/btcusdt@nothing HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n")
                  .starts_with("HTTP/1.1 400"));
  const std::string bad_fault = post(port, "/sim/fault", R"({"kind":"explode","ms":-1})");
  EXPECT_TRUE(bad_fault.starts_with("HTTP/1.1 400")) << bad_fault;
  EXPECT_NE(bad_fault.find("'kind'"), std::string::npos) << bad_fault;
  EXPECT_NE(bad_fault.find("'ms'"), std::string::npos) << bad_fault;
  EXPECT_TRUE(http_exchange(port, "GET /sim/fault HTTP/1.1\r\nHost: x\r\n\r\n")
                  .starts_with("HTTP/1.1 405"));
  static constexpr char kTlsHello[] = "\x16\x03\x01\x02\x00garbage\r\n\r\n";  // not HTTP
  (void)http_exchange(port, std::string(kTlsHello, sizeof kTlsHello - 1));
  const std::string ok = post(port, "/sim/fault", R"({"kind":"skip_sequence","count":1})");
  EXPECT_TRUE(ok.starts_with("HTTP/1.1 200")) << ok;
  EXPECT_NE(ok.find(R"({"ok":true,"fault":"skip_sequence"})"), std::string::npos) << ok;
  const std::string depth =
      http_exchange(port, "GET /api/v3/depth?symbol=BTCUSDT&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(depth.starts_with("HTTP/1.1 200")) << depth;
  EXPECT_NE(depth.find(R"({"lastUpdateId":)"), std::string::npos) << depth;
  EXPECT_TRUE(http_exchange(port, "GET /api/v3/depth?symbol=NOPE HTTP/1.1\r\nHost: x\r\n\r\n")
                  .starts_with("HTTP/1.1 404"));
  EXPECT_TRUE(
      http_exchange(port, "GET /api/v3/depth?symbol=BTCUSDT&limit=0 HTTP/1.1\r\nHost: x\r\n\r\n")
          .starts_with("HTTP/1.1 400"));
  const std::string stats = http_exchange(port, "GET /sim/stats HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(stats.starts_with("HTTP/1.1 200")) << stats;
  EXPECT_NE(stats.find(R"("faults":1)"), std::string::npos) << stats;
  EXPECT_GE(server->stats().rejected_requests, 6u);
}

TEST(ClientSim, shouldOpenAGapInDepthSequenceOnCommand) {
  auto server = start_sim(fast());
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  client.subscribe("btcusdt", "depth@100ms");
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.count_prefix(kDepth) >= 3; }));
  const std::string ok = post(server->port(), "/sim/fault",
                              R"({"kind":"skip_sequence","count":2,"symbol":"btcusdt"})");
  ASSERT_TRUE(ok.starts_with("HTTP/1.1 200")) << ok;
  ASSERT_TRUE(server->wait_for([](const sim::SimStats& s) { return s.depth_updates_withheld >= 2; },
                               8'000 * kMs));
  const std::size_t after = rec.snapshot_frames();
  ASSERT_TRUE(rec.wait([&](const Recorder& r) { return r.count_prefix(kDepth, after) >= 2; }));
  client.stop();
  simdjson::dom::parser parser;
  std::uint64_t prev_u = 0;
  int gaps = 0;
  for (const auto& f : rec.frames()) {
    if (!f.starts_with(kDepth)) continue;
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(f).get(doc), simdjson::SUCCESS);
    const std::uint64_t first = doc["data"]["U"], last = doc["data"]["u"];
    if (prev_u != 0 && first != prev_u + 1) ++gaps;
    prev_u = last;
  }
  EXPECT_EQ(gaps, 1) << "two withheld updates in a row make one gap";
}

TEST(ClientSim, shouldAnswerServerPingsAndCountThem) {
  SimConfig c = fast();
  c.ping_interval = 30 * kMs;
  auto server = start_sim(c);
  Recorder rec;
  WsClient client(client_config(*server), rec.handlers());
  ASSERT_TRUE(client.start());
  EXPECT_TRUE(
      server->wait_for([](const sim::SimStats& s) { return s.pongs_received >= 3; }, 8'000 * kMs));
  client.stop();
  EXPECT_GE(client.stats().pings_received, 3u);
}

TEST(ClientSim, shouldBackOffWhileTheServerIsDownAndConnectWhenItComesBack) {
  std::uint16_t port = 0;
  {
    auto probe = start_sim(fast());
    port = probe->port();
  }  // stopped: nothing listens on `port` now
  Recorder rec;
  WsClientConfig c;
  c.url = "ws://127.0.0.1:" + std::to_string(port) + "/stream";
  c.backoff.initial = 10 * kMs;
  c.backoff.cap = 40 * kMs;
  WsClient client(c, rec.handlers());
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return r.retries().size() >= 3; }));
  {
    const bool on_schedule = rec.wait([](const Recorder& r) {
      // The delays follow the schedule: 10, 20, 40 (capped) ms, each +-10 %.
      const Nanos base[] = {10 * kMs, 20 * kMs, 40 * kMs};
      for (int i = 0; i < 3; ++i) {
        const Nanos d = r.retries()[i].second;
        if (d < base[i] * 9 / 10 || d > base[i] * 11 / 10) return false;
      }
      return r.retries()[0].first.starts_with("connect: ");
    });
    EXPECT_TRUE(on_schedule) << "retry delays or reasons off schedule";
  }
  EXPECT_GE(client.stats().connect_failures, 3u);
  SimConfig sc = fast();
  sc.port = port;
  sim::SyntheticConfig market;
  SimServer server(sc, sim::make_synthetic_source(market));
  auto bound = server.start();
  if (!bound) GTEST_SKIP() << "port " << port << " was taken meanwhile: " << bound.error();
  ASSERT_TRUE(rec.wait(
      [](const Recorder& r) { return r.count_state(ConnectivityState::kConnected) == 1; }));
  client.stop();
  EXPECT_EQ(rec.statuses().front().state, ConnectivityState::kConnected)
      << "failed attempts are counted, not reported as transitions";
}

// The client keeps a quiet line alive itself: with nothing subscribed and the server's own
// pings far apart, it pings after idle_timeout/2 of silence and the pongs keep it connected.
TEST(ClientSim, shouldPingAQuietServerAndStayConnected) {
  SimConfig c = fast();
  c.ping_interval = 60'000 * kMs;
  auto server = start_sim(c);
  Recorder rec;
  WsClientConfig cc = client_config(*server);
  cc.idle_timeout = 400 * kMs;
  WsClient client(cc, rec.handlers());
  ASSERT_TRUE(client.start());
  EXPECT_TRUE(
      server->wait_for([](const sim::SimStats& s) { return s.pings_received >= 3; }, 8'000 * kMs));
  client.stop();
  EXPECT_GE(client.stats().pongs_received, 2u);
  EXPECT_EQ(client.stats().disconnects, 1u) << "only stop() closed it";
  EXPECT_EQ(rec.count_state(ConnectivityState::kConnected), 1u);
}

// A WebSocket peer that completes the handshake and then never answers anything: a dead
// line that TCP alone would not notice.
class SilentWsServer {
 public:
  SilentWsServer() {
    listen_ = test::listen_on_loopback(&port_);
    EXPECT_GE(listen_, 0);
    thread_ = std::thread([this] { serve_once(); });
  }
  ~SilentWsServer() {
    ::shutdown(listen_, SHUT_RDWR);
    thread_.join();
    ::close(listen_);
  }
  std::uint16_t port() const { return port_; }
  // Bytes the client sent after the handshake (its frames, masked).
  std::string after_handshake() {
    std::lock_guard lock(mu_);
    return received_;
  }

 private:
  void serve_once() {
    const int fd = ::accept(listen_, nullptr, nullptr);
    if (fd < 0) return;
    timeval tv{10, 0};  // bounded even if the client never closes
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string in;
    char buf[2048];
    ssize_t n = 0;
    while (in.find("\r\n\r\n") == std::string::npos && (n = ::recv(fd, buf, sizeof buf, 0)) > 0)
      in.append(buf, static_cast<std::size_t>(n));
    const auto at = in.find("Sec-WebSocket-Key: ");
    if (at != std::string::npos) {
      const std::string key = in.substr(at + 19, in.find("\r\n", at) - at - 19) +
                              "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
      unsigned char digest[SHA_DIGEST_LENGTH];
      SHA1(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
      unsigned char accept[64] = {};
      EVP_EncodeBlock(accept, digest, SHA_DIGEST_LENGTH);
      const std::string reply =
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: " +
          std::string(reinterpret_cast<char*>(accept)) + "\r\n\r\n";
      (void)::send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
      // Read (so the client's pings arrive) but never answer; returns when it hangs up.
      while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) {
        std::lock_guard lock(mu_);
        received_.append(buf, static_cast<std::size_t>(n));
      }
    }
    ::close(fd);
  }

  int listen_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string received_;
};

TEST(ClientSim, shouldDropALineThatStaysSilentPastTheIdleTimeout) {
  SilentWsServer silent;
  Recorder rec;
  WsClientConfig c;
  c.url = "ws://127.0.0.1:" + std::to_string(silent.port()) + "/stream";
  c.idle_timeout = 300 * kMs;
  c.backoff.initial = 5'000 * kMs;  // one connection is enough for this test
  WsClient client(c, rec.handlers());
  ASSERT_TRUE(client.start());
  ASSERT_TRUE(rec.wait([](const Recorder& r) { return !r.retries().empty(); }));
  client.stop();
  const std::string& reason = rec.retries().front().first;
  EXPECT_TRUE(reason.starts_with("idle: no frame, ping or pong for ")) << reason;
  ASSERT_GE(rec.statuses().size(), 2u);
  EXPECT_EQ(rec.statuses()[0].state, ConnectivityState::kConnected);
  EXPECT_EQ(rec.statuses()[1].state, ConnectivityState::kDisconnected);
  const Nanos silent_for = rec.statuses()[1].time - rec.statuses()[0].time;
  EXPECT_GE(silent_for, 300 * kMs) << "not before idle_timeout";
  EXPECT_LT(silent_for, 3'000 * kMs);
  const std::string sent = silent.after_handshake();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(static_cast<unsigned char>(sent[0]), 0x89u) << "a ping (FIN + opcode 9) first";
}

}  // namespace
}  // namespace be
