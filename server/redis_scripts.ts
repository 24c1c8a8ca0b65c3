/**
 * The Lua scripts that keep the shared directory consistent in Redis
 * (docs/operations.md, "What is in Redis"). Each runs atomically in Redis, so
 * two instances racing to bind one name cannot both win, and a presence
 * changes owner in one step.
 *
 * Keys (all under the store's prefix, `p2pchat:` by default):
 * - `b:<name key>`: a binding, hash {n: name as spelled, k: key (base64), s: skeleton}, expiring
 *   --name-ttl after its last use (refreshed while its owner is online);
 * - `s:<skeleton>`: set of name keys bound with that confusable skeleton;
 * - `o:<name key>`: a presence, hash {e: the user entry (JSON), i: instance id, x: session id};
 * - `online`: sorted set of the name keys online (all scores 0: ordered by name, for `list`);
 * - `iu:<instance>`: set of the name keys online on that instance;
 * - `i:<instance>`: an instance's heartbeat (its relay address), expiring unless renewed;
 * - `instances`: set of instance ids.
 *
 * @module
 */

/** Binds (if free) and puts online; answers {"ok", old instance, old session} or {"taken"|"confusable", name}. */
export const REGISTER = `
-- KEYS: 1 binding, 2 presence, 3 online, 4 instance users, 5 skeleton set
-- ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl, 6 entry, 7 instance, 8 session, 9 prefix
local bound = redis.call('HGET', KEYS[1], 'k')
if bound and bound ~= ARGV[3] then return {'taken', redis.call('HGET', KEYS[1], 'n')} end
if not bound then
  for _, other in ipairs(redis.call('SMEMBERS', KEYS[5])) do
    if other ~= ARGV[1] then
      local binding = ARGV[9] .. 'b:' .. other
      local key = redis.call('HGET', binding, 'k')
      if not key then
        redis.call('SREM', KEYS[5], other)
      elseif key ~= ARGV[3] then
        return {'confusable', redis.call('HGET', binding, 'n')}
      end
    end
  end
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3], 's', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[5], ARGV[1])
local old = redis.call('HMGET', KEYS[2], 'i', 'x')
redis.call('HSET', KEYS[2], 'e', ARGV[6], 'i', ARGV[7], 'x', ARGV[8])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
if old[1] and old[1] ~= ARGV[7] then redis.call('SREM', ARGV[9] .. 'iu:' .. old[1], ARGV[1]) end
return {'ok', old[1] or '', old[2] or ''}
`;

/** Takes a presence offline if it is still this session's; the binding starts its TTL. */
export const LEAVE = `
-- KEYS: 1 presence, 2 online, 3 instance users, 4 binding
-- ARGV: 1 name key, 2 instance, 3 session, 4 ttl
local owner = redis.call('HMGET', KEYS[1], 'i', 'x')
if owner[1] ~= ARGV[2] or owner[2] ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[4], ARGV[4])
return 1
`;

/** Re-asserts a session's presence after the store was lost: 'ok', 'replaced' or 'taken'. */
export const REASSERT = `
-- KEYS: 1 binding, 2 presence, 3 online, 4 instance users, 5 skeleton set
-- ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl, 6 entry, 7 instance, 8 session
local owner = redis.call('HMGET', KEYS[2], 'i', 'x')
if owner[1] and (owner[1] ~= ARGV[7] or owner[2] ~= ARGV[8]) then return 'replaced' end
local bound = redis.call('HGET', KEYS[1], 'k')
if bound and bound ~= ARGV[3] then return 'taken' end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3], 's', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[5], ARGV[1])
redis.call('HSET', KEYS[2], 'e', ARGV[6], 'i', ARGV[7], 'x', ARGV[8])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 'ok'
`;

/** A page of `list`: the entries of the online names in a lex range. */
export const LIST = `
-- KEYS: 1 online; ARGV: 1 min, 2 max, 3 count, 4 prefix
local names = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for i, name in ipairs(names) do
  out[i] = redis.call('HGET', ARGV[4] .. 'o:' .. name, 'e') or ''
end
return out
`;

/** Removes the users of instances whose heartbeat expired; returns how many. */
export const SWEEP = `
-- KEYS: 1 instances; ARGV: 1 prefix, 2 ttl, 3 this instance
local removed = 0
for _, instance in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if instance ~= ARGV[3] and redis.call('EXISTS', ARGV[1] .. 'i:' .. instance) == 0 then
    local users = ARGV[1] .. 'iu:' .. instance
    for _, name in ipairs(redis.call('SMEMBERS', users)) do
      local presence = ARGV[1] .. 'o:' .. name
      if redis.call('HGET', presence, 'i') == instance then
        redis.call('DEL', presence)
        redis.call('ZREM', ARGV[1] .. 'online', name)
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
-- KEYS: 1 binding, 2 skeleton set; ARGV: 1 name key, 2 name, 3 key, 4 skeleton, 5 ttl left
local bound = redis.call('HGET', KEYS[1], 'k')
if bound then
  if bound == ARGV[3] then return 'present' end
  return 'conflict'
end
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'k', ARGV[3], 's', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
return 'copied'
`;
