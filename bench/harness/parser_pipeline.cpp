#include "bench/harness/parser_pipeline.hpp"

#include "core/clock.hpp"
#include "feed/binance.hpp"
#include "feed/symbol_table.hpp"

namespace be::bench {
namespace {

class ParserPipeline final : public FramePipeline {
 public:
  ParserPipeline(LatencyRecorder& recorder, const std::vector<std::string>& symbols,
                 Nanos (*now)() noexcept, std::size_t stage)
      : recorder_(recorder), now_(now), stage_(stage), parser_(VenueId{1}, symbols_) {
    for (const std::string& s : symbols)
      symbols_.add(s, feed::InstrumentScales{8, 8});
  }

  void offer(std::string_view frame, Nanos receive_time, Nanos intended) override {
    std::uint64_t events = 0;
    const feed::ParseResult r =
        parser_.parse(frame, receive_time, [&events](const Event&) { ++events; });
    if (!r.ok() || events == 0) ++rejected_;
    recorder_.on_stage(stage_, intended, now_());
  }
  std::uint64_t rejected() const noexcept override { return rejected_; }
  std::uint64_t orders() const noexcept override { return 0; }

 private:
  LatencyRecorder& recorder_;
  Nanos (*now_)() noexcept;
  std::size_t stage_;
  feed::SymbolTable symbols_;
  feed::BinanceParser parser_;
  std::uint64_t rejected_ = 0;
};

}  // namespace

std::unique_ptr<FramePipeline> make_parser_pipeline(LatencyRecorder& recorder,
                                                    const std::vector<std::string>& symbols,
                                                    Nanos (*now)() noexcept, std::size_t stage) {
  return std::make_unique<ParserPipeline>(recorder, symbols, now, stage);
}

}  // namespace be::bench
