/**
 * The Lua scripts that keep the shared directory consistent in Redis
 * (docs/operations.md, "Redis settings"). Each runs atomically in Redis, so
 * two instances racing to bind one name cannot both win, and a presence
 * changes owner in one step.
 *
 * Keys, all under the store's prefix (`p2pchat:`), laid out for memory
 * (about 0.7 KiB per online user, measured by `deno task load`):
 * - `b:<name key>`: a binding, hash {n: name as spelled, k: key (base64)},
 *   expiring --name-ttl after its last use (renewed while its owner is online);
 * - `sk`: hash of confusable skeleton -> the name keys bound with it, space-separated;
 * - `o:<name key>`: a presence, the string `<instance> <session> <entry>`,
 *   where entry is the JSON array [name, address, port, key, addresses];
 * - `online`: sorted set of the name keys online (all scores 0: in name order, for `list`);
 * - `iu:<instance>`: set of the name keys online on that instance;
 * - `i:<instance>`: an instance's heartbeat, expiring unless renewed;
 * - `instances`: set of instance ids; `c:<instance>`: its pub/sub channel.
 *
 * @module
 */

/** Binds (if free) and puts online; answers {"ok", old instance, old session} or {"taken"|"confusable", name}. */
export const REGISTER = `
-- KEYS: 1 binding, 2 presence, 3 online, 4 instance users, 5 skeletons
-- ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl, 6 entry, 7 instance, 8 session, 9 prefix
local bound = redis.call('HGET', KEYS[1], 'k')
if bound and bound ~= ARGV[3] then return {'taken', redis.call('HGET', KEYS[1], 'n')} end
if not bound then
  local keep = {}
  for other in string.gmatch(redis.call('HGET', KEYS[5], ARGV[4]) or '', '%S+') do
    if other ~= ARGV[1] then
      local binding = ARGV[9] .. 'b:' .. other
      local key = redis.call('HGET', binding, 'k')
      if key and key ~= ARGV[3] then return {'confusable', redis.call('HGET', binding, 'n')} end
      if key then table.insert(keep, other) end
    end
  end
  table.insert(keep, ARGV[1])
  redis.call('HSET', KEYS[5], ARGV[4], table.concat(keep, ' '))
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local old = redis.call('GET', KEYS[2])
redis.call('SET', KEYS[2], ARGV[7] .. ' ' .. ARGV[8] .. ' ' .. ARGV[6])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
if not old then return {'ok', '', ''} end
local instance, session = string.match(old, '^(%S+) (%S+) ')
if instance ~= ARGV[7] then redis.call('SREM', ARGV[9] .. 'iu:' .. instance, ARGV[1]) end
return {'ok', instance, session}
`;

/** Takes a presence offline if it is still this session's; the binding starts its TTL. */
export const LEAVE = `
-- KEYS: 1 presence, 2 online, 3 instance users, 4 binding
-- ARGV: 1 name key, 2 instance, 3 session, 4 ttl
local instance, session = string.match(redis.call('GET', KEYS[1]) or '', '^(%S+) (%S+) ')
if instance ~= ARGV[2] or session ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
return 1
`;

/** Re-asserts a session's presence after the store was lost: 'ok', 'replaced' or 'taken'. */
export const REASSERT = `
-- KEYS: 1 binding, 2 presence, 3 online, 4 instance users, 5 skeletons
-- ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl, 6 entry, 7 instance, 8 session
local instance, session = string.match(redis.call('GET', KEYS[2]) or '', '^(%S+) (%S+) ')
if instance and (instance ~= ARGV[7] or session ~= ARGV[8]) then return 'replaced' end
local bound = redis.call('HGET', KEYS[1], 'k')
if bound and bound ~= ARGV[3] then return 'taken' end
if not bound then
  local others = redis.call('HGET', KEYS[5], ARGV[4])
  redis.call('HSET', KEYS[5], ARGV[4], others and (others .. ' ' .. ARGV[1]) or ARGV[1])
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SET', KEYS[2], ARGV[7] .. ' ' .. ARGV[8] .. ' ' .. ARGV[6])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 'ok'
`;

/** A page of `list`: the presences of the online names in a lex range. */
export const LIST = `
-- KEYS: 1 online; ARGV: 1 min, 2 max, 3 count, 4 prefix
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, name in ipairs(names) do
  out[i] = redis.call('GET', ARGV[4] .. 'o:' .. name) or ''
end
return out
`;

/** Removes the users of instances whose heartbeat expired; returns how many. */
export const SWEEP = `
-- KEYS: 1 instances, 2 online; ARGV: 1 prefix, 2 ttl, 3 this instance
local removed = 0
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if instance ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. 'i:' .. instance) == 0 then
    local users = ARGV[1] .. 'iu:' .. instance
    for _, name in ipairs(redis.call('SMEMBERS', users)) do
      local presence = ARGV[1] .. 'o:' .. name
      if string.match(redis.call('GET', presence) or '', '^(%S+) ') == instance then
        redis.call('DEL', presence)
        redis.call('ZREM', KEYS[2], name)
        redis.call('PEXPIRE', ARGV[1] .. 'b:' .. name, ARGV[2])
        removed = removed + 1
      end
    end
    redis.call('DEL', users)
    redis.call('SREM', KEYS[1], instance)
  end
end
return removed
`;

/**
 * Imports one binding (store copy): 'copied', 'present' (same key) or
 * 'conflict' (another key holds the name).
 */
export const IMPORT = `
-- KEYS: 1 binding, 2 skeletons; ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl left
local bound = redis.call('HGET', KEYS[1], 'k')
if bound then
  if bound == ARGV[3] then return 'present' end
  return 'conflict'
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local others = redis.call('HGET', KEYS[2], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[4], others and (others .. ' ' .. ARGV[1]) or ARGV[1])
return 'copied'
`;
