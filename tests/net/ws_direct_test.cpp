// net::DirectWsSession (net/ws_direct.hpp) against the simulator over TLS with a certificate
// made in memory: a writer thread hammers text frames through the try-lock while the I/O
// thread reads the answers and answers the server's pings (every millisecond), which is what
// the TSan stage (prefix net) is for; every frame written is answered exactly once; a frame
// committed on a forced would-block is finished by the I/O thread; a refused certificate and
// a closed server say what failed.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "net/io_threads.hpp"
#include "net/ws_direct.hpp"
#include "sim/control.hpp"
#include "sim/market.hpp"
#include "sim/sim_server.hpp"
#include "sim/tls_identity.hpp"

namespace be {
namespace {

using net::DirectWsSession;

// The sim answers LIST_SUBSCRIPTIONS with {"result":[],"id":N}: the ids seen, under a lock.
struct Answers {
  std::mutex mutex;
  std::multiset<std::uint64_t> ids;
  std::atomic<int> closed{0};
  void on_text(std::string_view text) {
    const auto at = text.find("\"id\":");
    if (at == std::string_view::npos) return;
    std::uint64_t id = 0;
    for (std::size_t i = at + 5; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
      id = id * 10 + static_cast<std::uint64_t>(text[i] - '0');
    std::lock_guard lock(mutex);
    ids.insert(id);
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return ids.size();
  }
};

class DirectWs : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = sim::make_self_signed_identity();
    ASSERT_TRUE(made) << made.error();
    identity_ = *made;
    sim::SimConfig config;
    config.port = 0;
    config.tls = identity_;
    config.ping_interval = 1'000'000;  // 1 ms: pings interleave with every write
    sim::SyntheticConfig market;
    market.symbols = {"btcusdt"};
    server_ = std::make_unique<sim::SimServer>(config, sim::make_synthetic_source(market));
    auto port = server_->start();
    ASSERT_TRUE(port) << port.error();
    url_ = "wss://127.0.0.1:" + std::to_string(*port) + "/ws";
  }
  void TearDown() override {
    session_.close();
    if (server_) server_->stop();
  }
  net::DirectWsConfig config() const {
    net::DirectWsConfig c;
    c.url = url_;
    c.tls.ca_pem = identity_.certificate_pem;
    c.timeout = 2'000'000'000;
    return c;
  }
  void open() {
    std::string error;
    ASSERT_TRUE(session_.connect(config(), &error)) << error;
    net::DirectWsHandlers handlers;
    handlers.on_text = [this](std::string_view t) { answers_.on_text(t); };
    handlers.on_closed = [this](std::string_view) { answers_.closed.fetch_add(1); };
    session_.start(io_, std::move(handlers));
    const Nanos deadline = monotonic_now() + 10'000'000'000;
    while (!session_.open() && monotonic_now() < deadline)
      std::this_thread::yield();  // open once the I/O thread has taken it over
    ASSERT_TRUE(session_.open());
  }
  // Writes request `id` if the try-lock is taken; what the write said, or nullopt when busy.
  std::optional<DirectWsSession::Write> try_write(std::uint64_t id) {
    if (!session_.try_acquire()) return std::nullopt;
    const std::string frame = R"({"method":"LIST_SUBSCRIPTIONS","id":)" + std::to_string(id) + "}";
    const auto written = session_.write_text_locked(frame);
    session_.release();
    return written;
  }
  // try_write until the lock is free (the I/O thread answers a ping every millisecond).
  std::optional<DirectWsSession::Write> write_when_free(std::uint64_t id) {
    const Nanos deadline = monotonic_now() + 10'000'000'000;
    std::optional<DirectWsSession::Write> w;
    while (!(w = try_write(id)) && monotonic_now() < deadline)
      std::this_thread::yield();
    return w;
  }
  bool wait_answers(std::size_t n) {
    const Nanos deadline = monotonic_now() + 10'000'000'000;
    while (answers_.count() < n && monotonic_now() < deadline)
      std::this_thread::yield();  // a bounded spin on a condition
    return answers_.count() >= n;
  }

  sim::TlsIdentity identity_;
  std::unique_ptr<sim::SimServer> server_;
  std::string url_;
  net::IoThreads io_{1};
  Answers answers_;
  DirectWsSession session_;
};

TEST_F(DirectWs, shouldAnswerEveryFrameWrittenWhileTheIoThreadReadsAndPongs) {
  ASSERT_NO_FATAL_FAILURE(open());
  constexpr std::uint64_t kFrames = 2000;
  std::uint64_t written = 0, busy = 0;
  std::thread writer([&] {
    for (std::uint64_t id = 1; written < kFrames; ++id) {
      const auto w = try_write(id);
      if (!w) {
        ++busy;  // the I/O thread holds the lock, or a committed frame is being finished
        continue;
      }
      ASSERT_NE(*w, DirectWsSession::Write::kFailed);
      ++written;
    }
  });
  writer.join();
  ASSERT_TRUE(wait_answers(kFrames)) << answers_.count() << " of " << kFrames;
  {
    std::lock_guard lock(answers_.mutex);
    for (std::uint64_t id : answers_.ids)
      EXPECT_EQ(answers_.ids.count(id), 1u) << id;
  }
  EXPECT_EQ(answers_.closed.load(), 0);
  EXPECT_TRUE(
      server_->wait_for([](const sim::SimStats& s) { return s.pongs_received > 0; }, 5'000'000'000))
      << "the I/O thread answers the server's pings";
  std::printf("%llu written, %llu busy try-locks\n", static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(busy));
}

TEST_F(DirectWs, shouldFinishACommittedFrameOnTheIoThread) {
  ASSERT_NO_FATAL_FAILURE(open());
  session_.inject(DirectWsSession::Fault::kWouldBlock, 1);
  const auto first = write_when_free(7);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, DirectWsSession::Write::kCommitted);
  ASSERT_TRUE(wait_answers(1));
  EXPECT_EQ(session_.committed_writes(), 1u);
  session_.inject(DirectWsSession::Fault::kBusy, 1);
  EXPECT_FALSE(try_write(8).has_value()) << "a forced busy try-lock writes nothing";
  const auto third = write_when_free(9);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(*third, DirectWsSession::Write::kWritten);
  ASSERT_TRUE(wait_answers(2));
  std::lock_guard lock(answers_.mutex);
  EXPECT_EQ(answers_.ids, (std::multiset<std::uint64_t>{7, 9}));
}

TEST_F(DirectWs, shouldRefuseAnUntrustedCertificateAndSaySo) {
  net::DirectWsConfig c = config();
  c.tls.ca_pem.clear();
  std::string error;
  EXPECT_FALSE(session_.connect(c, &error));
  EXPECT_NE(error.find("certificate verify failed"), std::string::npos) << error;
  EXPECT_FALSE(session_.open());
}

TEST_F(DirectWs, shouldReportTheServerDroppingTheConnection) {
  ASSERT_NO_FATAL_FAILURE(open());
  ASSERT_TRUE(server_->wait_for([](const sim::SimStats& s) { return s.open_sessions == 1; },
                                5'000'000'000));
  sim::Fault drop;
  drop.kind = sim::Fault::Kind::kDrop;
  server_->inject(drop);
  const Nanos deadline = monotonic_now() + 10'000'000'000;
  while (answers_.closed.load() == 0 && monotonic_now() < deadline)
    std::this_thread::yield();
  EXPECT_EQ(answers_.closed.load(), 1);
  EXPECT_FALSE(session_.open());
  EXPECT_FALSE(try_write(1).has_value());
}

}  // namespace
}  // namespace be
