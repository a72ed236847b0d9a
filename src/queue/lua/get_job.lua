-- Reads a job and its state atomically (BullMQ's getState order: completed, failed, delayed,
-- prioritized, active, waiting, waiting-children).
-- KEYS: 1 job key, 2 completed, 3 failed, 4 delayed, 5 prioritized, 6 active, 7 wait,
--       8 waiting-children, 9 paused (legacy)
-- ARGV: 1 job id
-- Returns {state, hash} or {"missing", {}}.
local id = ARGV[1]
local hash = redis.call("HGETALL", KEYS[1])
if #hash == 0 then return {"missing", {}} end
local state = "unknown"
if redis.call("ZSCORE", KEYS[2], id) then state = "completed"
elseif redis.call("ZSCORE", KEYS[3], id) then state = "failed"
elseif redis.call("ZSCORE", KEYS[4], id) then state = "delayed"
elseif redis.call("ZSCORE", KEYS[5], id) then state = "prioritized"
elseif redis.call("LPOS", KEYS[6], id) then state = "active"
elseif redis.call("LPOS", KEYS[7], id) or redis.call("LPOS", KEYS[9], id) then state = "waiting"
elseif redis.call("ZSCORE", KEYS[8], id) then state = "waiting-children"
end
return {state, hash}
