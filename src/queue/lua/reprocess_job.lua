-- Runs a failed job again with a fresh attempt count (BullMQ's reprocessJob / job.retry()):
-- out of `failed`, finish fields cleared, back to wait or (6.x) prioritized.
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 events, 5 failed, 6 meta, 7 marker, 8 pc
-- ARGV: 1 base, 2 job id
-- Returns 1 queued again, -1 no such job, -3 not in failed.
--@include common
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("ZREM", KEYS[5], id) == 0 then return -3 end
redis.call("HDEL", jobKey, "finishedOn", "processedOn", "failedReason", "returnvalue", "atm",
           "ats", "stc", "defa", "cancelledAt", "cancelRequestedAt", "errorCode")
redis.call("DEL", jobKey .. ":cancel")
local meta = readMeta(KEYS[6])
local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
pushReady(KEYS[1], KEYS[3], KEYS[8], priority, id, false)
if not isPausedOrMaxed(meta, KEYS[2]) then redis.call("ZADD", KEYS[7], 0, "0") end
redis.call("XADD", KEYS[4], "MAXLEN", "~", meta.maxEventsText, "*", "event", "waiting", "jobId", id,
           "prev", "failed")
return 1
