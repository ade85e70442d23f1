-- Extend a running job's lease (and its lane's) while its worker is alive and still owns it.
-- KEYS: job, running, lane_lease
-- ARGV: id, owner, deadline_ms, lease_ms
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], 'XX', tonumber(ARGV[3]), ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[2] then redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4])) end
return 1
