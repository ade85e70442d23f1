-- Record a job's outcome exactly once, whichever attempt gets here first.
-- KEYS: job, running, events, lane, durations, metrics
-- ARGV: id, state ('done'|'failed'), field ('result'|'error'), payload_json, now_s, retention_s,
--       events_maxlen, prefix, account, duration_class ('' = none), seconds, weight,
--       histogram bucket field, histogram sum field, histogram count field
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'done' or state == 'failed' or state == 'canceled' then return 0 end
if state == 'queued' then
  -- Its lease lapsed and it was queued again, but this attempt finished after all.
  redis.call('ZREM', KEYS[4], redis.call('HGET', KEYS[1], 'member'))
  redis.call('ZREM', ARGV[8] .. ':user:' .. redis.call('HGET', KEYS[1], 'user_key') .. ':queued', ARGV[1])
  if redis.call('ZCARD', KEYS[4]) == 0 then redis.call('SREM', ARGV[8] .. ':lanes', ARGV[9]) end
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], ARGV[3], ARGV[4], 'finished_at', ARGV[5])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[6])
-- Metrics count here, with the change itself, so each outcome is counted exactly once.
redis.call('HINCRBY', KEYS[6], 'jobs:' .. ARGV[2], 1)
if ARGV[10] ~= '' then
  fold_duration(KEYS[5], ARGV[10], tonumber(ARGV[11]), tonumber(ARGV[12]))
  redis.call('HINCRBY', KEYS[6], ARGV[13], 1)
  redis.call('HINCRBYFLOAT', KEYS[6], ARGV[14], ARGV[11])
  redis.call('HINCRBY', KEYS[6], ARGV[15], 1)
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*', 'type', ARGV[2], 'job', ARGV[1],
  'account', ARGV[9])
return 1
