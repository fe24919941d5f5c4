// The C++ side of the botengine plugin SDK: a header-only wrapper over the C ABI
// (botengine/sdk.h) so a strategy is a class, not a table of function pointers.
//
//   class MyBot : public botengine::Strategy {
//    public:
//     explicit MyBot(botengine::Setup& setup) : qty_(setup.fixed("quantity", 3, 1000)) {}
//     void on_bar(const be_bar& bar, botengine::Context& ctx) override { ... ctx.buy(qty_, 1); }
//     void save(botengine::StateWriter& w) const override { w.put(pending_); }
//     bool load(botengine::StateReader& r) override { return r.get(pending_); }
//    private: ...
//   };
//   BOTENGINE_PLUGIN(MyBot, "my bot")
//
// Everything the ABI promises holds here too: the wrapper adds no allocation, lock or clock to
// a callback; an exception escaping a callback is caught at the boundary and stops the bot
// (its message shown as the bot's error), one escaping the constructor refuses the config.
// State is written as little-endian fixed-width fields (doubles by their bits), so the same
// state always gives the same bytes on every machine the engine runs on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "botengine/sdk.h"

namespace botengine {

// What a callback may do and read (be_context), valid during that callback only.
class Context {
 public:
  explicit Context(const be_context* c) noexcept : c_(c) {}
  std::int64_t now() const noexcept { return c_->now(c_->self); }
  void submit(const be_order& order) const noexcept { c_->submit(c_->self, &order); }
  // A market order of `quantity` base (qty scale).
  void buy(std::int64_t quantity, std::uint32_t tag, std::uint32_t flags = 0) const noexcept {
    submit(market(BE_SIDE_BUY, quantity, 0, tag, flags));
  }
  void sell(std::int64_t quantity, std::uint32_t tag, std::uint32_t flags = 0) const noexcept {
    submit(market(BE_SIDE_SELL, quantity, 0, tag, flags));
  }
  // A market buy spending `quote` (price scale).
  void buy_quote(std::int64_t quote, std::uint32_t tag) const noexcept {
    submit(market(BE_SIDE_BUY, 0, quote, tag, 0));
  }
  void limit(be_side side, std::int64_t price, std::int64_t quantity, std::uint32_t tag,
             std::uint32_t flags = 0) const noexcept {
    be_order o{};
    o.side = side;
    o.type = BE_ORDER_LIMIT;
    o.tag = tag;
    o.flags = flags;
    o.price = price;
    o.quantity = quantity;
    submit(o);
  }
  void cancel(std::uint32_t tag = 0) const noexcept { c_->cancel(c_->self, tag); }
  void set_timer(std::uint32_t timer_id, std::int64_t deadline) const noexcept {
    c_->set_timer(c_->self, timer_id, deadline);
  }
  std::int64_t position() const noexcept { return c_->position(c_->self); }
  std::int64_t available_quote() const noexcept { return c_->available_quote(c_->self); }
  bool tradable() const noexcept { return c_->tradable(c_->self) != 0; }
  bool active() const noexcept { return c_->active(c_->self) != 0; }
  void fail(const char* message) const noexcept { c_->fail(c_->self, message); }
  // An indicator's output (from Setup::indicator) once it is ready; false while it warms up
  // (or for a handle or output it does not have).
  bool indicator(int handle, double& out, std::uint32_t output = 0) const noexcept {
    return handle >= 0 &&
           c_->indicator_value(c_->self, static_cast<std::uint32_t>(handle), output, &out) == 1;
  }

 private:
  static be_order market(be_side side, std::int64_t quantity, std::int64_t quote, std::uint32_t tag,
                         std::uint32_t flags) noexcept {
    be_order o{};
    o.side = side;
    o.type = BE_ORDER_MARKET;
    o.tag = tag;
    o.flags = flags;
    o.quantity = quantity;
    o.quote_amount = quote;
    return o;
  }
  const be_context* c_;
};

// The bot's setup and its config's `inputs` (be_setup), valid in the constructor only. A
// getter returns `fallback` when the key is absent; a bad value is reported to the config's
// author by the engine (a 422 naming strategy.parameters.inputs.<key>) and gives `fallback`.
class Setup {
 public:
  explicit Setup(const be_setup* s) noexcept : s_(s) {}
  const be_instrument& instrument() const noexcept { return s_->instrument; }
  std::uint32_t timeframe_seconds() const noexcept { return s_->timeframe_seconds; }
  std::uint64_t seed() const noexcept { return s_->seed; }
  std::int64_t integer(const char* key, std::int64_t fallback) const noexcept {
    std::int64_t v = 0;
    return s_->input_integer(s_->self, key, &v) == 1 ? v : fallback;
  }
  double number(const char* key, double fallback) const noexcept {
    double v = 0;
    return s_->input_number(s_->self, key, &v) == 1 ? v : fallback;
  }
  std::int64_t fixed(const char* key, int scale, std::int64_t fallback) const noexcept {
    std::int64_t v = 0;
    return s_->input_fixed(s_->self, key, scale, &v) == 1 ? v : fallback;
  }
  std::string text(const char* key, std::string fallback) const {
    std::size_t length = 0;
    if (s_->input_text(s_->self, key, nullptr, 0, &length) != 1) return fallback;
    std::string out(length, '\0');
    s_->input_text(s_->self, key, out.data(), length + 1, &length);
    return out;
  }
  // A shared condition (docs/CONDITIONS.md); its index for on_condition, or -1 (reported).
  int condition(std::string_view json) const noexcept {
    return s_->declare_condition(s_->self, json.data(), json.size());
  }
  void error(const char* key, const char* message) const noexcept {
    s_->error(s_->self, key, message);
  }
  // One of the engine's indicators ("rsi:14"; docs/INDICATORS.md), fed the bot's closed bars:
  // its handle for Context::indicator, or -1 (reported to the config's author).
  int indicator(std::string_view spec) const noexcept {
    return s_->indicator(s_->self, spec.data(), spec.size());
  }

 private:
  const be_setup* s_;
};

// Snapshot bytes: fixed-width little-endian fields.
class StateWriter {
 public:
  explicit StateWriter(std::vector<unsigned char>& out) noexcept : out_(out) {}
  void put(std::int64_t v) { put_bits(static_cast<std::uint64_t>(v), 8); }
  void put(std::uint64_t v) { put_bits(v, 8); }
  void put(std::uint32_t v) { put_bits(v, 4); }
  void put(bool v) { put_bits(v ? 1 : 0, 1); }
  void put(double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    put_bits(bits, 8);
  }

 private:
  void put_bits(std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
      out_.push_back(static_cast<unsigned char>(v >> (8 * i)));
  }
  std::vector<unsigned char>& out_;
};

class StateReader {
 public:
  StateReader(const unsigned char* in, std::size_t size) noexcept : in_(in), size_(size) {}
  bool get(std::int64_t& v) noexcept { return get_as(v, 8); }
  bool get(std::uint64_t& v) noexcept { return get_as(v, 8); }
  bool get(std::uint32_t& v) noexcept { return get_as(v, 4); }
  bool get(bool& v) noexcept {
    std::uint64_t bits = 0;
    if (!get_bits(bits, 1) || bits > 1) return fail();
    v = bits != 0;
    return true;
  }
  bool get(double& v) noexcept {
    std::uint64_t bits = 0;
    if (!get_bits(bits, 8)) return false;
    std::memcpy(&v, &bits, sizeof v);
    return true;
  }
  // True when every field read and nothing is left over.
  bool done() const noexcept { return ok_ && at_ == size_; }
  bool ok() const noexcept { return ok_; }

 private:
  template <class T>
  bool get_as(T& v, int bytes) noexcept {
    std::uint64_t bits = 0;
    if (!get_bits(bits, bytes)) return false;
    v = static_cast<T>(bits);
    return true;
  }
  bool get_bits(std::uint64_t& v, int bytes) noexcept {
    if (!ok_ || size_ - at_ < static_cast<std::size_t>(bytes)) return fail();
    v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= static_cast<std::uint64_t>(in_[at_++]) << (8 * i);
    return true;
  }
  bool fail() noexcept {
    ok_ = false;
    return false;
  }
  const unsigned char* in_;
  std::size_t size_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

// A strategy: override the callbacks it needs; save and load every field a later decision
// depends on (a replay or recovery restores exactly those).
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void on_start(Context&) {}
  virtual void on_bar(const be_bar&, Context&) {}
  virtual void on_trade(const be_trade&, Context&) {}
  virtual void on_quote(const be_quote&, Context&) {}
  virtual void on_fill(const be_fill&, Context&) {}
  virtual void on_order_update(const be_order_update&, Context&) {}
  virtual void on_timer(std::uint32_t /*timer_id*/, Context&) {}
  virtual void on_condition(std::uint32_t /*index*/, Context&) {}
  virtual void on_schedule_change(bool /*active*/, Context&) {}
  virtual void on_stop(Context&) {}
  virtual void save(StateWriter& w) const = 0;
  virtual bool load(StateReader& r) = 0;
};

namespace detail {

// Runs a callback; an exception stops the bot with its message instead of crossing the C ABI.
template <class Call>
void guarded(const be_context* c, Call&& call) noexcept {
  try {
    Context ctx(c);
    call(ctx);
  } catch (const std::exception& e) {
    c->fail(c->self, e.what());
  } catch (...) {
    c->fail(c->self, "the plugin threw a non-standard exception");
  }
}

inline Strategy& self(void* bot) noexcept {
  return *static_cast<Strategy*>(bot);
}

template <class S>
struct Table {
  static void* create(const be_setup* s) noexcept {
    try {
      Setup setup(s);
      return static_cast<Strategy*>(new S(setup));
    } catch (const std::exception& e) {
      s->error(s->self, "", e.what());
    } catch (...) {
      s->error(s->self, "", "the plugin threw a non-standard exception");
    }
    return nullptr;
  }
  static void destroy(void* bot) noexcept { delete static_cast<Strategy*>(bot); }
  static size_t save_state(const void* bot, unsigned char* out, size_t capacity) noexcept {
    try {
      std::vector<unsigned char> bytes;
      StateWriter w(bytes);
      static_cast<const Strategy*>(bot)->save(w);
      if (bytes.size() <= capacity && !bytes.empty()) std::memcpy(out, bytes.data(), bytes.size());
      return bytes.size();
    } catch (...) {
      return 0;  // out of memory: an empty state, which load() then refuses
    }
  }
  static int32_t load_state(void* bot, const unsigned char* in, size_t size) noexcept {
    try {
      StateReader r(in, size);
      return self(bot).load(r) && r.done() ? 1 : 0;
    } catch (...) {
      return 0;
    }
  }
};

}  // namespace detail

// The be_plugin for strategy class S (constructible from Setup&), named `name`.
template <class S>
const be_plugin* plugin(const char* name) noexcept {
  using T = detail::Table<S>;
  using detail::guarded;
  using detail::self;
  static const be_plugin table = {
      BE_SDK_ABI_VERSION,
      sizeof(be_plugin),
      name,
      &T::create,
      &T::destroy,
      [](void* b, const be_context* c) { guarded(c, [&](Context& x) { self(b).on_start(x); }); },
      [](void* b, const be_bar* v, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_bar(*v, x); });
      },
      [](void* b, const be_trade* v, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_trade(*v, x); });
      },
      [](void* b, const be_quote* v, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_quote(*v, x); });
      },
      [](void* b, const be_fill* v, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_fill(*v, x); });
      },
      [](void* b, const be_order_update* v, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_order_update(*v, x); });
      },
      [](void* b, uint32_t id, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_timer(id, x); });
      },
      [](void* b, uint32_t index, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_condition(index, x); });
      },
      [](void* b, int32_t active, const be_context* c) {
        guarded(c, [&](Context& x) { self(b).on_schedule_change(active != 0, x); });
      },
      [](void* b, const be_context* c) { guarded(c, [&](Context& x) { self(b).on_stop(x); }); },
      &T::save_state,
      &T::load_state,
  };
  return &table;
}

}  // namespace botengine

// Exports the plugin's entry point (BE_SDK_ENTRY_SYMBOL) for strategy class `Type`.
#define BOTENGINE_PLUGIN(Type, name)                                                         \
  extern "C" __attribute__((visibility("default"))) const be_plugin* be_plugin_entry(void) { \
    return ::botengine::plugin<Type>(name);                                                  \
  }
