-- Put a running job back at the head of its lane after a transient failure, and pause the lane.
-- KEYS: job, lane, lanes, running, lane_pause, events, user_queued
-- ARGV: id, owner, pause_ms, error_json, events_maxlen, account
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then
  return 0
end
local member = redis.call('HGET', KEYS[1], 'member')
if string.sub(member, 1, 1) ~= '!' then member = '!' .. member end
redis.call('HSET', KEYS[1], 'state', 'queued', 'member', member, 'last_error', ARGV[4])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('ZADD', KEYS[2], 0, member)
redis.call('SADD', KEYS[3], ARGV[6])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('ZADD', KEYS[7], redis.call('HGET', KEYS[1], 'created_at'), ARGV[1])
local pause_ms = tonumber(ARGV[3])
if pause_ms > 0 and redis.call('PTTL', KEYS[5]) < pause_ms then
  redis.call('SET', KEYS[5], 'backoff', 'PX', pause_ms)
end
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'type', 'retrying', 'job', ARGV[1],
  'account', ARGV[6], 'delay_ms', pause_ms, 'error', ARGV[4])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'type', 'positions', 'account', ARGV[6],
  'total', redis.call('ZCARD', KEYS[2]))
return 1
