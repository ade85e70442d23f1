-- Give up a lane's lease: only when it is empty or paused (so no wake-up can be lost), or when
-- forced (time slice used up; the caller wakes the lane again right after).
-- KEYS: lane_lease, lane, lane_pause
-- ARGV: owner, force
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[2] ~= '1' and redis.call('ZCARD', KEYS[2]) > 0 and redis.call('PTTL', KEYS[3]) <= 0 then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
