-- Grid, as a script: the built-in "grid" bot with arithmetic spacing, order for order (tests/
-- script checks it on the shared BTCUSDT week). Limit buys rest on every level below the
-- first in-range close and reduce-only sells on every level above it (after a market buy of
-- the base they need); each buy that fills is followed by a sell one level up, each sell by a
-- buy one level down.
--
-- inputs: lower, upper, quantity_per_grid (decimal strings), grids (an integer).

local INITIAL_BUY, BUY_BASE, SELL_BASE = 1, 1000, 2000  -- order tags, as the built-in bot's
local lower = bot.parse(inputs.lower, bot.price_scale)
local upper = bot.parse(inputs.upper, bot.price_scale)
local grids = inputs.grids
local quantity = bot.parse(inputs.quantity_per_grid, bot.qty_scale)
local tick = bot.tick_size > 0 and bot.tick_size or 1

-- Levels 0..grids, down to the tick (read-only after load, like every top-level table).
local levels = {}
for i = 0, grids do
  local price = lower + bot.mul_div(upper - lower, i, grids)
  levels[i] = price - price % tick
end
levels[0] = lower - lower % tick
levels[grids] = upper - upper % tick

local function place(side, i)
  if side == "buy" then
    bot.limit("buy", levels[i], quantity, BUY_BASE + i)
  else
    bot.limit("sell", levels[i], quantity, SELL_BASE + i, true)
  end
end

local function place_sells()
  for i = 0, grids do
    if levels[i] > state.start_price then place("sell", i) end
  end
end

function on_bar(open, high, low, close)
  if state.started then return end
  if close < levels[0] or close > levels[grids] or not bot.tradable() then
    state.out_of_range_bars = (state.out_of_range_bars or 0) + 1
    return
  end
  state.started = true
  state.start_price = close
  local above = 0
  for i = 0, grids do
    if levels[i] > close then
      above = above + 1
    elseif levels[i] < close then
      place("buy", i)
    end
  end
  -- The base the sells above need, less what the bot already holds.
  local needed = quantity * above - bot.position()
  if needed > 0 then
    bot.buy(needed, INITIAL_BUY)
  else
    place_sells()
  end
end

function on_order_update(tag, status)
  if tag == INITIAL_BUY and status == "filled" then place_sells() end
end

function on_fill(side, price, filled, fee, tag)
  if tag >= SELL_BASE and tag <= SELL_BASE + grids then
    local i = tag - SELL_BASE
    if i == 0 then return end
    state.round_trips = (state.round_trips or 0) + 1
    place("buy", i - 1)
  elseif tag >= BUY_BASE and tag < BUY_BASE + grids then
    place("sell", tag - BUY_BASE + 1)
  end
end

function on_schedule_change(active)
  -- The ladder rests only while the schedule is active; rebuilt from the first in-range bar.
  if not active and state.started then
    bot.cancel()
    state.started = false
  end
end
