// The notifier against a local HTTP receiver: formats on the wire, retries and back-off,
// give-up, permanent failures, routing, per-webhook order, the bounded queue and the
// durable cursor across restarts.
#include "runner/notify/notifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>

#include "tests/notify/receiver.hpp"
#include "tests/notify/support.hpp"

namespace be::notify {
namespace {

using namespace std::chrono_literals;
using test::hook;
using test::item_of_kind;
using test::Receiver;
using test::ScratchDir;
using test::TlsIdentity;
using test::trade_item;
using test::VirtualClock;
using Reply = Receiver::Reply;
Reply answer(int status, std::optional<int> retry_after = std::nullopt) {
  return Receiver::answer(status, retry_after);
}

constexpr auto kWait = 20s;  // bound for waits that normally finish in milliseconds

NotifierOptions options_for(const ScratchDir& dir, std::vector<Webhook> hooks,
                            std::shared_ptr<NotifyClock> clock = std::make_shared<VirtualClock>()) {
  NotifierOptions o;
  o.state_dir = dir.path() / "notify";
  o.instance = "eng1";
  o.config.webhooks = std::move(hooks);
  o.config.max_attempts = 5;
  o.config.initial_backoff_ms = 500;
  o.config.max_backoff_ms = 60'000;
  o.config.timeout_ms = 5'000;
  o.clock = std::move(clock);
  return o;
}

std::unique_ptr<Notifier> make(NotifierOptions o) {
  auto n = Notifier::create(std::move(o));
  EXPECT_TRUE(n) << n.error();
  return n ? std::move(*n) : nullptr;
}

// Offers trade items `seqs` in order, then waits until each was delivered or given up on.
::testing::AssertionResult offered_and_drained(Notifier& n,
                                               std::initializer_list<SequenceNumber> seqs) {
  for (const SequenceNumber seq : seqs) {
    if (!n.offer(trade_item(seq))) return ::testing::AssertionFailure() << "offer " << seq;
  }
  if (!n.drain(kWait)) return ::testing::AssertionFailure() << "drain did not finish";
  return ::testing::AssertionSuccess();
}

SequenceNumber seq_of(const Receiver::Request& r) {
  const auto dash = r.idempotency_key.rfind('-');
  return std::stoull(r.idempotency_key.substr(dash + 1));
}

std::vector<SequenceNumber> seqs(const Receiver& rx) {
  std::vector<SequenceNumber> out;
  for (const auto& r : rx.requests())
    out.push_back(seq_of(r));
  return out;
}

TEST(Notifier, shouldPostEachFormatWithExactBodyAndIdempotencyKey) {
  Receiver json_rx, tg_rx, slack_rx;
  ScratchDir dir("formats");
  auto n = make(options_for(dir, {hook("json", json_rx.url("/j")),
                                  hook("tg", tg_rx.url("/bot1:x/sendMessage"), Format::kTelegram),
                                  hook("slack", slack_rx.url("/services/T/B"), Format::kSlack)}));
  const NotifyItem item = trade_item(42);
  ASSERT_TRUE(n->offer(item));
  ASSERT_TRUE(n->drain(kWait));
  for (auto [rx, format, target] : {std::tuple{&json_rx, Format::kJson, "/j"},
                                    std::tuple{&tg_rx, Format::kTelegram, "/bot1:x/sendMessage"},
                                    std::tuple{&slack_rx, Format::kSlack, "/services/T/B"}}) {
    const auto got = rx->requests();
    ASSERT_EQ(got.size(), 1u) << to_string(format);
    EXPECT_EQ(got[0].target, target);
    EXPECT_EQ(got[0].idempotency_key, "eng1-42");
    EXPECT_EQ(got[0].content_type, "application/json");
    EXPECT_EQ(got[0].body, format_payload(item, format, "eng1-42", "-1001234"));
  }
  // One literal check on the wire, independent of format_payload.
  EXPECT_NE(json_rx.requests()[0].body.find(
                R"("kind":"trade","bot_id":1,"bot":"dca-1","symbol":"BTCUSDT","side":"buy",)"
                R"("price":"51613.38000000","quantity":"0.00100000")"),
            std::string::npos);
  EXPECT_EQ(tg_rx.requests()[0].body.rfind(R"({"chat_id":"-1001234","text":"<b>Trade</b>\n)", 0),
            0u);
  const NotifierStats st = n->stats();
  EXPECT_EQ(st.offered, 1u);
  EXPECT_EQ(st.delivered, 3u);
  EXPECT_EQ(st.cursor, 42u);
  EXPECT_EQ(n->delivered_through(), 42u);
}

TEST(Notifier, shouldRetryServerErrorsWithExponentialJitteredBackoffUntilDelivered) {
  Receiver rx;
  rx.script({answer(503), answer(500), answer(502)});
  ScratchDir dir("retry");
  auto clock = std::make_shared<VirtualClock>();
  auto o = options_for(dir, {hook("ops", rx.url())}, clock);
  o.config.max_attempts = 10;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 1, 1, 1}));
  const auto waits = clock->waits();
  ASSERT_EQ(waits.size(), 3u);
  for (std::size_t k = 0; k < waits.size(); ++k) {
    const double base = 500e6 * static_cast<double>(1u << k);  // 0.5 s, 1 s, 2 s
    EXPECT_GE(static_cast<double>(waits[k]), base * 0.9) << k;
    EXPECT_LE(static_cast<double>(waits[k]), base * 1.1) << k;
  }
  // Jitter is real: the seeded schedule does not land exactly on the powers of two.
  EXPECT_TRUE(waits[0] != 500'000'000 || waits[1] != 1'000'000'000);
  const NotifierStats st = n->stats();
  EXPECT_EQ(st.retried, 3u);
  EXPECT_EQ(st.delivered, 1u);
  EXPECT_EQ(st.failed, 0u);
}

TEST(Notifier, shouldGiveTheSameScheduleForTheSameSeed) {
  std::vector<Nanos> schedules[2];
  for (auto& schedule : schedules) {
    Receiver rx;
    rx.script({answer(500), answer(500), answer(500)});
    ScratchDir dir("seed");
    auto clock = std::make_shared<VirtualClock>();
    auto n = make(options_for(dir, {hook("ops", rx.url())}, clock));
    ASSERT_TRUE(offered_and_drained(*n, {1}));
    schedule = clock->waits();
  }
  EXPECT_EQ(schedules[0].size(), 3u);
  EXPECT_EQ(schedules[0], schedules[1]);
}

TEST(Notifier, shouldHonourRetryAfterOn429) {
  Receiver rx;
  rx.script({answer(429, 7)});
  ScratchDir dir("429");
  auto clock = std::make_shared<VirtualClock>();
  auto n = make(options_for(dir, {hook("ops", rx.url())}, clock));
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 1}));
  ASSERT_EQ(clock->waits().size(), 1u);
  EXPECT_EQ(clock->waits()[0], 7'000'000'000);  // 7 s beats the 0.5 s back-off
  EXPECT_EQ(n->stats().retried, 1u);
  EXPECT_EQ(n->stats().delivered, 1u);
}

TEST(Notifier, shouldRetryAfterTheReceiverHangsPastTheTimeout) {
  Receiver rx;
  Reply hang;
  hang.hang = true;
  rx.script({hang});
  ScratchDir dir("hang");
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.timeout_ms = 200;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  const auto got = rx.requests();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].status, 0);  // hung
  EXPECT_EQ(got[1].status, 200);
  EXPECT_EQ(n->stats().retried, 1u);
  EXPECT_EQ(n->stats().delivered, 1u);
}

TEST(Notifier, shouldGiveUpAfterMaxAttemptsCountItAndMoveOn) {
  Receiver rx;
  rx.script({answer(500), answer(500), answer(500)});
  ScratchDir dir("giveup");
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.max_attempts = 3;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1, 2}));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 1, 1, 2}));
  const NotifierStats st = n->stats();
  EXPECT_EQ(st.gave_up, 1u);
  EXPECT_EQ(st.failed, 1u);
  EXPECT_EQ(st.retried, 2u);
  EXPECT_EQ(st.delivered, 1u);
  EXPECT_EQ(st.cursor, 2u);  // a given-up item is finished: the cursor passes it
}

TEST(Notifier, shouldTreatClientErrorsOtherThan429AsPermanent) {
  Receiver rx;
  rx.script({answer(404), answer(400)});
  ScratchDir dir("permanent");
  auto clock = std::make_shared<VirtualClock>();
  auto n = make(options_for(dir, {hook("ops", rx.url())}, clock));
  ASSERT_TRUE(offered_and_drained(*n, {1, 2, 3}));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 2, 3}));
  EXPECT_TRUE(clock->waits().empty());
  const NotifierStats st = n->stats();
  EXPECT_EQ(st.failed_permanent, 2u);
  EXPECT_EQ(st.failed, 2u);
  EXPECT_EQ(st.retried, 0u);
  EXPECT_EQ(st.delivered, 1u);
  EXPECT_EQ(st.cursor, 3u);
}

TEST(Notifier, shouldRouteEachItemByBotAndKind) {
  Receiver trades_rx, ops_rx;
  ScratchDir dir("routing");
  auto n = make(options_for(
      dir,
      {hook("trades", trades_rx.url(), Format::kJson, {1, 3},
            kind_bit(NotificationKind::kTrade) | kind_bit(NotificationKind::kStopLoss)),
       hook("ops", ops_rx.url(), Format::kJson, {},
            kind_bit(NotificationKind::kKillSwitch) | kind_bit(NotificationKind::kBotStatus))}));
  ASSERT_TRUE(n->offer(item_of_kind(1, NotificationKind::kTrade, 1)));
  ASSERT_TRUE(n->offer(item_of_kind(2, NotificationKind::kTrade, 2)));  // nobody
  ASSERT_TRUE(n->offer(item_of_kind(3, NotificationKind::kStopLoss, 3)));
  ASSERT_TRUE(n->offer(item_of_kind(4, NotificationKind::kKillSwitch, 2, 1)));
  ASSERT_TRUE(n->offer(item_of_kind(5, NotificationKind::kBotStatus, 1, 2)));
  ASSERT_TRUE(n->offer(item_of_kind(6, NotificationKind::kRiskReject, 1, 4)));  // nobody
  ASSERT_TRUE(n->drain(kWait));
  EXPECT_EQ(seqs(trades_rx), (std::vector<SequenceNumber>{1, 3}));
  EXPECT_EQ(seqs(ops_rx), (std::vector<SequenceNumber>{4, 5}));
  EXPECT_EQ(n->delivered_through(), 6u);  // unrouted items are finished too
}

TEST(Notifier, shouldKeepEachWebhooksOrderWhileAnotherRetries) {
  Receiver slow_rx, fast_rx;
  slow_rx.script({answer(503), answer(503)});
  ScratchDir dir("order");
  auto n = make(options_for(dir, {hook("slow", slow_rx.url()), hook("fast", fast_rx.url())}));
  for (SequenceNumber s = 1; s <= 20; ++s)
    ASSERT_TRUE(n->offer(trade_item(s)));
  ASSERT_TRUE(n->drain(kWait));
  std::vector<SequenceNumber> expected_slow{1, 1};
  std::vector<SequenceNumber> expected_fast;
  for (SequenceNumber s = 1; s <= 20; ++s) {
    expected_slow.push_back(s);
    expected_fast.push_back(s);
  }
  EXPECT_EQ(seqs(slow_rx), expected_slow);
  EXPECT_EQ(seqs(fast_rx), expected_fast);
  EXPECT_EQ(n->delivered_through(), 20u);
}

// Kill-and-restart: the first notifier is destroyed with items unfinished (the receiver
// keeps failing item 4 with a long back-off); a second one over the same state dir reports
// the cursor, the "engine" re-offers everything after it, and every item arrives at least
// once, and the ones at or below the cursor exactly once.
TEST(Notifier, shouldRedeliverEverythingAfterTheCursorAfterRestartAndLoseNothing) {
  Receiver rx;
  rx.script({answer(200), answer(200), answer(200)});
  rx.set_default(answer(503));
  ScratchDir dir("restart");
  std::vector<NotifyItem> journal;
  for (SequenceNumber s = 1; s <= 10; ++s)
    journal.push_back(trade_item(s * 3));  // sequences need not be contiguous
  {
    // The real clock: a 60 s back-off parks item 4 until the destructor interrupts it.
    auto o = options_for(dir, {hook("ops", rx.url())}, nullptr);
    o.config.initial_backoff_ms = 60'000;
    o.config.max_attempts = 1000;
    auto n = make(o);
    for (const auto& item : journal)
      ASSERT_TRUE(n->offer(item));
    ASSERT_TRUE(rx.wait_for_requests(4, kWait));
    EXPECT_FALSE(n->drain(0ms));
    EXPECT_EQ(n->delivered_through(), 9u);  // items 3, 6, 9 were answered 200
  }                                         // destroyed without flushing
  rx.set_default(answer(200));
  auto o = options_for(dir, {hook("ops", rx.url())});
  auto n = make(o);
  const SequenceNumber cursor = n->delivered_through();
  EXPECT_EQ(cursor, 9u);
  for (const auto& item : journal) {
    if (item.seq > cursor) {
      ASSERT_TRUE(n->offer(item));
    }
  }
  EXPECT_FALSE(n->offer(trade_item(6)));  // at or below the cursor: refused, counted
  EXPECT_EQ(n->stats().rejected, 1u);
  ASSERT_TRUE(n->drain(kWait));
  EXPECT_EQ(n->delivered_through(), 30u);

  std::map<SequenceNumber, int> delivered;  // 2xx answers per sequence
  for (const auto& r : rx.requests()) {
    if (r.status == 200) ++delivered[seq_of(r)];
  }
  for (const auto& item : journal) {
    EXPECT_GE(delivered[item.seq], 1) << "lost " << item.seq;
    if (item.seq <= cursor) {
      EXPECT_EQ(delivered[item.seq], 1) << item.seq;
    }
  }
  n.reset();
  auto again = make(options_for(dir, {hook("ops", rx.url())}));
  EXPECT_EQ(again->delivered_through(), 30u);  // the cursor file survived the restart
}

// A replica divergence is raised by the live process, not journaled: delivered like any item
// (its own key, routed by kind), but the cursor, which counts journaled items, does not move
// for it, and journaled offers keep their order around it.
TEST(Notifier, shouldDeliverAnAlertOutsideTheCursor) {
  Receiver rx, trades_rx;
  ScratchDir dir("alert");
  auto n = make(options_for(
      dir,
      {hook("ops", rx.url(), Format::kJson, {}, kind_bit(NotificationKind::kReplicaDivergence)),
       hook("trades", trades_rx.url(), Format::kJson, {}, kind_bit(NotificationKind::kTrade))}));
  ASSERT_TRUE(n->offer(trade_item(5)));
  NotifyItem alert = item_of_kind(1234, NotificationKind::kReplicaDivergence, 0);
  alert.n.bot = kNoBot;
  alert.n.cause = 1234;
  alert.n.value1 = 1;
  ASSERT_TRUE(n->alert(alert));
  ASSERT_TRUE(n->offer(trade_item(7)));  // after the alert: still in order, still accepted
  ASSERT_TRUE(n->drain(kWait));
  const auto got = rx.requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].idempotency_key, "eng1-replica_divergence-1234");
  EXPECT_NE(got[0].body.find(R"("kind":"replica_divergence")"), std::string::npos) << got[0].body;
  EXPECT_NE(got[0].body.find("replica divergence at journal record 1234"), std::string::npos)
      << got[0].body;
  EXPECT_EQ(seqs(trades_rx), (std::vector<SequenceNumber>{5, 7}));
  EXPECT_EQ(n->delivered_through(), 7u) << "the journaled items, not the alert's 1234";
}

TEST(Notifier, shouldDropWhenFullAndKeepTheCursorBelowTheDroppedItem) {
  Receiver rx;
  Reply hold;
  hold.hold = true;
  rx.script({hold});
  ScratchDir dir("full");
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.queue_capacity = 2;
  auto n = make(o);
  ASSERT_TRUE(n->offer(trade_item(1)));
  ASSERT_TRUE(n->offer(trade_item(2)));
  ASSERT_TRUE(rx.wait_for_held(1, kWait));
  EXPECT_FALSE(n->offer(trade_item(3)));
  EXPECT_FALSE(n->offer(trade_item(4)));
  EXPECT_EQ(n->stats().dropped_full, 2u);
  rx.release();
  ASSERT_TRUE(n->drain(kWait));
  ASSERT_TRUE(n->offer(trade_item(5)));  // room again
  ASSERT_TRUE(n->drain(kWait));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 2, 5}));
  EXPECT_EQ(n->delivered_through(), 2u);  // pinned below 3: the next start re-offers 3..5
  n.reset();

  auto restarted = make(options_for(dir, {hook("ops", rx.url())}));
  ASSERT_EQ(restarted->delivered_through(), 2u);
  for (SequenceNumber s = 3; s <= 5; ++s)
    ASSERT_TRUE(restarted->offer(trade_item(s)));
  ASSERT_TRUE(restarted->drain(kWait));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1, 2, 5, 3, 4, 5}));
  EXPECT_EQ(restarted->delivered_through(), 5u);
}

TEST(Notifier, shouldCountFailuresWhenNothingListens) {
  // A port with no listener: bind a receiver, note its port, destroy it.
  std::string dead_url;
  {
    Receiver rx;
    dead_url = rx.url();
  }
  ScratchDir dir("dead");
  auto o = options_for(dir, {hook("ops", dead_url)});
  o.config.max_attempts = 3;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  const NotifierStats st = n->stats();
  EXPECT_EQ(st.gave_up, 1u);
  EXPECT_EQ(st.retried, 2u);
  EXPECT_EQ(st.cursor, 1u);
}

TEST(Notifier, shouldExposeStatsAsPrometheusText) {
  Receiver rx;
  rx.script({answer(500), answer(404)});
  ScratchDir dir("metrics");
  auto n = make(options_for(dir, {hook("ops", rx.url())}));
  ASSERT_TRUE(offered_and_drained(*n, {11, 12}));
  const std::string text = n->stats_text();
  for (const char* line :
       {"botengine_notify_offered_total 2\n", "botengine_notify_delivered_total 1\n",
        "botengine_notify_retried_total 1\n",
        "botengine_notify_failed_total{reason=\"permanent\"} 1\n",
        "botengine_notify_failed_total{reason=\"gave_up\"} 0\n",
        "botengine_notify_dropped_full_total 0\n", "botengine_notify_cursor 12\n",
        "# TYPE botengine_notify_cursor gauge\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\n" << text;
  }
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A self-signed certificate for `san` (e.g. "IP:127.0.0.1"), made by the openssl tool; empty
// when the tool is missing (the https tests then skip).
TlsIdentity identity_for(const ScratchDir& dir, const std::string& san) {
  const auto key = dir.path() / "key.pem";
  const auto cert = dir.path() / "cert.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
      "-subj /CN=notify-test -addext subjectAltName=" +
      san + " -keyout " + key.string() + " -out " + cert.string() + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) return {};
  return TlsIdentity{slurp(cert), slurp(key)};
}

#define BE_IDENTITY_OR_SKIP(id)                                                \
  if ((id).certificate_pem.empty()) {                                          \
    GTEST_SKIP() << "the openssl tool is not available to make a certificate"; \
  }

std::string write_ca(const ScratchDir& dir, const TlsIdentity& id) {
  const auto path = dir.path() / "ca.pem";
  std::ofstream(path) << id.certificate_pem;
  return path.string();
}

TEST(Notifier, shouldDeliverOverHttpsWhenTheCertificateIsTrusted) {
  ScratchDir dir("https_ok");
  const auto id = identity_for(dir, "IP:127.0.0.1");
  BE_IDENTITY_OR_SKIP(id);
  Receiver rx(&id);
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.ca_file = write_ca(dir, id);
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  ASSERT_EQ(seqs(rx), (std::vector<SequenceNumber>{1}));
  EXPECT_EQ(rx.requests()[0].body, format_payload(trade_item(1), Format::kJson, "eng1-1", ""));
  EXPECT_EQ(n->stats().delivered, 1u);
  EXPECT_EQ(rx.tls_failures(), 0u);
}

TEST(Notifier, shouldRefuseAnUntrustedCertificate) {
  ScratchDir dir("https_untrusted");
  const auto id = identity_for(dir, "IP:127.0.0.1");
  BE_IDENTITY_OR_SKIP(id);
  Receiver rx(&id);
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.max_attempts = 2;  // no ca_file: the self-signed certificate is not trusted
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  EXPECT_TRUE(rx.requests().empty());  // nothing was sent in clear or to an unverified peer
  EXPECT_TRUE(rx.wait_for_tls_failures(2, kWait));
  EXPECT_EQ(n->stats().gave_up, 1u);
  EXPECT_EQ(n->stats().delivered, 0u);
}

TEST(Notifier, shouldRefuseACertificateForAnotherHost) {
  ScratchDir dir("https_name");
  const auto id = identity_for(dir, "DNS:other.example");
  BE_IDENTITY_OR_SKIP(id);
  Receiver rx(&id);
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.ca_file = write_ca(dir, id);  // trusted chain, wrong name: still refused
  o.config.max_attempts = 1;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  EXPECT_TRUE(rx.requests().empty());
  EXPECT_EQ(n->stats().gave_up, 1u);
}

TEST(Notifier, shouldSkipVerificationOnlyWhenConfiguredTo) {
  ScratchDir dir("https_noverify");
  const auto id = identity_for(dir, "DNS:other.example");
  BE_IDENTITY_OR_SKIP(id);
  Receiver rx(&id);
  auto o = options_for(dir, {hook("ops", rx.url())});
  o.config.verify_peer = false;
  auto n = make(o);
  ASSERT_TRUE(offered_and_drained(*n, {1}));
  EXPECT_EQ(seqs(rx), (std::vector<SequenceNumber>{1}));
}

TEST(Notifier, shouldRefuseSequenceZeroAndOutOfOrderOffers) {
  ScratchDir dir("order_offers");
  auto n = make(options_for(dir, {}));
  EXPECT_FALSE(n->offer(trade_item(0)));
  EXPECT_TRUE(n->offer(trade_item(5)));
  EXPECT_FALSE(n->offer(trade_item(5)));
  EXPECT_FALSE(n->offer(trade_item(4)));
  EXPECT_EQ(n->stats().rejected, 3u);
  ASSERT_TRUE(n->drain(kWait));
  EXPECT_EQ(n->delivered_through(), 5u);
}

}  // namespace
}  // namespace be::notify
