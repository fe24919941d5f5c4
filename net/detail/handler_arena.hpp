// Fixed memory for a connection's asynchronous operations (Asio/Beast allocate one block per
// pending operation): what keeps the WebSocket frame path free of heap allocation once warm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace be::net::detail {

// Memory for the connection's asynchronous operations (Asio/Beast allocate one block per
// pending operation: the socket read, the completion post, writes, pings). Sixteen 1 KiB
// blocks cover every operation a connection has in flight at once, so after the first
// frames no operation reaches operator new; a larger request or a seventeenth concurrent one
// falls back to the heap (correct, just not free), counted in `overflows`.
// Thread-safety: none; used on the I/O thread only (and by the io_context's destructor once
// that thread has exited). Lifetime: owned by WsClient::Impl and declared before its
// io_context, so it outlives every operation the context may still destroy.
class HandlerArena {
 public:
  static constexpr std::size_t kBlockSize = 1024;
  static constexpr unsigned kBlocks = 16;

  HandlerArena() = default;
  HandlerArena(const HandlerArena&) = delete;
  HandlerArena& operator=(const HandlerArena&) = delete;

  void* allocate(std::size_t bytes) {
    if (bytes <= kBlockSize && free_ != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(free_));
      free_ &= ~(1u << i);
      return blocks_[i].bytes;
    }
    ++overflows;
    return ::operator new(bytes);
  }
  void deallocate(void* p) noexcept {
    const auto* b = static_cast<const Block*>(p);
    if (b >= blocks_ && b < blocks_ + kBlocks) {
      free_ |= 1u << static_cast<unsigned>(b - blocks_);
      return;
    }
    ::operator delete(p);
  }

  std::uint64_t overflows = 0;

 private:
  struct alignas(std::max_align_t) Block {
    unsigned char bytes[kBlockSize];
  };
  Block blocks_[kBlocks];
  std::uint32_t free_ = (1u << kBlocks) - 1;
};

template <class T>
struct ArenaAllocator {
  using value_type = T;
  HandlerArena* arena;
  explicit ArenaAllocator(HandlerArena* a) noexcept : arena(a) {}
  template <class U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena(other.arena) {}  // NOLINT
  T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { arena->deallocate(p); }
  template <class U>
  bool operator==(const ArenaAllocator<U>& o) const noexcept {
    return arena == o.arena;
  }
};

// A completion handler whose operations Asio allocates from the arena (Asio asks a handler
// for its associated allocator through allocator_type/get_allocator; Beast's composed
// operations forward the question to the final handler).
template <class F>
struct ArenaHandler {
  using allocator_type = ArenaAllocator<void>;
  F f;
  HandlerArena* arena;
  allocator_type get_allocator() const noexcept { return allocator_type(arena); }
  template <class... Args>
  void operator()(Args&&... args) {
    f(std::forward<Args>(args)...);
  }
};

template <class F>
ArenaHandler<std::decay_t<F>> in_arena(HandlerArena& arena, F&& f) {
  return {std::forward<F>(f), &arena};
}

}  // namespace be::net::detail
