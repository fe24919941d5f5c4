// The order session (net::DirectWsSession) reads server frames through net's one validating
// header reader (net/detail/ws_frame.hpp), in its I/O thread's reads and in exchange() (the
// logon): against a raw server, a masked server frame and a frame over max_message_bytes
// close the session with the rule they broke, and a valid frame before them is still
// delivered. Every wait is bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.hpp"
#include "net/io_threads.hpp"
#include "net/ws_direct.hpp"
#include "tests/net/raw_ws_server.hpp"

namespace be {
namespace {

using test::frame;
using test::RawWsServer;

constexpr Nanos kDeadline = 10'000'000'000;

struct Seen {
  std::mutex mutex;
  std::vector<std::string> texts;
  std::string closed_why;
  std::atomic<bool> closed{false};
};

net::DirectWsConfig config_for(const RawWsServer& server) {
  net::DirectWsConfig c;
  c.url = server.url();
  c.timeout = 2'000'000'000;
  c.max_message_bytes = 1024;
  return c;
}

// Connects to `server`, starts reading, waits for the session to close; what it saw.
void run_until_closed(RawWsServer& server, Seen& seen) {
  net::IoThreads io(1);
  net::DirectWsSession session;
  std::string error;
  ASSERT_TRUE(session.connect(config_for(server), &error)) << error;
  net::DirectWsHandlers handlers;
  handlers.on_text = [&](std::string_view t) {
    std::lock_guard lock(seen.mutex);
    seen.texts.emplace_back(t);
  };
  handlers.on_closed = [&](std::string_view why) {
    {
      std::lock_guard lock(seen.mutex);
      seen.closed_why = why;
    }
    seen.closed.store(true);
  };
  session.start(io, std::move(handlers));
  const Nanos deadline = monotonic_now() + kDeadline;
  while (!seen.closed.load() && monotonic_now() < deadline)
    std::this_thread::yield();  // a bounded spin on a condition
  session.close();
  ASSERT_TRUE(seen.closed.load()) << "the session never closed";
}

TEST(DirectWsFrames, shouldCloseOnAMaskedServerFrameAfterDeliveringTheValidOne) {
  RawWsServer server(frame(0x81, R"({"id":1})") + frame(0x81, R"({"id":2})", true));
  Seen seen;
  ASSERT_NO_FATAL_FAILURE(run_until_closed(server, seen));
  EXPECT_EQ(seen.texts, std::vector<std::string>{R"({"id":1})"});
  EXPECT_EQ(seen.closed_why, "protocol error: The WebSocket frame was masked");
}

TEST(DirectWsFrames, shouldCloseOnAFrameOverTheMessageLimitBeforeItsPayloadArrives) {
  // The header announces 4096 bytes against a limit of 1024; none of the payload follows.
  std::string header = frame(0x81, std::string(4096, 'x')).substr(0, 4);
  RawWsServer server(header);
  Seen seen;
  ASSERT_NO_FATAL_FAILURE(run_until_closed(server, seen));
  EXPECT_TRUE(seen.texts.empty());
  EXPECT_EQ(seen.closed_why,
            "protocol error: The WebSocket message exceeded the locally configured limit");
}

TEST(DirectWsFrames, shouldRefuseAMaskedAnswerToTheLogonExchange) {
  RawWsServer server(frame(0x81, R"({"id":7,"status":200})", true));
  net::DirectWsSession session;
  std::string error;
  ASSERT_TRUE(session.connect(config_for(server), &error)) << error;
  std::string answer;
  EXPECT_FALSE(session.exchange(R"({"id":7,"method":"session.logon"})", answer, &error));
  EXPECT_EQ(error, "exchange: protocol error: The WebSocket frame was masked");
  EXPECT_TRUE(answer.empty());
  session.close();
}

}  // namespace
}  // namespace be
