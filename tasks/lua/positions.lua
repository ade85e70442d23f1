-- Many jobs' states and, while they wait, their ranks and their lanes' sizes, in one call: a
-- lane's status messages after a pop, `/queue` in a big group and a queue board each read their
-- positions in one round trip instead of one per job (status.lua). Like status.lua, every
-- position comes from the same moment as its job's state, and all of them from one moment.
-- KEYS: the jobs' hashes (tasks.queue.POSITIONS_BATCH at most: a call is never a long stall)
-- ARGV: prefix, mode
--   'lean': one JSON array (one reply to parse, not thousands: a client's reply parser, not Redis,
--           is what a bigger batch costs) of six values a job: state ('' if no such job),
--           account, attempts, position (0 when it has no place), total (0 likewise),
--           running_since of its lane ('' if none or not waiting)
--   'full': one JSON array with an object a job: its fields as status.lua returns them, with
--           `_position` and `_total` while it has a place (an empty object if no such job)
local prefix, full = ARGV[1], ARGV[2] == 'full'
-- A lane's size and its running job's start, read once per call however many of its jobs are asked.
local totals, since = {}, {}

local function place(state, account, member)
  if state ~= 'queued' or not member or not account then return nil end
  local lane = prefix .. ':lane:' .. account
  local rank = redis.call('ZRANK', lane, member)
  if not rank then return nil end
  if not totals[account] then totals[account] = redis.call('ZCARD', lane) end
  return rank + 1, totals[account]
end

local out = {}
for i = 1, #KEYS do
  if full then
    local fields = redis.call('HGETALL', KEYS[i])
    local state, member, account
    for j = 1, #fields, 2 do
      local name = fields[j]
      if name == 'state' then state = fields[j + 1]
      elseif name == 'member' then member = fields[j + 1]
      elseif name == 'account' then account = fields[j + 1] end
    end
    local job = {}
    for j = 1, #fields, 2 do job[fields[j]] = fields[j + 1] end
    local position, total = place(state, account, member)
    if position then
      job['_position'] = position
      job['_total'] = total
    end
    out[i] = job
  else
    local f = redis.call('HMGET', KEYS[i], 'state', 'account', 'member', 'attempts')
    local state, account = f[1], f[2]
    local position, total = place(state, account, f[3])
    local started = ''
    if state == 'queued' and account then
      if since[account] == nil then
        since[account] = redis.call('HGET', prefix .. ':lane:' .. account .. ':rounds', 'running_since') or ''
      end
      started = since[account]
    end
    local n = #out
    out[n + 1] = state or ''
    out[n + 2] = account or ''
    out[n + 3] = f[4] or '0'
    out[n + 4] = position or 0
    out[n + 5] = total or 0
    out[n + 6] = started
  end
end
return cjson.encode(out)
