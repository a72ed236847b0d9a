-- Removes a job that no worker holds (BullMQ's removeJob, without flows): from whichever state
-- holds it, with its keys; emits `removed` with the state it left.
-- KEYS: 1 completed, 2 waiting-children, 3 delayed, 4 failed, 5 prioritized, 6 wait, 7 paused,
--       8 active, 9 events, 10 meta
-- ARGV: 1 base, 2 job id
-- Returns 1 removed, 0 locked by a worker, -1 no such job.
--@include common
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("EXISTS", jobKey .. ":lock") == 1 then return 0 end
local prev = "unknown"
if redis.call("ZREM", KEYS[1], id) == 1 then prev = "completed"
elseif redis.call("ZREM", KEYS[2], id) == 1 then prev = "waiting-children"
elseif redis.call("ZREM", KEYS[3], id) == 1 then prev = "delayed"
elseif redis.call("ZREM", KEYS[4], id) == 1 then prev = "failed"
elseif redis.call("ZREM", KEYS[5], id) == 1 then prev = "prioritized"
elseif redis.call("LREM", KEYS[6], 0, id) > 0 then prev = "wait"
elseif redis.call("LREM", KEYS[7], 0, id) > 0 then prev = "paused"
elseif redis.call("LREM", KEYS[8], 0, id) > 0 then prev = "active"
end
local deid = redis.call("HGET", jobKey, "deid")
if deid then
  local deKey = base .. "de:" .. deid
  if redis.call("GET", deKey) == id then redis.call("DEL", deKey) end
end
removeJobKeys(base, id)
local meta = readMeta(KEYS[10])
redis.call("XADD", KEYS[9], "MAXLEN", "~", meta.maxEventsText, "*", "event", "removed", "jobId", id,
           "prev", prev)
return 1
