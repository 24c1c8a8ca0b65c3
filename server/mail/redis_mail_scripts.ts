/**
 * The Lua scripts of the Redis mailbox (redis_mailbox.ts), each atomic
 * across instances. Per recipient: `m:<to>` (id -> `<stored> <sender>
 * <sealed base64>`), `mt:<to>` (ids by stored time), `mc:<to>` (counters of
 * live messages: n, b bytes, s:<sender>); `mid` the id counter; `mq` every
 * recipient with mail, scored by its oldest message's time, so that a purge
 * finds expired mail without scanning. Bytes are the sealed envelope's exact
 * length (base64 length × 3/4 less the padding), as SQLite counts them.
 *
 * @module
 */

/** Shared helpers: exact bytes of a base64 text, dropping one message, re-scoring a mailbox. */
const HELPERS = `
local function bytes(b64)
  local pad = 0
  if string.sub(b64, -2) == '==' then pad = 2 elseif string.sub(b64, -1) == '=' then pad = 1 end
  return math.floor(#b64 / 4) * 3 - pad
end

local function drop(m, mt, mc, id)
  local v = redis.call('HGET', m, id)
  local dropped = 0
  if v then
    local sender, sealed = string.match(v, '^%d+ (%S+) (%S*)$')
    redis.call('HINCRBY', mc, 'b', -bytes(sealed))
    redis.call('HINCRBY', mc, 's:' .. sender, -1)
    -- An empty mailbox starts its counters afresh (counts written before exact bytes go too).
    if redis.call('HINCRBY', mc, 'n', -1) <= 0 then redis.call('DEL', mc) end
    redis.call('HDEL', m, id)
    dropped = 1
  end
  redis.call('ZREM', mt, id)
  return dropped
end

local function rescore(mq, mt, to)
  local first = redis.call('ZRANGE', mt, 0, 0, 'WITHSCORES')
  if first[2] then redis.call('ZADD', mq, first[2], to) else redis.call('ZREM', mq, to) end
end
`;

/** Drops the expired messages of one mailbox, checks the bounds, and holds one more. */
export const DEPOSIT: string = HELPERS + `
-- KEYS: 1 m:<to>, 2 mt:<to>, 3 mc:<to>, 4 the id counter, 5 mq
-- ARGV: 1 sender, 2 sealed (base64), 3 now, 4 ttl, 5 max messages, 6 max bytes,
--       7 max from sender, 8 recipient, 9 collect after (ms)
local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl)) do
  drop(KEYS[1], KEYS[2], KEYS[3], id)
end
local c = redis.call('HMGET', KEYS[3], 'n', 'b', 's:' .. ARGV[1])
local n, held, mine = tonumber(c[1] or 0), tonumber(c[2] or 0), tonumber(c[3] or 0)
local size = bytes(ARGV[2])
local outcome = nil
if n >= tonumber(ARGV[5]) then outcome = {'full', 'messages'}
elseif held + size > tonumber(ARGV[6]) then outcome = {'full', 'bytes'}
elseif mine >= tonumber(ARGV[7]) then outcome = {'full', 'sender'} end
if outcome then
  rescore(KEYS[5], KEYS[2], ARGV[8])
  return outcome
end
local id = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], id, ARGV[3] .. ' ' .. ARGV[1] .. ' ' .. ARGV[2])
redis.call('ZADD', KEYS[2], now, id)
redis.call('HINCRBY', KEYS[3], 'n', 1)
redis.call('HINCRBY', KEYS[3], 'b', size)
redis.call('HINCRBY', KEYS[3], 's:' .. ARGV[1], 1)
-- Expiry in Redis only collects a mailbox forgotten by the purge, a margin after its TTL.
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[9]) end
rescore(KEYS[5], KEYS[2], ARGV[8])
return {'ok', tostring(id)}
`;

/** Deletes delivered messages of one mailbox. */
export const ACK: string = HELPERS + `
-- KEYS: 1 m:<to>, 2 mt:<to>, 3 mc:<to>, 4 mq; ARGV: 1 recipient, then the ids
for i = 2, #ARGV do drop(KEYS[1], KEYS[2], KEYS[3], ARGV[i]) end
rescore(KEYS[4], KEYS[2], ARGV[1])
return 0
`;

/**
 * Deletes the expired messages of up to `batch` mailboxes whose oldest
 * message expired; returns {messages deleted, mailboxes visited}.
 */
export const PURGE: string = HELPERS + `
-- KEYS: 1 mq; ARGV: 1 prefix, 2 cutoff (stored at or before it: expired), 3 batch
local deleted = 0
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, to in ipairs(due) do
  local m, mt, mc = ARGV[1] .. 'm:' .. to, ARGV[1] .. 'mt:' .. to, ARGV[1] .. 'mc:' .. to
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', mt, '-inf', ARGV[2])) do
    deleted = deleted + drop(m, mt, mc, id)
  end
  rescore(KEYS[1], mt, to)
end
return {deleted, #due}
`;
