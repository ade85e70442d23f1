-- Take the head of a lane for the worker that holds the lane's lease.
-- KEYS: lane, lane_lease, lane_pause, running, rounds, events, lanes
-- ARGV: owner, now_ms, lease_ms, prefix, events_maxlen, account, now_s
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return {'lost'} end
-- Every pop renews the lane's lease: a worker draining short jobs holds it as long as it drains.
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
local pause = redis.call('PTTL', KEYS[3])
if pause > 0 then return {'paused', pause} end
local head = redis.call('ZRANGE', KEYS[1], 0, 0)[1]
if not head then
  redis.call('SREM', KEYS[7], ARGV[6])
  return {'empty'}
end
redis.call('ZREM', KEYS[1], head)
local id = string.sub(head, string.find(head, '|', 1, true) + 1)
local plain = head
if string.sub(head, 1, 1) == '!' then plain = string.sub(head, 2) end
local prio = 10 - tonumber(string.sub(plain, 1, 2))
local round = tonumber(string.sub(plain, 3, 12))
local cur_field = 'cur:' .. prio
if round > tonumber(redis.call('HGET', KEYS[5], cur_field) or '0') then
  redis.call('HSET', KEYS[5], cur_field, round)
end
local total = redis.call('ZCARD', KEYS[1])
if total == 0 then redis.call('SREM', KEYS[7], ARGV[6]) end
local job = ARGV[4] .. ':job:' .. id
if redis.call('HGET', job, 'state') ~= 'queued' then
  -- A leftover member (its job expired or was finished by a racing worker): drop and go on.
  return {'skip', id}
end
local attempts = redis.call('HINCRBY', job, 'attempts', 1)
redis.call('HSET', job, 'state', 'running', 'started_at', ARGV[7], 'owner', ARGV[1])
-- Remembered for the wait estimate of the jobs behind it.
redis.call('HSET', KEYS[5], 'running_since', ARGV[7])
redis.call('ZADD', KEYS[4], tonumber(ARGV[2]) + tonumber(ARGV[3]), id)
redis.call('ZREM', ARGV[4] .. ':user:' .. redis.call('HGET', job, 'user_key') .. ':queued', id)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'type', 'started', 'job', id,
  'account', ARGV[6], 'attempt', attempts)
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[5], '*', 'type', 'positions', 'account', ARGV[6],
  'total', total)
-- The job itself comes back too, so the worker needs no second round trip to read it.
return {'job', id, attempts, unpack(redis.call('HGETALL', job))}
