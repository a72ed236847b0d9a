-- Adding jobs (BullMQ's addStandardJob / addPrioritizedJob / addDelayedJob in one), shared by
-- add_jobs and by the scripts that end a job and add a follow-up job (its webhook delivery) in
-- the same call. Needs "common".

-- The add keys of a queue from KEYS[first] on: wait, active, prioritized, events, delayed,
-- marker, meta, pc, id.
local function addKeysAt(first)
  return {wait = KEYS[first], active = KEYS[first + 1], prioritized = KEYS[first + 2],
          events = KEYS[first + 3], delayed = KEYS[first + 4], marker = KEYS[first + 5],
          meta = KEYS[first + 6], pc = KEYS[first + 7], id = KEYS[first + 8]}
end

-- Adds the jobs whose values are ARGV[first..last], 8 per job: customId ("" = generated), name,
-- data (JSON), opts (JSON), timestamp, delay ms, priority, lifo. `base` is the queue's "P:Q:";
-- `index` (optional) a sorted set that also gets each new job, scored by its timestamp.
-- Returns a flat array {jobId, duplicated(0|1), ...}, one pair per job.
local function addJobs(k, base, first, last, index)
  local meta = readMeta(k.meta)
  local pausedOrMaxed = isPausedOrMaxed(meta, k.active)
  local result = {}
  local readyAdded = false
  local delayedAdded = false
  for i = first, last, 8 do
    local counter = redis.call("INCR", k.id)
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
  if not pausedOrMaxed then
    if readyAdded then redis.call("ZADD", k.marker, "0", "0") end
    if delayedAdded then addDelayMarker(k.marker, k.delayed) end
  end
  return result
end
