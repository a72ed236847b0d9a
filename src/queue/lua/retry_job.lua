-- A failed attempt that will run again: to delayed after a backoff, or straight back to
-- wait/prioritized (BullMQ's moveToDelayed / retryJob from active).
-- KEYS: the ten worker keys
-- ARGV: 1 base, 2 id, 3 token, 4 now, 5 backoff delay ms (0 = at once), 6 failedReason,
--       7 stacktrace JSON ("" unchanged), 8 errorCode ("" none), 9 lifo (1|0)
-- Returns {code}: 1 ok, -1 missing job, -2 missing lock, -6 lock mismatch, -3 not active.
--@include common
local k = workerKeys()
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
local now = tonumber(ARGV[4])
local delay = tonumber(ARGV[5])
local lockResult = releaseLock(jobKey, ARGV[3], k.stalled, id)
if lockResult < 0 then return {lockResult} end
if redis.call("LREM", k.active, -1, id) == 0 then return {-3} end
local meta = readMeta(k.meta)
local pausedOrMaxed = isPausedOrMaxed(meta, k.active)
redis.call("HINCRBY", jobKey, "atm", 1)
redis.call("HSET", jobKey, "failedReason", ARGV[6])
if ARGV[7] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[7]) end
if ARGV[8] ~= "" then redis.call("HSET", jobKey, "errorCode", ARGV[8]) end
if delay > 0 then
  local due = now + delay
  redis.call("HSET", jobKey, "delay", delay)
  redis.call("ZADD", k.delayed, delayedScore(k.delayed, due), id)
  redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "delayed",
             "jobId", id, "delay", due)
  if not pausedOrMaxed then addDelayMarker(k.marker, k.delayed) end
else
  promoteDelayed(k, base, now, meta.maxEvents, pausedOrMaxed)
  local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
  pushReady(k.wait, k.prioritized, k.pc, priority, id, ARGV[9] == "1")
  if not pausedOrMaxed then redis.call("ZADD", k.marker, "0", "0") end
  redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "waiting",
             "jobId", id, "prev", "active")
end
return {1}
