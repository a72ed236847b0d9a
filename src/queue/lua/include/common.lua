-- Helpers shared by the queue's scripts; pasted into each script that includes "common".
-- Every timestamp comes from the caller (epoch ms), never from the Redis clock (BullMQ's rule).
-- Numbers are handed to redis.call as Lua numbers (Redis formats them with %.17g), never via
-- tostring(), so delayed scores near 2^53 keep their precision.

-- Reads the queue's settings in one HMGET. maxLenEvents is written back when missing, as BullMQ does.
local function readMeta(metaKey)
  local m = redis.call("HMGET", metaKey, "paused", "concurrency", "max", "duration",
                       "opts.maxLenEvents")
  local maxEvents = tonumber(m[5])
  if not maxEvents then
    maxEvents = 10000
    redis.call("HSET", metaKey, "opts.maxLenEvents", maxEvents)
  end
  return {paused = m[1], concurrency = tonumber(m[2]), max = tonumber(m[3]),
          duration = tonumber(m[4]), maxEvents = maxEvents, maxEventsText = m[5] or "10000"}
end

-- "Paused or maxed": producers skip the "0" marker and fetches return nothing.
local function isPausedOrMaxed(meta, activeKey)
  if meta.paused then return true end
  if meta.concurrency then return redis.call("LLEN", activeKey) >= meta.concurrency end
  return false
end

-- Score priority*2^32 + (INCR pc mod 2^32): lower runs first, FIFO inside a priority.
local function addToPrioritized(prioritizedKey, pcKey, priority, id)
  local counter = redis.call("INCR", pcKey)
  redis.call("ZADD", prioritizedKey, priority * 0x100000000 + counter % 0x100000000, id)
end

-- Score dueMs*4096 + n, n one past the highest score already due that millisecond (FIFO).
local function delayedScore(delayedKey, dueMs)
  local base = dueMs * 4096
  local last = redis.call("ZREVRANGEBYSCORE", delayedKey, base + 4095, base, "WITHSCORES",
                          "LIMIT", 0, 1)
  if #last > 0 then
    local n = tonumber(last[2]) - base + 1
    if n > 4095 then n = 4095 end
    return base + n
  end
  return base
end

-- The "1" marker carries the next delayed due time so idle workers wake up then.
local function addDelayMarker(markerKey, delayedKey)
  local first = redis.call("ZRANGE", delayedKey, 0, 0, "WITHSCORES")
  if #first > 0 then
    redis.call("ZADD", markerKey, math.floor(tonumber(first[2]) / 4096), "1")
  end
end

local function nextDelayedTimestamp(delayedKey)
  local first = redis.call("ZRANGE", delayedKey, 0, 0, "WITHSCORES")
  if #first > 0 then return math.floor(tonumber(first[2]) / 4096) end
  return 0
end

-- Pushes a job that is ready to run: wait (LPUSH, RPUSH for lifo/next) or prioritized.
local function pushReady(waitKey, prioritizedKey, pcKey, priority, id, toFront)
  if priority > 0 then
    addToPrioritized(prioritizedKey, pcKey, priority, id)
  elseif toFront then
    redis.call("RPUSH", waitKey, id)
  else
    redis.call("LPUSH", waitKey, id)
  end
end

-- Moves delayed jobs that are due (up to 1000) to wait/prioritized, emitting waiting prev=delayed.
local function promoteDelayed(k, base, now, maxEvents, pausedOrMaxed)
  -- Peek first: the common case (nothing due) costs one ZRANGE and no number formatting.
  local first = redis.call("ZRANGE", k.delayed, "0", "0", "WITHSCORES")
  if #first == 0 or tonumber(first[2]) >= (now + 1) * 4096 then return end
  local ids = redis.call("ZRANGEBYSCORE", k.delayed, 0, (now + 1) * 4096 - 1, "LIMIT", 0, 1000)
  if #ids == 0 then return end
  redis.call("ZREM", k.delayed, unpack(ids))
  for _, id in ipairs(ids) do
    local jobKey = base .. id
    local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
    pushReady(k.wait, k.prioritized, k.pc, priority, id, false)
    redis.call("XADD", k.events, "*", "event", "waiting", "jobId", id, "prev", "delayed")
    redis.call("HSET", jobKey, "delay", 0)
  end
  if not pausedOrMaxed then redis.call("ZADD", k.marker, "0", "0") end
end

-- Checks that the job exists and that `token` holds its lock, then releases the lock. Token
-- "0" means "no lock" (manual moves). Returns 0, -1 (no job), -2 (missing lock) or -6 (held by
-- another token). A matching lock proves the job exists (remove refuses locked jobs), which
-- saves an EXISTS on the hot path.
local function releaseLock(jobKey, token, stalledKey, id)
  if token == "0" then
    if redis.call("EXISTS", jobKey) == 0 then return -1 end
    return 0
  end
  local lockKey = jobKey .. ":lock"
  local lock = redis.call("GET", lockKey)
  if lock ~= token then
    if redis.call("EXISTS", jobKey) == 0 then return -1 end
    if not lock then return -2 end
    return -6
  end
  -- SREM keeps `stalled` as BullMQ leaves it (empty once nothing is active).
  redis.call("DEL", lockKey)
  redis.call("SREM", stalledKey, id)
  return 0
end

local function removeJobKeys(base, id)
  local jobKey = base .. id
  redis.call("DEL", jobKey, jobKey .. ":logs", jobKey .. ":dependencies", jobKey .. ":processed",
             jobKey .. ":failed", jobKey .. ":unsuccessful", jobKey .. ":cancel")
end

-- Retention of a finished set: age (seconds, up to limit per call) and count (newest kept).
local function trimFinished(targetKey, base, now, count, ageS, limit)
  if ageS > 0 then
    local old = redis.call("ZRANGEBYSCORE", targetKey, 0, now - ageS * 1000, "LIMIT", 0, limit)
    if #old > 0 then
      for _, id in ipairs(old) do removeJobKeys(base, id) end
      redis.call("ZREM", targetKey, unpack(old))
    end
  end
  if count > 0 then
    local extra = redis.call("ZREVRANGE", targetKey, count, -1)
    if #extra > 0 then
      for _, id in ipairs(extra) do removeJobKeys(base, id) end
      redis.call("ZREMRANGEBYRANK", targetKey, 0, -(count + 1))
    end
  end
end

-- Fetch ("moveToActive"): promote, rate limit, pop wait then prioritized, lock, mark active.
-- Returns {id, hash, rateLimitPttl, nextDelayedMs, cancelRequested}; id "" when none.
-- lockMs and nowText are the caller's ARGV strings (no number formatting on the hot path).
local function fetchNextJob(k, meta, base, token, lockMs, nowText, limMax, limDuration, workerName)
  local now = tonumber(nowText)
  local pausedOrMaxed = isPausedOrMaxed(meta, k.active)
  promoteDelayed(k, base, now, meta.maxEvents, pausedOrMaxed)
  local maxJobs = meta.max or limMax
  if maxJobs and maxJobs > 0 then
    local count = tonumber(redis.call("GET", k.limiter)) or 0
    if count >= maxJobs then
      local pttl = redis.call("PTTL", k.limiter)
      if pttl > 0 then return {"", {}, pttl, 0, 0} end
      redis.call("DEL", k.limiter)
    end
  end
  if pausedOrMaxed then return {"", {}, 0, 0, 0} end
  local id
  local jobKey
  local hash
  for _ = 1, 10 do
    id = redis.call("RPOPLPUSH", k.wait, k.active)
    if not id then
      local p = redis.call("ZPOPMIN", k.prioritized)
      if #p > 0 then
        id = p[1]
        redis.call("LPUSH", k.active, id)
      else
        redis.call("DEL", k.pc)
      end
    end
    if not id then break end
    jobKey = base .. id
    -- Legacy "0:" markers and ids without a hash are dropped, not handed to a worker.
    if string.sub(id, 1, 2) ~= "0:" then
      hash = redis.call("HGETALL", jobKey)
      if #hash > 0 then break end
    end
    redis.call("LREM", k.active, 1, id)
    id = nil
  end
  if not id then return {"", {}, 0, nextDelayedTimestamp(k.delayed), 0} end
  if maxJobs and maxJobs > 0 then
    if redis.call("INCR", k.limiter) == 1 then
      redis.call("PEXPIRE", k.limiter, limDuration or meta.duration or 1000)
    end
  end
  if token ~= "0" then redis.call("SET", jobKey .. ":lock", token, "PX", lockMs) end
  redis.call("XADD", k.events, "MAXLEN", "~", meta.maxEventsText, "*", "event", "active", "jobId", id,
             "prev", "waiting")
  -- ats+1 and processedOn in one HSET; the hash returned is the one read before this write
  -- (the caller applies the same two updates to its copy).
  -- A cancel requested while the job was active elsewhere (its worker died) shows up as the
  -- hash field cancelRequestedAt (set with the :cancel key), read here for free.
  local ats = 1
  local cancelled = 0
  for i = 1, #hash, 2 do
    if hash[i] == "ats" then ats = (tonumber(hash[i + 1]) or 0) + 1 end
    if hash[i] == "cancelRequestedAt" then cancelled = 1 end
  end
  if workerName ~= "" then
    redis.call("HSET", jobKey, "processedOn", nowText, "ats", ats, "pb", workerName)
  else
    redis.call("HSET", jobKey, "processedOn", nowText, "ats", ats)
  end
  redis.call("ZADD", k.marker, "0", "0")
  return {id, hash, 0, 0, cancelled}
end

-- The ten keys every worker-side script receives, in this order.
local function workerKeys()
  return {wait = KEYS[1], active = KEYS[2], prioritized = KEYS[3], events = KEYS[4],
          stalled = KEYS[5], limiter = KEYS[6], delayed = KEYS[7], marker = KEYS[8],
          meta = KEYS[9], pc = KEYS[10]}
end
