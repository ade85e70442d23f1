-- Fold one measured generation time into the moving averages (its class and overall).
-- KEYS: durations
-- ARGV: class_field, seconds, weight_of_new
local function fold(field)
  local old = tonumber(redis.call('HGET', KEYS[1], field))
  local new = tonumber(ARGV[2])
  if old then new = old + tonumber(ARGV[3]) * (new - old) end
  redis.call('HSET', KEYS[1], field, new)
  redis.call('HINCRBY', KEYS[1], 'n:' .. field, 1)
end
fold(ARGV[1])
fold('all')
return 1
