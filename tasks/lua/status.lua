-- A job's fields and, while it waits, its rank and its lane's size, read in one atomic step so a
-- position never comes from a different moment than the state.
-- KEYS: job
-- ARGV: prefix
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local state, member, account
for i = 1, #fields, 2 do
  if fields[i] == 'state' then state = fields[i + 1]
  elseif fields[i] == 'member' then member = fields[i + 1]
  elseif fields[i] == 'account' then account = fields[i + 1] end
end
if state == 'queued' and member and account then
  local lane = ARGV[1] .. ':lane:' .. account
  local rank = redis.call('ZRANK', lane, member)
  if rank then
    table.insert(fields, '_position')
    table.insert(fields, rank + 1)
    table.insert(fields, '_total')
    table.insert(fields, redis.call('ZCARD', lane))
  end
end
return fields
