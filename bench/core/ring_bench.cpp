// SpscRing against its peers, measured in the same run with the same item and counts.
//
// Workload
//   Items: a std::uint64_t sequence number (1..N; 4M per transfer), and the engine's real
//   record, the 128-byte core/event.hpp Event, with the sequence in its header (1M per
//   transfer). Each peer carries the same item type and count. Every queue is bounded and
//   pre-allocated with the same requested capacity (kCapacity = 1024 items; ReaderWriterQueue
//   rounds that up to ~2044, so Ring2xU64 repeats the ring at 2048) and used through its
//   non-allocating calls: SpscRing try_push/try_pop (and claim/commit, peek/release batches of
//   64), moodycamel::ConcurrentQueue with a producer and a consumer token (try_enqueue /
//   try_dequeue, and the _bulk calls with 64), moodycamel::ReaderWriterQueue (try_enqueue /
//   try_dequeue). A full or empty queue is retried with a pause instruction, and every 256th
//   consecutive retry yields the core instead: the VM's 2 cores are shared, and a pure spin
//   waiting for a descheduled peer would measure the scheduler, not the queue. Every queue
//   gets the same waiting policy.
//
// Throughput (BM_Throughput<...>): the producer thread is pinned to CPU 1 and the consumer
//   (the benchmark thread) to CPU 0. One iteration transfers kItems items; time runs from the
//   producer's start signal until the consumer has the last item. The consumer checks that
//   items arrive in sequence and that their sum is N(N+1)/2, before any timing (a verification
//   transfer) and after every timed one; a mismatch aborts the benchmark with an error.
//
// One-way hop latency (BM_HopLatency<...>): ping-pong between the same two pinned threads over
//   two queues of the same kind. The benchmark thread stamps rdtsc, sends a sequence number,
//   spins until the echo thread returns it on the second queue, and stamps rdtsc again; one hop
//   is half of that round trip. Both stamps come from the same core's TSC, so no cross-core TSC
//   synchronisation is assumed; the price is that a hop is the average of the two directions.
//   TSC ticks are converted to ns with a frequency calibrated against steady_clock at start-up.
//   Reported as counters p50_ns / p99_ns / p999_ns over kPings round trips per repetition.
// Fused hop (BM_FusedHop<...>): one thread pushes one item and pops it back, the hand-off
//   between stages in the `fused` topology; no cross-core traffic, so it is the least noisy
//   figure on a shared machine. Verified for order before timing and after.
//
//   MailboxFloor (one atomic word per direction, not a queue) shows what this machine charges
//   for moving one cache line between the two cores: no queue can hop faster than that.
//
// Run with repetitions and read the medians; the machine is a shared, noisy 2-core VM:
//   build/release/bench/core/ring_bench --benchmark_repetitions=7
//       --benchmark_report_aggregates_only=true
// At the end the binary prints throughput ratios ring / peer computed from those medians.
#include <benchmark/benchmark.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "core/agent.hpp"
#include "core/event.hpp"
#include "core/spsc_ring.hpp"

// The peers' headers trip GCC 12 middle-end warnings in their own inlined code (see the same
// block in core/ingress.hpp); silenced for these headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <concurrentqueue/concurrentqueue.h>
#include <readerwriterqueue/readerwriterqueue.h>
#pragma GCC diagnostic pop

namespace be {
namespace {

constexpr std::size_t kCapacity = 1024;
constexpr std::size_t kBatch = 64;
constexpr std::uint64_t kItems = 4'000'000;       // u64 items per timed transfer
constexpr std::uint64_t kEventItems = 1'000'000;  // 128-byte Events per timed transfer
constexpr std::uint64_t kVerifyItems = 200'000;
constexpr std::size_t kPings = 100'000;
constexpr int kConsumerCpu = 0;
constexpr int kProducerCpu = 1;

// Spin with pause; every 256th retry in a row, yield (see the header).
struct Waiter {
  std::uint32_t misses = 0;
  void reset() noexcept { misses = 0; }
  void wait() noexcept {
    if ((++misses & 255u) == 0) {
      std::this_thread::yield();
    } else {
      cpu_relax();
    }
  }
};

// ---- items: the sequence number rides in a u64, or in the header of a 128-byte Event -------

template <class Item>
Item make_item(std::uint64_t seq) noexcept;
template <>
std::uint64_t make_item<std::uint64_t>(std::uint64_t seq) noexcept {
  return seq;
}
template <>
Event make_item<Event>(std::uint64_t seq) noexcept {
  Event e{};
  e.header.sequence = seq;
  return e;
}
std::uint64_t seq_of(std::uint64_t v) noexcept {
  return v;
}
std::uint64_t seq_of(const Event& e) noexcept {
  return e.header.sequence;
}

// ---- queue adapters: one producer side, one consumer side, same item -------------------

template <class ItemT, std::size_t Capacity = kCapacity>
struct Ring {
  using Item = ItemT;
  SpscRing<Item> q{Capacity};
  struct Producer {
    Ring& r;
    // Pushes some of next..last in order; returns the next value still to push.
    std::uint64_t push_some(std::uint64_t next, std::uint64_t /*last*/) {
      return r.q.try_push(make_item<Item>(next)) ? next + 1 : next;
    }
  };
  struct Consumer {
    Ring& r;
    template <class F>
    std::size_t pop_some(F&& f) {
      Item v{};
      if (!r.q.try_pop(v)) return 0;
      f(seq_of(v));
      return 1;
    }
  };
  Producer producer() { return {*this}; }
  Consumer consumer() { return {*this}; }
};

template <class ItemT>
struct RingBatch {
  using Item = ItemT;
  SpscRing<Item> q{kCapacity};
  struct Producer {
    RingBatch& r;
    std::uint64_t push_some(std::uint64_t next, std::uint64_t last) {
      auto slots = r.q.claim(std::min<std::uint64_t>(kBatch, last - next + 1));
      for (auto& s : slots)
        s = make_item<Item>(next++);
      r.q.commit(slots.size());
      return next;
    }
  };
  struct Consumer {
    RingBatch& r;
    template <class F>
    std::size_t pop_some(F&& f) {
      auto items = r.q.peek(kBatch);
      for (const auto& v : items)
        f(seq_of(v));
      return r.q.release(items.size());
    }
  };
  Producer producer() { return {*this}; }
  Consumer consumer() { return {*this}; }
};

template <class ItemT>
struct ConcurrentQ {
  using Item = ItemT;
  moodycamel::ConcurrentQueue<Item> q{kCapacity};
  struct Producer {
    ConcurrentQ& r;
    moodycamel::ProducerToken token{r.q};
    std::uint64_t push_some(std::uint64_t next, std::uint64_t) {
      return r.q.try_enqueue(token, make_item<Item>(next)) ? next + 1 : next;
    }
  };
  struct Consumer {
    ConcurrentQ& r;
    moodycamel::ConsumerToken token{r.q};
    template <class F>
    std::size_t pop_some(F&& f) {
      Item v{};
      if (!r.q.try_dequeue(token, v)) return 0;
      f(seq_of(v));
      return 1;
    }
  };
  Producer producer() { return {*this}; }
  Consumer consumer() { return {*this}; }
};

template <class ItemT>
struct ConcurrentQBulk {
  using Item = ItemT;
  moodycamel::ConcurrentQueue<Item> q{kCapacity};
  // Constructors, not aggregates: an array of Events cannot be brace-initialised from {}.
  struct Producer {
    explicit Producer(ConcurrentQBulk& queue) : r(queue), token(queue.q) {}
    ConcurrentQBulk& r;
    moodycamel::ProducerToken token;
    Item buf[kBatch];
    std::uint64_t push_some(std::uint64_t next, std::uint64_t last) {
      const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBatch, last - next + 1));
      for (std::size_t i = 0; i < n; ++i)
        buf[i] = make_item<Item>(next + i);
      return r.q.try_enqueue_bulk(token, buf, n) ? next + n : next;
    }
  };
  struct Consumer {
    explicit Consumer(ConcurrentQBulk& queue) : r(queue), token(queue.q) {}
    ConcurrentQBulk& r;
    moodycamel::ConsumerToken token;
    Item buf[kBatch];
    template <class F>
    std::size_t pop_some(F&& f) {
      const std::size_t n = r.q.try_dequeue_bulk(token, buf, kBatch);
      for (std::size_t i = 0; i < n; ++i)
        f(seq_of(buf[i]));
      return n;
    }
  };
  Producer producer() { return Producer(*this); }
  Consumer consumer() { return Consumer(*this); }
};

template <class ItemT>
struct ReaderWriterQ {
  using Item = ItemT;
  moodycamel::ReaderWriterQueue<Item> q{kCapacity};
  struct Producer {
    ReaderWriterQ& r;
    std::uint64_t push_some(std::uint64_t next, std::uint64_t) {
      return r.q.try_enqueue(make_item<Item>(next)) ? next + 1 : next;
    }
  };
  struct Consumer {
    ReaderWriterQ& r;
    template <class F>
    std::size_t pop_some(F&& f) {
      Item v{};
      if (!r.q.try_dequeue(v)) return 0;
      f(seq_of(v));
      return 1;
    }
  };
  Producer producer() { return {*this}; }
  Consumer consumer() { return {*this}; }
};

using RingU64 = Ring<std::uint64_t>;
// ReaderWriterQueue(1024) really holds up to ~2044 items (4 blocks of 512, see its
// constructor), twice the others; this ring matches that slack.
using Ring2xU64 = Ring<std::uint64_t, 2 * kCapacity>;
using RingBatchU64 = RingBatch<std::uint64_t>;
using ConcurrentQU64 = ConcurrentQ<std::uint64_t>;
using ConcurrentQBulkU64 = ConcurrentQBulk<std::uint64_t>;
using ReaderWriterQU64 = ReaderWriterQ<std::uint64_t>;
using RingEvent = Ring<Event>;
using RingBatchEvent = RingBatch<Event>;
using ConcurrentQEvent = ConcurrentQ<Event>;
using ConcurrentQBulkEvent = ConcurrentQBulk<Event>;
using ReaderWriterQEvent = ReaderWriterQ<Event>;

// Not a queue: one cache line holding one value (0 = empty). The cheapest possible hand-off
// between two cores, so its hop latency is the floor this machine puts under any queue.
struct MailboxFloor {
  alignas(kFalseSharingSpan) std::atomic<std::uint64_t> box{0};
  struct Producer {
    MailboxFloor& r;
    std::uint64_t push_some(std::uint64_t next, std::uint64_t) {
      if (r.box.load(std::memory_order_acquire) != 0) return next;
      r.box.store(next, std::memory_order_release);
      return next + 1;
    }
  };
  struct Consumer {
    MailboxFloor& r;
    template <class F>
    std::size_t pop_some(F&& f) {
      const std::uint64_t v = r.box.load(std::memory_order_acquire);
      if (v == 0) return 0;
      r.box.store(0, std::memory_order_release);
      f(v);
      return 1;
    }
  };
  Producer producer() { return {*this}; }
  Consumer consumer() { return {*this}; }
};

// ---- throughput --------------------------------------------------------------------------

struct TransferResult {
  double seconds = 0;
  bool in_order = true;
  std::uint64_t sum = 0;
};

template <class Q>
TransferResult transfer(std::uint64_t count) {
  Q queue;
  std::atomic<bool> go{false};
  std::thread producer_thread([&] {
    (void)pin_current_thread(kProducerCpu);
    auto producer = queue.producer();
    Waiter waiter;
    while (!go.load(std::memory_order_acquire))
      waiter.wait();
    for (std::uint64_t next = 1; next <= count;) {
      const std::uint64_t after = producer.push_some(next, count);
      if (after == next) {
        waiter.wait();
      } else {
        waiter.reset();
      }
      next = after;
    }
  });
  auto consumer = queue.consumer();
  TransferResult r;
  std::uint64_t expect = 1;
  Waiter waiter;
  const auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  while (expect <= count) {
    const std::size_t n = consumer.pop_some([&](std::uint64_t v) {
      r.in_order &= (v == expect++);
      r.sum += v;
    });
    if (n == 0) {
      waiter.wait();
    } else {
      waiter.reset();
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  producer_thread.join();
  return r;
}

template <class Q>
bool verified(std::uint64_t count, const TransferResult& r) {
  return r.in_order && r.sum == count * (count + 1) / 2;
}

template <class Q>
void BM_Throughput(benchmark::State& state) {
  if (!pin_current_thread(kConsumerCpu).has_value()) {
    state.SkipWithError("cannot pin the consumer to CPU 0");
    return;
  }
  if (!verified<Q>(kVerifyItems, transfer<Q>(kVerifyItems))) {
    state.SkipWithError("verification transfer lost, duplicated or reordered items");
    return;
  }
  const std::uint64_t items = sizeof(typename Q::Item) > 8 ? kEventItems : kItems;
  for (auto _ : state) {
    const TransferResult r = transfer<Q>(items);
    if (!verified<Q>(items, r)) {
      state.SkipWithError("timed transfer lost, duplicated or reordered items");
      return;
    }
    state.SetIterationTime(r.seconds);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
  state.SetBytesProcessed(
      static_cast<std::int64_t>(state.iterations() * items * sizeof(typename Q::Item)));
}

// ---- fused: one thread pushes and pops (the `fused` topology's per-stage hop cost) --------

// One item in, one item out, on the benchmark thread: the instruction cost of a hop with no
// cross-core traffic at all, the path every stage-to-stage hand-off takes in `fused` mode.
template <class Q>
void BM_FusedHop(benchmark::State& state) {
  Q queue;
  auto producer = queue.producer();
  auto consumer = queue.consumer();
  std::uint64_t next = 1;
  std::uint64_t got = 0;
  bool in_order = true;
  auto hop = [&] {
    if (producer.push_some(next, next) == next) return false;
    ++next;
    std::uint64_t v = 0;
    if (consumer.pop_some([&](std::uint64_t x) { v = x; }) != 1) return false;
    in_order &= (v == ++got);
    return true;
  };
  for (int i = 0; i < 10'000; ++i) {  // verification before timing
    if (!hop()) {
      state.SkipWithError("fused push/pop failed");
      return;
    }
  }
  if (!in_order) {
    state.SkipWithError("fused hop reordered items");
    return;
  }
  for (auto _ : state)
    benchmark::DoNotOptimize(hop());
  if (!in_order || got != next - 1) state.SkipWithError("fused hop lost or reordered items");
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

// ---- one-way hop latency (ping-pong / 2) --------------------------------------------------

double tsc_ghz() {
  static const double ghz = [] {
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint64_t c0 = __rdtsc();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(50))
      cpu_relax();
    const std::uint64_t c1 = __rdtsc();
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    return static_cast<double>(c1 - c0) / ns;
  }();
  return ghz;
}

template <class Q>
void BM_HopLatency(benchmark::State& state) {
  if (!pin_current_thread(kConsumerCpu).has_value()) {
    state.SkipWithError("cannot pin to CPU 0");
    return;
  }
  const double ghz = tsc_ghz();
  std::vector<double> hops;
  hops.reserve(kPings);
  bool echoed_correctly = true;
  for (auto _ : state) {
    Q ping;
    Q pong;
    std::atomic<bool> ready{false};
    std::thread echo([&] {
      (void)pin_current_thread(kProducerCpu);
      auto in = ping.consumer();
      auto out = pong.producer();
      Waiter waiter;
      ready.store(true, std::memory_order_release);
      for (std::uint64_t got = 0; got < kPings;) {
        std::uint64_t v = 0;
        if (in.pop_some([&](std::uint64_t x) { v = x; }) == 0) {
          waiter.wait();
          continue;
        }
        ++got;
        waiter.reset();
        while (out.push_some(v, v) == v) {
          waiter.wait();
        }
        waiter.reset();
      }
    });
    auto out = ping.producer();
    auto in = pong.consumer();
    Waiter waiter;
    while (!ready.load(std::memory_order_acquire))
      waiter.wait();
    hops.clear();
    for (std::uint64_t i = 1; i <= kPings; ++i) {
      waiter.reset();
      const std::uint64_t t0 = __rdtsc();
      while (out.push_some(i, i) == i) {
        waiter.wait();
      }
      std::uint64_t back = 0;
      waiter.reset();
      while (in.pop_some([&](std::uint64_t x) { back = x; }) == 0) {
        waiter.wait();
      }
      const std::uint64_t t1 = __rdtsc();
      echoed_correctly &= (back == i);
      hops.push_back(static_cast<double>(t1 - t0) / ghz / 2.0);
    }
    echo.join();
  }
  if (!echoed_correctly) {
    state.SkipWithError("echo returned a different value");
    return;
  }
  std::sort(hops.begin(), hops.end());
  auto pct = [&](double p) { return hops[static_cast<std::size_t>(p * (hops.size() - 1))]; };
  state.counters["p50_ns"] = pct(0.50);
  state.counters["p99_ns"] = pct(0.99);
  state.counters["p999_ns"] = pct(0.999);
}

#define BE_THROUGHPUT(Q)               \
  BENCHMARK_TEMPLATE(BM_Throughput, Q) \
      ->UseManualTime()                \
      ->Iterations(1)                  \
      ->Unit(benchmark::kMillisecond)
BE_THROUGHPUT(RingU64);
BE_THROUGHPUT(RingBatchU64);
BE_THROUGHPUT(ConcurrentQU64);
BE_THROUGHPUT(ConcurrentQBulkU64);
BE_THROUGHPUT(ReaderWriterQU64);
BE_THROUGHPUT(Ring2xU64);
BE_THROUGHPUT(RingEvent);
BE_THROUGHPUT(RingBatchEvent);
BE_THROUGHPUT(ConcurrentQEvent);
BE_THROUGHPUT(ConcurrentQBulkEvent);
BE_THROUGHPUT(ReaderWriterQEvent);
BENCHMARK_TEMPLATE(BM_FusedHop, RingU64);
BENCHMARK_TEMPLATE(BM_FusedHop, ConcurrentQU64);
BENCHMARK_TEMPLATE(BM_FusedHop, ReaderWriterQU64);
BENCHMARK_TEMPLATE(BM_FusedHop, RingEvent);
BENCHMARK_TEMPLATE(BM_FusedHop, ConcurrentQEvent);
BENCHMARK_TEMPLATE(BM_FusedHop, ReaderWriterQEvent);
BENCHMARK_TEMPLATE(BM_HopLatency, RingU64)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_HopLatency, ConcurrentQU64)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_HopLatency, ReaderWriterQU64)->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_HopLatency, MailboxFloor)->Iterations(1)->Unit(benchmark::kMillisecond);

// Console output plus a closing table of ratios from the median (or single) runs.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      const std::string& name = run.run_name.function_name;
      if (auto it = run.counters.find("items_per_second"); it != run.counters.end()) {
        // A median overrides single runs reported earlier for the same benchmark.
        if (median || !rates_.count(name)) rates_[name] = it->second.value;
      }
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    auto ratio = [&](const char* a, const char* b) {
      const auto ia = rates_.find(a);
      const auto ib = rates_.find(b);
      if (ia == rates_.end() || ib == rates_.end() || ib->second == 0) return;
      std::printf("items/s ratio %-38s / %-40s = %6.2f  (%.1f vs %.1f M items/s)\n", a, b,
                  ia->second / ib->second, ia->second / 1e6, ib->second / 1e6);
    };
    std::printf("\n");
    ratio("BM_Throughput<RingU64>", "BM_Throughput<ConcurrentQU64>");
    ratio("BM_Throughput<RingBatchU64>", "BM_Throughput<ConcurrentQU64>");
    ratio("BM_Throughput<RingBatchU64>", "BM_Throughput<ConcurrentQBulkU64>");
    ratio("BM_Throughput<RingU64>", "BM_Throughput<ReaderWriterQU64>");
    ratio("BM_Throughput<Ring2xU64>", "BM_Throughput<ReaderWriterQU64>");
    ratio("BM_Throughput<RingEvent>", "BM_Throughput<ConcurrentQEvent>");
    ratio("BM_Throughput<RingBatchEvent>", "BM_Throughput<ConcurrentQEvent>");
    ratio("BM_Throughput<RingBatchEvent>", "BM_Throughput<ConcurrentQBulkEvent>");
    ratio("BM_Throughput<RingEvent>", "BM_Throughput<ReaderWriterQEvent>");
    ratio("BM_FusedHop<RingU64>", "BM_FusedHop<ConcurrentQU64>");
    ratio("BM_FusedHop<RingU64>", "BM_FusedHop<ReaderWriterQU64>");
    ratio("BM_FusedHop<RingEvent>", "BM_FusedHop<ConcurrentQEvent>");
    ratio("BM_FusedHop<RingEvent>", "BM_FusedHop<ReaderWriterQEvent>");
    std::fflush(stdout);
  }

 private:
  std::map<std::string, double> rates_;
};

}  // namespace
}  // namespace be

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  be::RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
