-- Appends a line to a job's log list (BullMQ's addLog), keeping the last `keep` lines if > 0.
-- KEYS: 1 job key, 2 logs key
-- ARGV: 1 line, 2 keep (0 = all)
-- Returns the number of lines, or -1 when the job does not exist.
if redis.call("EXISTS", KEYS[1]) == 0 then return -1 end
local n = redis.call("RPUSH", KEYS[2], ARGV[1])
local keep = tonumber(ARGV[2])
if keep > 0 then
  redis.call("LTRIM", KEYS[2], -keep, -1)
  if n > keep then n = keep end
end
return n
