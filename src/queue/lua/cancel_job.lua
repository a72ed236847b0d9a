-- Cancels a job (API.md): a waiting, prioritized or delayed job becomes a failed job at once
-- (failedReason "cancelled", errorCode, cancelledAt, finishedOn, `failed` event); an active
-- job gets the key <job>:cancel, which its worker polls, and the field cancelRequestedAt,
-- which a later fetch sees (the worker died before it noticed).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 events, 5 delayed, 6 failed, 7 completed, 8 meta,
--       9 paused (legacy)
-- ARGV: 1 base, 2 job id, 3 now, 4 reason text, 5 error code
-- Optional follow-up job (the job's webhook delivery), added in this call only if the job is
-- cancelled here (1): KEYS 10..18 its queue's add keys, ARGV 6 its queue's base and 7..14 its
-- 8 add values (see addJobs).
-- Returns 1 cancelled now, 2 cancel requested from the active worker, -1 no such job,
-- -2 already finished, -3 in a state that cannot be cancelled (waiting-children, unknown).
--@include common
--@include add
local base = ARGV[1]
local id = ARGV[2]
local jobKey = base .. id
local now = tonumber(ARGV[3])
if redis.call("EXISTS", jobKey) == 0 then return -1 end
if redis.call("ZSCORE", KEYS[7], id) or redis.call("ZSCORE", KEYS[6], id) then return -2 end
local prev
if redis.call("ZREM", KEYS[5], id) == 1 then prev = "delayed"
elseif redis.call("ZREM", KEYS[3], id) == 1 then prev = "waiting"
elseif redis.call("LREM", KEYS[1], 0, id) > 0 then prev = "waiting"
elseif redis.call("LREM", KEYS[9], 0, id) > 0 then prev = "waiting"
elseif redis.call("LPOS", KEYS[2], id) then
  redis.call("SET", jobKey .. ":cancel", now, "PX", 86400000)
  redis.call("HSET", jobKey, "cancelRequestedAt", now)
  return 2
else
  return -3
end
local meta = readMeta(KEYS[8])
redis.call("HSET", jobKey, "failedReason", ARGV[4], "errorCode", ARGV[5], "cancelledAt", now,
           "finishedOn", now)
redis.call("ZADD", KEYS[6], now, id)
redis.call("XADD", KEYS[4], "MAXLEN", "~", meta.maxEventsText, "*", "event", "failed", "jobId", id,
           "failedReason", ARGV[4], "prev", prev)
if KEYS[10] then addJobs(addKeysAt(10), ARGV[6], 7, 14, nil) end
return 1
