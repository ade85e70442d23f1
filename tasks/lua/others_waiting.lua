-- Whether a lane other than ARGV[2] has waiting jobs and nobody draining it (no lease, no pause):
-- a worker at the end of its time slice hands its thread over only then. A random sample of the
-- lanes set (SRANDMEMBER, at most ARGV[3] lanes: all of them when there are no more), so the cost
-- stays bounded however many lanes there are; a lane the sample misses is found at a later slice
-- end, and the sweeper wakes it for any free thread meanwhile.
-- KEYS: lanes
-- ARGV: prefix, account, sample
local lanes = redis.call('SRANDMEMBER', KEYS[1], tonumber(ARGV[3]))
for _, lane in ipairs(lanes) do
  if lane ~= ARGV[2] then
    local base = ARGV[1] .. ':lane:' .. lane
    if redis.call('EXISTS', base .. ':lease', base .. ':pause') == 0 then
      return 1
    end
  end
end
return 0
