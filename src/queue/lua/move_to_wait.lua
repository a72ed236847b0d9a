-- Hands an active job back without counting an attempt (graceful close, rate-limit error):
-- RPUSH onto wait so it runs next, or back into prioritized.
-- KEYS: the ten worker keys
-- ARGV: 1 base, 2 id, 3 token
-- Returns {code}: 1 ok, -1 missing job, -2 missing lock, -6 lock mismatch, -3 not active.
--@include common
local k = workerKeys()
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
local lockResult = releaseLock(jobKey, ARGV[3], k.stalled, id)
if lockResult < 0 then return {lockResult} end
if redis.call("LREM", k.active, -1, id) == 0 then return {-3} end
local meta = readMeta(k.meta)
local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
pushReady(k.wait, k.prioritized, k.pc, priority, id, true)
if not isPausedOrMaxed(meta, k.active) then redis.call("ZADD", k.marker, "0", "0") end
redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "waiting",
           "jobId", id, "prev", "active")
return {1}
