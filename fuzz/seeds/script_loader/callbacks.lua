local n = 0
function on_bar(o, h, l, c)
  state.k = (state.k or 0) + 1
  for k, v in pairs({a = 1, b = 2}) do state[k] = v end
  local co = coroutine.wrap(function() coroutine.yield(1) end)
  co()
end
function on_trade(p) if p > 0 then error("x") end end
