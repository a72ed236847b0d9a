-- Adds one or more jobs (BullMQ's addStandardJob / addPrioritizedJob / addDelayedJob in one).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 events, 5 delayed, 6 marker, 7 meta, 8 pc, 9 id
-- ARGV: 1 base key "P:Q:", then 8 values per job:
--   customId ("" = generated), name, data (JSON), opts (JSON), timestamp, delay ms, priority, lifo
--   KEYS 10 (optional, the API's per-owner index): a sorted set that also gets each new job,
--   scored by its timestamp; with it, the last ARGV is a score below which its entries are
--   trimmed ("0": none). One call instead of a second round trip for ZADD + ZREMRANGEBYSCORE.
-- Returns a flat array {jobId, duplicated(0|1), ...}, one pair per job.
--@include common
local k = {wait = KEYS[1], active = KEYS[2], prioritized = KEYS[3], events = KEYS[4],
           delayed = KEYS[5], marker = KEYS[6], meta = KEYS[7], pc = KEYS[8]}
local base = ARGV[1]
local index = KEYS[10]
local lastJobArg = #ARGV
if index then lastJobArg = #ARGV - 1 end
local meta = readMeta(k.meta)
local pausedOrMaxed = isPausedOrMaxed(meta, k.active)
local result = {}
local readyAdded = false
local delayedAdded = false
for i = 2, lastJobArg, 8 do
  local counter = redis.call("INCR", KEYS[9])
  local id = ARGV[i]
  local duplicated = 0
  if id == "" then
    id = tostring(counter)
  elseif redis.call("EXISTS", base .. id) == 1 then
    duplicated = 1
    redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "duplicated",
               "jobId", id)
  end
  if duplicated == 0 then
    local jobKey = base .. id
    local timestamp = tonumber(ARGV[i + 4])
    local delay = tonumber(ARGV[i + 5])
    local priority = tonumber(ARGV[i + 6])
    redis.call("HSET", jobKey, "name", ARGV[i + 1], "data", ARGV[i + 2], "opts", ARGV[i + 3],
               "timestamp", ARGV[i + 4], "delay", ARGV[i + 5], "priority", ARGV[i + 6])
    redis.call("XADD", k.events, "*", "event", "added", "jobId", id, "name", ARGV[i + 1])
    if index then redis.call("ZADD", index, ARGV[i + 4], id) end
    if delay > 0 then
      local score = delayedScore(k.delayed, timestamp + delay)
      redis.call("ZADD", k.delayed, score, id)
      redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "delayed",
                 "jobId", id, "delay", timestamp + delay)
      delayedAdded = true
    else
      pushReady(k.wait, k.prioritized, k.pc, priority, id, ARGV[i + 7] == "1")
      redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "waiting",
                 "jobId", id)
      readyAdded = true
    end
  end
  result[#result + 1] = id
  result[#result + 1] = duplicated
end
if index and ARGV[#ARGV] ~= "0" then
  redis.call("ZREMRANGEBYSCORE", index, "-inf", "(" .. ARGV[#ARGV])
end
if not pausedOrMaxed then
  if readyAdded then redis.call("ZADD", k.marker, "0", "0") end
  if delayedAdded then addDelayMarker(k.marker, k.delayed) end
end
return result
