-- Renews the locks a worker holds (BullMQ's extendLocks): only where the token still matches;
-- a renewed job is also taken off the stalled suspects.
-- KEYS: 1 stalled
-- ARGV: 1 base, 2 lock ms, then pairs of (jobId, token)
-- Returns the ids whose lock could not be renewed (lost or taken by another worker).
local lost = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local lockKey = ARGV[1] .. id .. ":lock"
  if redis.call("GET", lockKey) == ARGV[i + 1] then
    redis.call("PEXPIRE", lockKey, ARGV[2])
    redis.call("SREM", KEYS[1], id)
  else
    lost[#lost + 1] = id
  end
end
return lost
