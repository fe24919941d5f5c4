#include "net/io_threads.hpp"

#include <algorithm>

#include "net/detail/io_threads.hpp"

namespace be::net {

IoThreads::IoThreads(std::size_t threads) : impl_(std::make_unique<Impl>()) {
  threads = std::max<std::size_t>(threads, 1);
  for (std::size_t i = 0; i < threads; ++i) {
    auto& c = *impl_->contexts.emplace_back(std::make_unique<Impl::Context>());
    c.thread = std::thread([&c] { c.ioc.run(); });
  }
}

IoThreads::~IoThreads() {
  for (auto& c : impl_->contexts)
    c->work.reset();
  for (auto& c : impl_->contexts)
    if (c->thread.joinable()) c->thread.join();
}

std::size_t IoThreads::size() const noexcept {
  return impl_->contexts.size();
}

}  // namespace be::net
