// IoThreads' insides, for the .cpp files of net/ (Asio).
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "net/detail/asio.hpp"
#include "net/io_threads.hpp"

namespace be::net {

struct IoThreads::Impl {
  struct Context {
    detail::asio::io_context ioc{1};
    std::optional<detail::asio::executor_work_guard<detail::asio::io_context::executor_type>> work{
        ioc.get_executor()};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Context>> contexts;
  std::atomic<std::size_t> next{0};

  // The context the next client is pinned to (round robin).
  detail::asio::io_context& pick() {
    return contexts[next.fetch_add(1, std::memory_order_relaxed) % contexts.size()]->ioc;
  }
};

}  // namespace be::net
