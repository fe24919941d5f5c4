/* The botengine plugin ABI: what an out-of-tree C++ strategy (a shared library) and the engine
 * exchange. Plain C structs and function pointers only, so a plugin built with another
 * compiler or standard library still loads; docs/STRATEGIES.md ("Plugins") is the guide and
 * botengine/sdk.hpp the C++ wrapper most plugins use instead of this header.
 *
 * The contract is a built-in bot's (strategies/bots/bot.hpp): the engine calls the callbacks
 * below on the strategy stage's thread, one bot at a time, in journal order; the plugin acts
 * only through the be_context it is handed (orders, cancels, timers, and reads of event time,
 * position, balance, trading allowed). Money is 64-bit fixed point: prices and quote amounts
 * at the instrument's price_scale, quantities at its qty_scale (1.5 at scale 8 is
 * 150000000), never floating point.
 *
 * Determinism is the plugin's duty (it is native code outside the script sandbox): no clock
 * (be_context.now is the event's time), no I/O, no threads, no unseeded randomness, and every
 * field a later decision depends on goes into save_state, or a replay or a recovery decides
 * differently. Callbacks must not throw, block or allocate on the hot path.
 *
 * Versioning: be_plugin_entry returns a be_plugin whose first field is abi_version; the
 * engine refuses any value other than its own BE_SDK_ABI_VERSION (a clear error at load).
 * Structs are only ever appended to, with a new ABI version. */
#ifndef BOTENGINE_SDK_H
#define BOTENGINE_SDK_H

#include <stddef.h>
#include <stdint.h>

/* 2: be_setup.indicator and be_context.indicator_value (the engine's own indicators). */
#define BE_SDK_ABI_VERSION 2u
/* The one symbol the engine looks up (dlsym) in a plugin library. */
#define BE_SDK_ENTRY_SYMBOL "be_plugin_entry"

#ifdef __cplusplus
extern "C" {
#endif

/* Sides, order types, flags and statuses: the engine's own numbers (core/ids.hpp,
 * core/order_intent.hpp, strategies/bots/bot.hpp). */
enum be_side { BE_SIDE_NONE = 0, BE_SIDE_BUY = 1, BE_SIDE_SELL = 2 };
enum be_order_type { BE_ORDER_MARKET = 1, BE_ORDER_LIMIT = 2 };
enum be_order_flags { BE_ORDER_REDUCE_ONLY = 1, BE_ORDER_POST_ONLY = 2 };
enum be_order_status {
  BE_ORDER_ACCEPTED = 1,
  BE_ORDER_PARTIALLY_FILLED = 2,
  BE_ORDER_FILLED = 3,
  BE_ORDER_CANCELED = 4,
  BE_ORDER_REJECTED = 5, /* by the venue or by risk */
  BE_ORDER_EXPIRED = 6
};

typedef struct be_instrument {
  uint32_t id;
  int32_t price_scale;
  int32_t qty_scale;
  int32_t reserved;
  int64_t tick_size; /* price scale; 0 = unknown */
  int64_t step_size; /* qty scale */
  int64_t min_notional;
} be_instrument;

/* A closed bar of the bot's timeframe. */
typedef struct be_bar {
  int64_t open_time; /* ns since the epoch, event time */
  int64_t open, high, low, close;
  int64_t volume; /* base, qty scale */
} be_bar;

typedef struct be_trade {
  int64_t price, quantity;
  int32_t aggressor; /* be_side; BE_SIDE_NONE when the venue does not say */
  int32_t reserved;
} be_trade;

typedef struct be_quote {
  int64_t bid_price, bid_quantity, ask_price, ask_quantity;
} be_quote;

typedef struct be_fill {
  int32_t side; /* be_side */
  uint32_t tag; /* the tag of the order the fill belongs to */
  int64_t price, quantity;
  int64_t fee; /* quote, price scale */
} be_fill;

typedef struct be_order_update {
  uint32_t tag;
  int32_t status; /* be_order_status */
  int32_t side;   /* be_side */
  int32_t reserved;
  int64_t price, quantity, filled_quantity;
} be_order_update;

/* An order the bot asks for. Market buys may give quote_amount (quote to spend) with
 * quantity 0; limit orders give price. */
typedef struct be_order {
  int32_t side;   /* be_side */
  int32_t type;   /* be_order_type */
  uint32_t tag;   /* the bot's own label, seen again in fills and order updates */
  uint32_t flags; /* be_order_flags */
  int64_t price, quantity, quote_amount;
} be_order;

/* What a callback may do and read, valid only during the callback it was handed to. */
typedef struct be_context {
  void* self;
  int64_t (*now)(void* self); /* the event time of the input being handled, ns */
  void (*submit)(void* self, const be_order* order);
  void (*cancel)(void* self, uint32_t tag); /* this bot's open orders with tag; 0 = all */
  /* Fires on_timer(timer_id) once event time reaches deadline; replaces a pending one. */
  void (*set_timer)(void* self, uint32_t timer_id, int64_t deadline);
  int64_t (*position)(void* self);        /* signed base, qty scale */
  int64_t (*available_quote)(void* self); /* quote the bot may still spend, price scale */
  int32_t (*tradable)(void* self); /* 0 while the feed is down, stale or gapped (safe mode) */
  int32_t (*active)(void* self);   /* 0 outside the bot's schedule (no new positions) */
  /* Stops the bot for good: it goes to `error` with this message (shown in the API). */
  void (*fail)(void* self, const char* message);
  /* An indicator created at setup (be_setup.indicator): output `output` (from 0; MACD and
   * Bollinger bands have 3, the stochastic 2, the rest 1) into *out and 1 once it is ready, 0 while
   * it is still warming up, -1 for a handle or output it does not have. Updated with every closed
   * bar of the bot's timeframe before on_bar runs. Values are TA-Lib's doubles (exact to TA-Lib, in
   * price units for price-like indicators): read them, never turn them into order money
   * without rounding to the instrument's tick. */
  int32_t (*indicator_value)(void* self, uint32_t handle, uint32_t output, double* out);
} be_context;

/* What create() is handed: the bot's setup, its config's `inputs`, and a way to declare
 * shared conditions and report bad inputs. Valid only during create(). */
typedef struct be_setup {
  void* self;
  uint32_t bot_id;
  uint32_t timeframe_seconds;
  uint64_t seed;
  be_instrument instrument;
  /* Inputs (the bot config's strategy.parameters.inputs object), read by key. Each returns
   * 1 when the key is present and its value converts, 0 when absent, -1 (and reports the
   * error itself) when the value is of the wrong kind or out of range. */
  int32_t (*input_integer)(void* self, const char* key, int64_t* out);
  int32_t (*input_number)(void* self, const char* key, double* out);
  /* A decimal (number or string) as fixed point at `scale`: "0.01" at 8 -> 1000000. */
  int32_t (*input_fixed)(void* self, const char* key, int32_t scale, int64_t* out);
  /* A string: copies up to capacity-1 bytes and a NUL; *length is the full length. */
  int32_t (*input_text)(void* self, const char* key, char* out, size_t capacity, size_t* length);
  /* A shared condition (docs/CONDITIONS.md JSON): its index for on_condition, from 0; -1 and
   * an error reported when it does not parse. */
  int32_t (*declare_condition)(void* self, const char* json, size_t length);
  /* Refuses the config: a field error under strategy.parameters.inputs.<key>. */
  void (*error)(void* self, const char* key, const char* message);
  /* One of the engine's TA-Lib-exact indicators, fed this bot's closed bars: `spec` as in a
   * condition ("rsi:14", "ema:21", "macd:12:26:9", "bbands:20", docs/INDICATORS.md). Its
   * handle for be_context.indicator_value, from 0; -1 and an error reported when the spec does
   * not parse. Its state is part of the bot's snapshot (the plugin saves nothing for it). */
  int32_t (*indicator)(void* self, const char* spec, size_t length);
} be_setup;

typedef struct be_plugin {
  uint32_t abi_version; /* BE_SDK_ABI_VERSION: the engine checks it first */
  uint32_t struct_size; /* sizeof(be_plugin) */
  const char* name;     /* for messages: "rsi example" */
  /* A bot, or NULL after reporting why through setup->error. */
  void* (*create)(const be_setup* setup);
  void (*destroy)(void* bot);
  void (*on_start)(void* bot, const be_context* ctx);
  void (*on_bar)(void* bot, const be_bar* bar, const be_context* ctx);
  void (*on_trade)(void* bot, const be_trade* trade, const be_context* ctx);
  void (*on_quote)(void* bot, const be_quote* quote, const be_context* ctx);
  void (*on_fill)(void* bot, const be_fill* fill, const be_context* ctx);
  void (*on_order_update)(void* bot, const be_order_update* update, const be_context* ctx);
  void (*on_timer)(void* bot, uint32_t timer_id, const be_context* ctx);
  void (*on_condition)(void* bot, uint32_t index, const be_context* ctx);
  void (*on_schedule_change)(void* bot, int32_t active, const be_context* ctx);
  void (*on_stop)(void* bot, const be_context* ctx);
  /* The bot's state for snapshots and the state hash: writes it into out when it fits in
   * capacity and returns its size either way (the engine calls again with room when it did
   * not fit). The same state must give the same bytes. */
  size_t (*save_state)(const void* bot, unsigned char* out, size_t capacity);
  /* Restores what save_state wrote; 0 when the bytes are not this plugin's state. */
  int32_t (*load_state)(void* bot, const unsigned char* in, size_t size);
} be_plugin;

/* The symbol every plugin exports (BE_SDK_ENTRY_SYMBOL). */
typedef const be_plugin* (*be_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* BOTENGINE_SDK_H */
