-- One bounded slice of the sweep: from the next SSCAN batch of the lanes set, the lanes that need a
-- wake-up: jobs waiting, no lease, no pause, and no wake-up on its way. A wake marker names its
-- Dramatiq message; the message is on its way while it is in Dramatiq's message hash (Dramatiq
-- removes it on ack or dead-lettering), or while the marker is younger than fresh_ms (the sender
-- sets the marker just before it enqueues). The cursor lives in Redis, so whichever worker sweeps
-- next goes on where the last one stopped.
-- KEYS: lanes, sweep_cursor, dramatiq messages hash (<namespace>:<queue>.msgs)
-- ARGV: prefix, count, marker_ms, fresh_ms
-- Returns: {next_cursor, scanned, account...}; next_cursor '0' ends a full pass over the set.
local cursor = redis.call('GET', KEYS[2]) or '0'
local scan = redis.call('SSCAN', KEYS[1], cursor, 'COUNT', tonumber(ARGV[2]))
redis.call('SET', KEYS[2], scan[1])
local result = {scan[1], #scan[2]}
local fresh_above = tonumber(ARGV[3]) - tonumber(ARGV[4])
for _, account in ipairs(scan[2]) do
  local lane = ARGV[1] .. ':lane:' .. account
  if redis.call('EXISTS', lane) == 1 and redis.call('EXISTS', lane .. ':lease', lane .. ':pause') == 0 then
    local wake = lane .. ':wake'
    local marker = redis.call('GET', wake)
    local on_its_way = false
    if marker then
      on_its_way = redis.call('HEXISTS', KEYS[3], marker) == 1 or redis.call('PTTL', wake) > fresh_above
    end
    if not on_its_way then table.insert(result, account) end
  end
end
return result
