// Internal to feed/: ParserHandle's member definitions. A venue's .cpp includes this after
// defining its Impl and instantiates `template class ParserHandle<detail::XImpl>;` once.
#pragma once

#include <memory>

#include "feed/parser_handle.hpp"

namespace be::feed {

template <class Impl>
ParserHandle<Impl>::ParserHandle(VenueId venue, SymbolTable& symbols, ParserLimits limits)
    : impl_(std::make_unique<Impl>(venue, symbols, limits)) {}
template <class Impl>
ParserHandle<Impl>::~ParserHandle() = default;
template <class Impl>
ParserHandle<Impl>::ParserHandle(ParserHandle&&) noexcept = default;
template <class Impl>
ParserHandle<Impl>& ParserHandle<Impl>::operator=(ParserHandle&&) noexcept = default;
template <class Impl>
const FeedStats& ParserHandle<Impl>::stats() const noexcept {
  return impl_->stats();
}
template <class Impl>
void ParserHandle<Impl>::reset_stats() noexcept {
  impl_->reset_stats();
}
template <class Impl>
ParseResult ParserHandle<Impl>::parse(std::string_view frame, Nanos receive_time,
                                      EventSink sink) noexcept {
  return impl_->parse(frame, receive_time, sink);
}

}  // namespace be::feed
