#include "tests/runner/doc_fixtures.hpp"

#include <cstring>
#include <stdexcept>

#include "core/event.hpp"
#include "feed/record/capture_writer.hpp"
#include "journal/writer.hpp"

namespace be::test {

namespace {

// sample-journal: a BTCUSDT definition, a connection, three trades and a quote, with fixed
// times (2021-02-19T00:00:00Z onwards) so the documented output is stable.
void write_sample_journal(const std::filesystem::path& dir) {
  journal::WriterOptions options;
  options.durability = journal::Durability::kSync;
  auto writer = journal::JournalWriter<>::open(dir.string(), options);
  if (!writer.has_value()) throw std::runtime_error(writer.error().message);
  constexpr Nanos t0 = 1'613'692'800'000'000'000;
  SequenceNumber seq = 1;
  auto append = [&](Event e) {
    e.header.sequence = seq++;
    if ((*writer)->try_append(e) != journal::AppendStatus::kOk) {
      throw std::runtime_error("sample journal: append failed");
    }
  };
  InstrumentDefined btc;
  btc.instrument = InstrumentId{0};
  btc.venue = VenueId{1};
  std::memcpy(btc.symbol.data(), "BTCUSDT", 7);
  btc.tick_size = 1'000'000;
  btc.step_size = 1'000;
  append(Event::make(btc, t0, t0));
  Connectivity up;
  up.venue = VenueId{1};
  up.state = ConnectivityState::kConnected;
  append(Event::make(up, t0, t0 + 1'000'000, 1));
  const std::int64_t prices[] = {5'161'338'000'000, 5'161'400'000'000, 5'161'250'000'000};
  for (int i = 0; i < 3; ++i) {
    Trade t;
    t.instrument = InstrumentId{0};
    t.aggressor = i == 1 ? Side::kSell : Side::kBuy;
    t.price = prices[i];
    t.quantity = 100'000 * (i + 1);
    t.trade_id = 1000 + static_cast<std::uint64_t>(i);
    append(Event::make(t, t0 + (i + 1) * 1'000'000'000LL, t0 + (i + 1) * 1'000'000'000LL + 250'000,
                       1));
  }
  Quote q;
  q.instrument = InstrumentId{0};
  q.bid_price = 5'161'200'000'000;
  q.bid_quantity = 50'000'000;
  q.ask_price = 5'161'300'000'000;
  q.ask_quantity = 20'000'000;
  q.update_id = 77;
  append(Event::make(q, t0 + 4'000'000'000LL, t0 + 4'000'300'000LL, 1));
  const auto closed = (*writer)->close();
  if (closed.code != journal::Errc::kOk) throw std::runtime_error(closed.message);
}

// sample.becap: what `botengine record` writes for a short Binance session: the connection,
// the subscription sent, two trades and a book ticker in combined-stream framing.
void write_sample_capture(const std::filesystem::path& file) {
  capture::CaptureWriterOptions options;
  options.venue = "binance";
  auto writer = capture::CaptureWriter::create(file.string(), options, 1'613'692'800'000'000'000);
  if (!writer.has_value()) throw std::runtime_error(writer.error());
  constexpr Nanos t0 = 1'613'692'800'000'000'000;
  capture::CaptureWriter& w = **writer;
  w.append(capture::FrameKind::kConnected, 0, t0, "ws://127.0.0.1:9443/stream");
  w.append(capture::FrameKind::kSent, 0, t0 + 1, "btcusdt@trade");
  w.append(capture::FrameKind::kReceived, 0, t0 + 2,
           R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1613692800100,"s":"BTCUSDT",)"
           R"("t":1,"p":"51613.38000000","q":"0.00100000","T":1613692800100,"m":false,"M":true}})");
  w.append(capture::FrameKind::kReceived, 0, t0 + 3,
           R"({"stream":"btcusdt@trade","data":{"e":"trade","E":1613692800200,"s":"BTCUSDT",)"
           R"("t":2,"p":"51614.00000000","q":"0.00200000","T":1613692800200,"m":true,"M":true}})");
  w.append(capture::FrameKind::kReceived, 0, t0 + 4,
           R"({"stream":"btcusdt@bookTicker","data":{"u":7,"s":"BTCUSDT","b":"51613.00000000",)"
           R"("B":"0.50000000","a":"51614.00000000","A":"0.20000000"}})");
  if (!w.close()) throw std::runtime_error(w.error());
}

}  // namespace

void write_doc_fixtures(const std::filesystem::path& dir) {
  write_sample_journal(dir / "sample-journal");
  write_sample_capture(dir / "sample.becap");
}

}  // namespace be::test
