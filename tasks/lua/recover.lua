-- Requeue, at the head of their lanes, running jobs whose lease lapsed (their worker died).
-- KEYS: running, lanes, events
-- ARGV: now_ms, prefix, events_maxlen, limit
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local accounts = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local job = ARGV[2] .. ':job:' .. id
  if redis.call('HGET', job, 'state') == 'running' then
    local account = redis.call('HGET', job, 'account')
    local member = redis.call('HGET', job, 'member')
    if string.sub(member, 1, 1) ~= '!' then member = '!' .. member end
    redis.call('HSET', job, 'state', 'queued', 'member', member)
    redis.call('HDEL', job, 'owner')
    local lane = ARGV[2] .. ':lane:' .. account
    redis.call('ZADD', lane, 0, member)
    redis.call('SADD', KEYS[2], account)
    redis.call('ZADD', ARGV[2] .. ':user:' .. redis.call('HGET', job, 'user_key') .. ':queued',
      redis.call('HGET', job, 'created_at'), id)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'requeued', 'job', id,
      'account', account)
    redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'type', 'positions', 'account', account,
      'total', redis.call('ZCARD', lane))
    table.insert(accounts, account)
  end
end
return accounts
