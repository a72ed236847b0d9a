-- Adds one or more jobs (BullMQ's addStandardJob / addPrioritizedJob / addDelayedJob in one).
-- KEYS: 1 wait, 2 active, 3 prioritized, 4 events, 5 delayed, 6 marker, 7 meta, 8 pc, 9 id
-- ARGV: 1 base key "P:Q:", then 8 values per job:
--   customId ("" = generated), name, data (JSON), opts (JSON), timestamp, delay ms, priority, lifo
--   KEYS 10 (optional, the API's per-owner index): a sorted set that also gets each new job,
--   scored by its timestamp; with it, the last ARGV is a score below which its entries are
--   trimmed ("0": none). One call instead of a second round trip for ZADD + ZREMRANGEBYSCORE.
-- Returns a flat array {jobId, duplicated(0|1), ...}, one pair per job.
--@include common
--@include add
local index = KEYS[10]
local lastJobArg = #ARGV
if index then lastJobArg = #ARGV - 1 end
local result = addJobs(addKeysAt(1), ARGV[1], 2, lastJobArg, index)
if index and ARGV[#ARGV] ~= "0" then
  redis.call("ZREMRANGEBYSCORE", index, "-inf", "(" .. ARGV[#ARGV])
end
return result
