-- A finished job recorded and the lane's next job taken, in one round trip: finish.lua, then pop.lua,
-- each run unchanged as a function (tasks/queue.py puts them in front of this, after lib.lua).
-- KEYS: finish.lua's 6 keys, then pop.lua's 7
-- ARGV: how many of finish.lua's arguments follow (n), those n, then pop.lua's 7
-- Returns {finish.lua's answer, pop.lua's answer}.
local n = tonumber(ARGV[1])
local finish_keys, finish_args, pop_keys, pop_args = {}, {}, {}, {}
for i = 1, 6 do finish_keys[i] = KEYS[i] end
for i = 7, #KEYS do pop_keys[#pop_keys + 1] = KEYS[i] end
for i = 2, n + 1 do finish_args[#finish_args + 1] = ARGV[i] end
for i = n + 2, #ARGV do pop_args[#pop_args + 1] = ARGV[i] end
local recorded = finish_script(finish_keys, finish_args)
return {recorded, pop_script(pop_keys, pop_args)}
