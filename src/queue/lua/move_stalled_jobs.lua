-- The stalled-job check (BullMQ's moveStalledJobsToWait): at most one run per interval per
-- queue. Suspects from the last run whose lock is gone go back to wait (RPUSH: next), with
-- stc+1; past maxStalledCount they carry the deferred failure `defa`. Then the current active
-- list becomes the next run's suspects.
-- KEYS: the ten worker keys, 11 stalled-check
-- ARGV: 1 base, 2 max stalled count, 3 now, 4 stalled interval ms
-- Returns {recoveredIds...}
--@include common
local k = workerKeys()
local base = ARGV[1]
if redis.call("EXISTS", KEYS[11]) == 1 then return {} end
redis.call("SET", KEYS[11], ARGV[3], "PX", ARGV[4])
local meta = readMeta(k.meta)
redis.call("XTRIM", k.events, "MAXLEN", "~", meta.maxEvents)
local maxStalled = tonumber(ARGV[2])
local recovered = {}
local suspects = redis.call("SMEMBERS", k.stalled)
for _, id in ipairs(suspects) do
  local jobKey = base .. id
  if redis.call("EXISTS", jobKey .. ":lock") == 0 and
     redis.call("LREM", k.active, 1, id) > 0 then
    if redis.call("EXISTS", jobKey) == 1 then
      local stc = redis.call("HINCRBY", jobKey, "stc", 1)
      if stc > maxStalled then
        redis.call("HSET", jobKey, "defa", "job stalled more than allowable limit")
      end
      redis.call("RPUSH", k.wait, id)
      redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "waiting",
                 "jobId", id, "prev", "active")
      redis.call("XADD", k.events, "*", "event", "stalled", "jobId", id)
      recovered[#recovered + 1] = id
    end
  end
end
if #recovered > 0 and not isPausedOrMaxed(meta, k.active) then
  redis.call("ZADD", k.marker, "0", "0")
end
redis.call("DEL", k.stalled)
local active = redis.call("LRANGE", k.active, 0, -1)
if #active > 0 then
  for i = 1, #active, 5000 do
    redis.call("SADD", k.stalled, unpack(active, i, math.min(i + 4999, #active)))
  end
end
return recovered
