-- Shared helpers, prepended to every script by tasks/scripts.py (Redis has no includes).

-- Fold one measured generation time into the moving averages of its class and overall.
local function fold_duration(durations, class_field, seconds, weight)
  for _, field in ipairs({class_field, 'all'}) do
    local old = tonumber(redis.call('HGET', durations, field))
    local new = seconds
    if old then new = old + weight * (seconds - old) end
    redis.call('HSET', durations, field, new)
    redis.call('HINCRBY', durations, 'n:' .. field, 1)
  end
end
