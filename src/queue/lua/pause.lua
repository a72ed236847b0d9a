-- Pauses or resumes the queue with BullMQ 6.x semantics. Pause: meta.paused=1 and the marker is
-- deleted; jobs stay in wait. Resume: drop meta.paused, move a legacy 5.x `paused` list back
-- into wait, then set the marker ("0" if jobs are ready, else the delayed one).
-- KEYS: 1 meta, 2 marker, 3 events, 4 wait, 5 paused (legacy), 6 prioritized, 7 delayed
-- ARGV: 1 "paused" | "resumed"
if ARGV[1] == "paused" then
  redis.call("HSET", KEYS[1], "paused", 1)
  redis.call("DEL", KEYS[2])
else
  redis.call("HDEL", KEYS[1], "paused")
  if redis.call("EXISTS", KEYS[5]) == 1 then
    if redis.call("EXISTS", KEYS[4]) == 0 then
      redis.call("RENAME", KEYS[5], KEYS[4])
    else
      while true do
        local ids = redis.call("LRANGE", KEYS[5], -7000, -1)
        if #ids == 0 then break end
        -- Oldest first (right end) keeps the queue's order: they go behind nothing newer.
        for i = #ids, 1, -1 do redis.call("LPUSH", KEYS[4], ids[i]) end
        redis.call("LTRIM", KEYS[5], 0, -(#ids + 1))
      end
      redis.call("DEL", KEYS[5])
    end
  end
  if redis.call("LLEN", KEYS[4]) > 0 or redis.call("ZCARD", KEYS[6]) > 0 then
    redis.call("ZADD", KEYS[2], 0, "0")
  else
    local first = redis.call("ZRANGE", KEYS[7], 0, 0, "WITHSCORES")
    if #first > 0 then
      redis.call("ZADD", KEYS[2], math.floor(tonumber(first[2]) / 4096), "1")
    end
  end
end
redis.call("XADD", KEYS[3], "*", "event", ARGV[1])
return 1
