// Outbox: where a stage puts the records it derives from one input, in order. Fixed capacity
// chosen at construction, so emitting never allocates; a record that does not fit is counted
// in overflow() and dropped (the stage's capacity is sized so that this is a configuration
// error, reported by the engine's health, not a normal path).
//
// Thread-safety: none; one stage thread fills it, the same thread drains it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/event.hpp"

namespace be {

class Outbox {
 public:
  explicit Outbox(std::size_t capacity) : records_(capacity) {}

  template <EventPayload P>
  void emit(const P& body, Nanos event_time, Nanos receive_time = 0,
            std::uint16_t flags = kFlagDerived) noexcept {
    Event e = Event::make(body, event_time, receive_time);
    e.header.flags = flags;
    push(e);
  }
  void push(const Event& e) noexcept {
    if (size_ == records_.size()) {
      ++overflow_;
      return;
    }
    records_[size_++] = e;
  }

  std::span<const Event> records() const noexcept { return {records_.data(), size_}; }
  std::span<Event> records() noexcept { return {records_.data(), size_}; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  void clear() noexcept { size_ = 0; }
  std::uint64_t overflow() const noexcept { return overflow_; }

 private:
  std::vector<Event> records_;
  std::size_t size_ = 0;
  std::uint64_t overflow_ = 0;
};

}  // namespace be
