-- Stores a job's progress (JSON) and emits `progress` (BullMQ's updateProgress).
-- KEYS: 1 job key, 2 events, 3 meta
-- ARGV: 1 job id, 2 progress JSON
-- Returns 0, or -1 when the job does not exist.
--@include common
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local meta = readMeta(KEYS[3])
redis.call("HSET", KEYS[1], "progress", ARGV[2])
redis.call("XADD", KEYS[2], "MAXLEN", "~", meta.maxEventsText, "*", "event", "progress",
           "jobId", ARGV[1], "data", ARGV[2])
return 0
