-- Cancel a job if, and only if, it is still waiting: then it can never start.
-- KEYS: job, lane, events, lanes, user_queued, metrics
-- ARGV: id, now_s, retention_s, events_maxlen, account
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state ~= 'queued' then return state end
redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'member'))
redis.call('ZREM', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'canceled', 'finished_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HINCRBY', KEYS[6], 'jobs:canceled', 1)
local total = redis.call('ZCARD', KEYS[2])
if total == 0 then redis.call('SREM', KEYS[4], ARGV[5]) end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'canceled', 'job', ARGV[1],
  'account', ARGV[5])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'type', 'positions', 'account', ARGV[5],
  'total', total)
return 'canceled'
