-- Keep a lane's lease for the worker draining it (on a timer, whether a job runs or not) and,
-- while it runs one, that job's lease: both in one step, each only if still this worker's.
-- KEYS: lane_lease, running[, job]
-- ARGV: owner, lease_ms, deadline_ms[, job id]
-- Returns {lane held (0|1), job held (0|1; 1 when no job is given)}.
local lane = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  lane = 1
end
local job = 1
if KEYS[3] then
  job = 0
  if redis.call('HGET', KEYS[3], 'owner') == ARGV[1] then
    redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[3]), ARGV[4])
    job = 1
  end
end
return {lane, job}
