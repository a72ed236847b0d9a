-- Fetches the next job for a worker (BullMQ's moveToActive), promoting due delayed jobs first.
-- KEYS: the ten worker keys (common.lua workerKeys)
-- ARGV: 1 base, 2 token, 3 lock ms, 4 now, 5 limiter max (0 none), 6 limiter duration ms (0 none),
--       7 worker name ("" none)
-- Returns {1, id, hash, rateLimitPttl, nextDelayedMs, cancelRequested} (id "" when none).
--@include common
local k = workerKeys()
local meta = readMeta(k.meta)
local limDuration = tonumber(ARGV[6])
if limDuration == 0 then limDuration = nil end
local r = fetchNextJob(k, meta, ARGV[1], ARGV[2], ARGV[3], ARGV[4],
                       tonumber(ARGV[5]), limDuration, ARGV[7])
return {1, r[1], r[2], r[3], r[4], r[5]}
