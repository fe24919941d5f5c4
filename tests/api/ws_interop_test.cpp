// The stream's WebSocket handshake with a client that shares no code with the server: Node's
// built-in WebSocket (undici, `node --experimental-websocket`, offline, no npm package). It
// makes its own random Sec-WebSocket-Key and checks Sec-WebSocket-Accept, so this proves the
// strict RFC 6455 rules (net/server/http_rules.hpp) let a real client through. Skipped where
// there is no node on PATH; `timeout` bounds the child, the script bounds itself too.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/api/api_fixture.hpp"

namespace be::api::test {
namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char chunk[512];
  for (std::size_t n; (n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0;)
    out.append(chunk, n);
  const int status = ::pclose(pipe);
  out += "\nexit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  return out;
}

TEST_F(ApiServerTest, shouldUpgradeNodesOwnWebSocketClientAndSendItTheHello) {
  if (std::system(
          "node --experimental-websocket -e 'process.exit(typeof WebSocket ==\"function\"?0:1)'"
          " >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "no node with a built-in WebSocket on PATH";
  }
  start();
  const std::string url = "ws://127.0.0.1:" + std::to_string(port_) +
                          "/api/v1/stream?token=" + std::string(kAliceToken);
  const std::string script =
      "const ws = new WebSocket(process.argv[1]);"
      "const bound = setTimeout(() => { console.log('timeout'); process.exit(3); }, 10000);"
      "ws.onmessage = (m) => { console.log(m.data); clearTimeout(bound); ws.close(1000); };"
      "ws.onclose = (e) => { console.log('closed ' + e.code); process.exit(0); };"
      "ws.onerror = () => { console.log('error'); process.exit(2); };";
  const std::string out = run("timeout 20 node --experimental-websocket --no-warnings -e \"" +
                              script + "\" '" + url + "' 2>&1");
  EXPECT_NE(
      out.find(R"({"type":"hello","user":"alice","admin":false,"covers":"market_and_own_bots",)"),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("closed 1000"), std::string::npos) << out;
  EXPECT_NE(out.find("exit=0"), std::string::npos) << out;
  EXPECT_EQ(server_->stats().malformed.load(), 0u);
  EXPECT_EQ(server_->stats().ws_accepted.load(), 1u);
}

}  // namespace
}  // namespace be::api::test
