// Shared by the libFuzzer targets: a sink that checks what every parser promises about the
// events it emits, and aborts (a finding) when a promise is broken.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/event.hpp"
#include "feed/symbol_table.hpp"
#include "feed/types.hpp"

namespace be::fuzz {

struct CheckingSink {
  std::uint32_t events = 0;
  void operator()(const Event& e) {
    ++events;
    if (e.is<BookDelta>()) {
      const auto d = e.as<BookDelta>();
      // Levels carry a positive price and a non-negative quantity; only the empty-update
      // marker (side kNone) has price 0.
      if (d.side != Side::kNone && (d.price <= 0 || d.quantity < 0)) std::abort();
    } else if (e.is<Trade>()) {
      const auto t = e.as<Trade>();
      if (t.price <= 0 || t.quantity < 0) std::abort();
    } else if (e.is<Quote>()) {
      const auto q = e.as<Quote>();
      if (q.bid_price <= 0 || q.ask_price <= 0 || q.bid_quantity < 0 || q.ask_quantity < 0) {
        std::abort();
      }
    } else if (!e.is<Bar>()) {
      std::abort();  // parsers emit only market data
    }
  }
};

// A rejected frame emits nothing; an accepted one emits exactly what it reports.
inline void check_result(const feed::ParseResult& r, const CheckingSink& sink) {
  if (!r.ok() && sink.events != 0) std::abort();
  if (r.ok() && r.events != sink.events) std::abort();
}

// One WebSocket frame through a venue parser. The symbol table auto-interns so fuzzed
// symbols reach the code past symbol lookup; it is rebuilt (with the parser) when it grows
// large so that memory stays bounded over a long run.
template <class Parser>
int fuzz_frame(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<feed::SymbolTable> symbols;
  static std::unique_ptr<Parser> parser;
  if (!parser || symbols->size() > 4096) {
    parser.reset();
    symbols = std::make_unique<feed::SymbolTable>(feed::UnknownSymbolPolicy::kAutoIntern);
    parser = std::make_unique<Parser>(VenueId{1}, *symbols);
  }
  CheckingSink sink;
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  check_result(parser->parse(frame, 1, sink), sink);
  return 0;
}

}  // namespace be::fuzz
