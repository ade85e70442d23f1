-- Queue a job at its fair place in its account's lane, atomically with the per-user limit.
-- KEYS: job, lane, lanes, rounds, seq, events, user_queued
-- ARGV: id, priority, user_key, data_json, max_waiting, now, events_maxlen, account
if redis.call('EXISTS', KEYS[1]) == 1 then return {'exists'} end
local waiting = redis.call('ZCARD', KEYS[7])
if waiting >= tonumber(ARGV[5]) then return {'limit', waiting} end
local prio = tonumber(ARGV[2])
local seq = redis.call('INCR', KEYS[5])
-- Fairness: a user's next job goes one round after their previous one, but never before the
-- round being served, so a newcomer lands right behind the current round, not behind a flood.
local cur = tonumber(redis.call('HGET', KEYS[4], 'cur:' .. prio) or '0')
local user_field = 'u:' .. prio .. ':' .. ARGV[3]
local last = tonumber(redis.call('HGET', KEYS[4], user_field) or '-1')
local round = math.max(last + 1, cur)
redis.call('HSET', KEYS[4], user_field, round)
-- Members sort lexicographically (all scores are 0): priority high first, then round, then FIFO.
local member = string.format('%02d%010d%012d|%s', 10 - prio, round, seq, ARGV[1])
redis.call('HSET', KEYS[1], 'data', ARGV[4], 'state', 'queued', 'attempts', 0, 'member', member,
  'user_key', ARGV[3], 'account', ARGV[8], 'created_at', ARGV[6])
redis.call('ZADD', KEYS[2], 0, member)
redis.call('SADD', KEYS[3], ARGV[8])
redis.call('ZADD', KEYS[7], ARGV[6], ARGV[1])
local position = redis.call('ZRANK', KEYS[2], member) + 1
local total = redis.call('ZCARD', KEYS[2])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[7], '*', 'type', 'queued', 'job', ARGV[1],
  'account', ARGV[8], 'position', position, 'total', total)
return {'ok', position, total}
