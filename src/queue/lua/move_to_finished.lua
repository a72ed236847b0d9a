-- Completes a job or fails it for good (BullMQ's moveToFinished), then optionally fetches the
-- next job with the same token, so a busy worker makes one round trip per job.
-- KEYS: the ten worker keys, 11 target set (completed or failed)
-- ARGV: 1 base, 2 id, 3 token, 4 now, 5 "completed"|"failed", 6 returnvalue JSON | failedReason,
--       7 keep count (-1 all), 8 keep age s (0 none), 9 keep limit, 10 fetch next (1|0),
--       11 lock ms, 12 limiter max, 13 limiter duration ms, 14 worker name,
--       15 attempts (opts), 16 stacktrace JSON ("" unchanged), 17 errorCode ("" none),
--       18 cancelledAt ("" none), 19 attempts made after this one (atm), 20 delete cancel key (1|0)
-- Optional follow-up job (the job's webhook delivery), added in this call only if the job ends
-- here: KEYS 12..20 its queue's add keys (see addKeysAt), ARGV 21 its queue's base and 22..29
-- its 8 add values (see addJobs; a custom id makes a repeated add a no-op).
-- Returns {code, nextId, nextHash, rateLimitPttl, nextDelayedMs, cancelRequested};
-- code 1 ok, -1 missing job, -2 missing lock, -6 lock mismatch, -3 not active.
--@include common
--@include add
local k = workerKeys()
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
local now = tonumber(ARGV[4])
local lockResult = releaseLock(jobKey, ARGV[3], k.stalled, id)
if lockResult < 0 then return {lockResult} end
if redis.call("LREM", k.active, -1, id) == 0 then return {-3} end
local meta = readMeta(k.meta)
-- atm is passed in (the worker read it at fetch and holds the lock): one HSET instead of HINCRBY.
local atm = tonumber(ARGV[19])
local completed = ARGV[5] == "completed"
local keepCount = tonumber(ARGV[7])
if keepCount == 0 then
  removeJobKeys(base, id)
else
  redis.call("ZADD", KEYS[11], ARGV[4], id)
  if completed then
    redis.call("HSET", jobKey, "returnvalue", ARGV[6], "finishedOn", ARGV[4], "atm", ARGV[19])
  else
    redis.call("HSET", jobKey, "failedReason", ARGV[6], "finishedOn", ARGV[4], "atm", ARGV[19])
    if ARGV[16] ~= "" then redis.call("HSET", jobKey, "stacktrace", ARGV[16]) end
    if ARGV[17] ~= "" then redis.call("HSET", jobKey, "errorCode", ARGV[17]) end
    if ARGV[18] ~= "" then redis.call("HSET", jobKey, "cancelledAt", ARGV[18]) end
    redis.call("HDEL", jobKey, "defa")
  end
  if ARGV[20] == "1" then
    redis.call("DEL", jobKey .. ":cancel")
    redis.call("HDEL", jobKey, "cancelRequestedAt")
  end
  trimFinished(KEYS[11], base, now, keepCount, tonumber(ARGV[8]), tonumber(ARGV[9]))
end
if completed then
  redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "completed",
             "jobId", id, "returnvalue", ARGV[6], "prev", "active")
else
  redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "failed",
             "jobId", id, "failedReason", ARGV[6], "prev", "active")
  if atm >= (tonumber(ARGV[15]) or 0) then
    redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event",
               "retries-exhausted", "jobId", id, "attemptsMade", atm)
  end
end
if KEYS[12] then addJobs(addKeysAt(12), ARGV[21], 22, 29, nil) end
if ARGV[10] == "1" then
  local limDuration = tonumber(ARGV[13])
  if limDuration == 0 then limDuration = nil end
  local r = fetchNextJob(k, meta, base, ARGV[3], ARGV[11], ARGV[4], tonumber(ARGV[12]),
                         limDuration, ARGV[14])
  if r[1] ~= "" then return {1, r[1], r[2], r[3], r[4], r[5]} end
  if redis.call("LLEN", k.wait) == 0 and redis.call("LLEN", k.active) == 0 and
     redis.call("ZCARD", k.prioritized) == 0 then
    redis.call("XADD", k.events, "*", "event", "drained")
  end
  return {1, "", {}, r[3], r[4], 0}
end
if redis.call("LLEN", k.wait) == 0 and redis.call("LLEN", k.active) == 0 and
   redis.call("ZCARD", k.prioritized) == 0 then
  redis.call("XADD", k.events, "*", "event", "drained")
end
return {1, "", {}, 0, nextDelayedTimestamp(k.delayed), 0}
