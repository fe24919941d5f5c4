#include "net/io_threads.hpp"

#include <algorithm>
#include <string>

#include "net/detail/io_threads.hpp"

namespace be::net {

IoThreads::IoThreads(std::size_t threads, ThreadRole role) : impl_(std::make_unique<Impl>()) {
  threads = std::max<std::size_t>(threads, 1);
  for (std::size_t i = 0; i < threads; ++i) {
    auto& c = *impl_->contexts.emplace_back(std::make_unique<Impl::Context>());
    // "be-gateway-3": which of the shared threads a profile shows (15 characters at most).
    std::string name(thread_name(role));
    if (threads > 1) name.append(1, '-').append(std::to_string(i));
    c.thread = std::thread([&c, role, name] {
      place_current_thread(role, name);
      c.ioc.run();
    });
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
