-- RSI, as a script: the built-in "rsi" bot's rule trade for trade (tests/script checks it on
-- the shared BTCUSDT week). Buy `quantity` when RSI crosses below `oversold` while flat; sell
-- the whole position, reduce-only, when it crosses above `overbought`.
--
-- inputs: period (14), oversold (30), overbought (70), quantity (a decimal string, base).

local ENTRY, EXIT = 1, 2  -- order tags
local period = inputs.period or 14
local oversold = inputs.oversold or 30
local overbought = inputs.overbought or 70
local quantity = bot.parse(inputs.quantity or "0.001", bot.qty_scale)
local rsi = bot.indicator("rsi:" .. period)
-- Locals are faster than globals (a global goes through the frozen environment's proxy).
local state, value_of, position_of = state, bot.value, bot.position
local tradable, active, buy, sell = bot.tradable, bot.active, bot.buy, bot.sell

function on_bar(open, high, low, close, volume, time)
  local value = value_of(rsi)
  if value == nil then return end            -- still warming up
  local previous = state.previous
  state.previous = value
  if previous == nil then return end
  local position = position_of()
  if previous >= oversold and value < oversold and position == 0 then
    if state.entry_pending or not tradable() or not active() then
      state.skipped = (state.skipped or 0) + 1
      return
    end
    buy(quantity, ENTRY)
    state.entry_pending = true
  elseif previous <= overbought and value > overbought and position > 0 then
    if state.exit_pending or not tradable() then
      state.skipped = (state.skipped or 0) + 1
      return
    end
    sell(position, EXIT, true)
    state.exit_pending = true
  end
end

local FINAL = {filled = true, canceled = true, rejected = true, expired = true}

function on_order_update(tag, status)
  if not FINAL[status] then return end
  if tag == ENTRY then state.entry_pending = false end
  if tag == EXIT then state.exit_pending = false end
end
