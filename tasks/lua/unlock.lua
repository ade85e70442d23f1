-- Release a short lock only if it is still ours (its value is the token we set): a holder whose
-- lock expired and was taken by another process must not delete that other process's lock.
-- KEYS: lock
-- ARGV: token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
