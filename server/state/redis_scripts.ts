/**
 * The Lua scripts that keep the shared directory consistent in Redis
 * (docs/operations.md, "Redis settings"). They decide nothing about names:
 * binding_rules.ts does, in TypeScript, on facts SNAPSHOT read; REGISTER and
 * IMPORT then write what was decided only if those facts are unchanged (a
 * compare-and-set: "retry" when another instance won the race), so two
 * instances racing to bind one name cannot both win, and a presence changes
 * owner in one step.
 *
 * Keys, all under the store's prefix (`p2pchat:`), laid out for memory
 * (about 0.7 KiB per online user, measured by `deno task load`):
 * - `b:<name key>`: a binding, hash {n: name as spelled, k: key (base64),
 *   u: last use (ms)}; Redis expiry only collects it, a margin after it lapsed;
 * - `pk:<name key>`: the prekey kept with the binding, JSON {key, prekey};
 * - `sk`: hash of confusable skeleton -> the name keys bound with it, space-separated;
 * - `o:<name key>`: a presence, the string `<instance> <session> <entry>`,
 *   where entry is the JSON array [name, address, port, key, addresses];
 * - `online`: sorted set of the name keys online (all scores 0: in name order, for `list`);
 * - `iu:<instance>`: set of the name keys online on that instance;
 * - `i:<instance>`: an instance's heartbeat, expiring unless renewed;
 * - `instances`: set of instance ids; `c:<instance>`: its pub/sub channel.
 * - the key-transparency log (docs/protocol.md §15.5, redis_log_store.ts):
 *   `log:e` the entries (a list, appended here with the binding they log),
 *   `log:h` hash of name key -> what the log last says of it
 *   (`bound|lapsed <count> <key, base64>`), `log:due` sorted set of the
 *   name keys by when their binding lapses if unused, `log:n`, `log:c` and
 *   `log:t` the sealed size, its checkpoint and the tree's nodes.
 *
 * @module
 */

/**
 * The facts a registration is decided on: the binding of the name key and
 * of every name key indexed under its skeleton, each as name key, spelling,
 * key, last use, online (1/0) and, for a binding written before `u`
 * existed, its time to live (so its last use can be told). Also a version
 * string of the stored fields, which the writing scripts compare.
 */
const FACTS = `
local function facts(prefix, nk, skeleton)
  local out, version = {}, {}
  local function add(other)
    local binding = prefix .. 'b:' .. other
    local v = redis.call('HMGET', binding, 'n', 'k', 'u')
    local n, k, u = v[1] or '', v[2] or '', v[3] or ''
    local online = redis.call('EXISTS', prefix .. 'o:' .. other)
    local ttl = 0
    if n ~= '' and u == '' then ttl = redis.call('PTTL', binding) end
    table.insert(version, other .. '=' .. n .. '/' .. k .. '/' .. u .. '/' .. online)
    for _, field in ipairs({other, n, k, u, tostring(online), tostring(ttl)}) do
      table.insert(out, field)
    end
  end
  add(nk)
  for other in string.gmatch(redis.call('HGET', prefix .. 'sk', skeleton) or '', '%S+') do
    if other ~= nk then add(other) end
  end
  -- What the key-transparency log last says of the name: part of the facts, so that two
  -- instances never both log a change of it.
  local head = redis.call('HGET', prefix .. 'log:h', nk) or ''
  table.insert(version, 'log=' .. head)
  return table.concat(version, ' '), out, head
end

-- Appends the log entries of a decision (ARGV from 'first' on) and what the log then says of
-- the name; returns the log's length after, as a string ('' when nothing was logged).
local function logged(prefix, nk, head, first)
  if #ARGV < first then return '' end
  local length = 0
  for i = first, #ARGV do length = redis.call('RPUSH', prefix .. 'log:e', ARGV[i]) end
  redis.call('HSET', prefix .. 'log:h', nk, head)
  return tostring(length)
end

-- Adds a name key to its skeleton's entry, dropping entries whose bindings are gone.
local function index(prefix, nk, skeleton)
  local keep, listed = {}, false
  for other in string.gmatch(redis.call('HGET', prefix .. 'sk', skeleton) or '', '%S+') do
    if other == nk then listed = true end
    if other == nk or redis.call('EXISTS', prefix .. 'b:' .. other) == 1 then
      table.insert(keep, other)
    end
  end
  if not listed then
    table.insert(keep, nk)
    redis.call('HSET', prefix .. 'sk', skeleton, table.concat(keep, ' '))
  end
end
`;

/** Reads the facts of a registration: {version, the log's head, then six fields per binding}. */
export const SNAPSHOT: string = FACTS + `
-- ARGV: 1 prefix, 2 name key, 3 skeleton
local version, out, head = facts(ARGV[1], ARGV[2], ARGV[3])
table.insert(out, 1, head)
table.insert(out, 1, version)
return out
`;

/**
 * Writes a decided registration if the facts are unchanged, with the log
 * entries it makes, and puts the session online: {'ok', old instance, old
 * session, log length after ('' when nothing was logged)}, {'retry'}, or
 * {'replaced'} when re-asserting a name another session holds now.
 */
export const REGISTER: string = FACTS + `
-- KEYS: 1 binding, 2 presence, 3 online, 4 instance users, 5 prekey
-- ARGV: 1 prefix, 2 name key, 3 skeleton, 4 version, 5 write binding (1/0), 6 name, 7 key,
--       8 last use, 9 collect after (ms), 10 prekey change (put/drop/keep), 11 prekey,
--       12 entry, 13 instance, 14 session, 15 mode (register/reassert),
--       16 the log's head after, 17 when the binding lapses unused (ms), 18... log entries
if facts(ARGV[1], ARGV[2], ARGV[3]) ~= ARGV[4] then return {'retry'} end
local old = redis.call('GET', KEYS[2])
local instance, session = '', ''
if old then instance, session = string.match(old, '^(%S+) (%S+) ') end
if ARGV[15] == 'reassert' and old and (instance ~= ARGV[13] or session ~= ARGV[14]) then
  return {'replaced'}
end
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'n', ARGV[6], 'k', ARGV[7], 'u', ARGV[8])
  index(ARGV[1], ARGV[2], ARGV[3])
  redis.call('ZADD', ARGV[1] .. 'log:due', ARGV[17], ARGV[2])
end
local length = logged(ARGV[1], ARGV[2], ARGV[16], 18)
redis.call('PEXPIRE', KEYS[1], ARGV[9])
if ARGV[10] == 'put' then
  redis.call('SET', KEYS[5], ARGV[11], 'PX', ARGV[9])
elseif ARGV[10] == 'drop' then
  redis.call('DEL', KEYS[5])
else
  redis.call('PEXPIRE', KEYS[5], ARGV[9])
end
redis.call('SET', KEYS[2], ARGV[13] .. ' ' .. ARGV[14] .. ' ' .. ARGV[12])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
if not old then return {'ok', '', '', length} end
if instance ~= ARGV[13] then redis.call('SREM', ARGV[1] .. 'iu:' .. instance, ARGV[2]) end
return {'ok', instance, session, length}
`;

/**
 * Imports a binding decided free (store copy) if the facts are unchanged,
 * with the log entries it makes: 'copied' or 'retry'.
 */
export const IMPORT: string = FACTS + `
-- KEYS: 1 binding, 2 prekey
-- ARGV: 1 prefix, 2 name key, 3 skeleton, 4 version, 5 name, 6 key, 7 last use,
--       8 collect after (ms), 9 prekey ('' for none), 10 the log's head after,
--       11 when the binding lapses unused (ms), 12... log entries
if facts(ARGV[1], ARGV[2], ARGV[3]) ~= ARGV[4] then return 'retry' end
logged(ARGV[1], ARGV[2], ARGV[10], 12)
redis.call('ZADD', ARGV[1] .. 'log:due', ARGV[11], ARGV[2])
redis.call('HSET', KEYS[1], 'n', ARGV[5], 'k', ARGV[6], 'u', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
index(ARGV[1], ARGV[2], ARGV[3])
if ARGV[9] ~= '' then
  redis.call('SET', KEYS[2], ARGV[9], 'PX', ARGV[8])
else
  redis.call('DEL', KEYS[2])
end
return 'copied'
`;

/** Takes a presence offline if it is still this session's; its binding's last use is now. */
export const LEAVE = `
-- KEYS: 1 presence, 2 online, 3 instance users, 4 binding, 5 prekey, 6 the log's lapse times
-- ARGV: 1 name key, 2 instance, 3 session, 4 key, 5 now, 6 collect after (ms),
--       7 when the binding lapses unused (ms)
local instance, session = string.match(redis.call('GET', KEYS[1]) or '', '^(%S+) (%S+) ')
if instance ~= ARGV[2] or session ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('SREM', KEYS[3], ARGV[1])
if redis.call('HGET', KEYS[4], 'k') == ARGV[4] then
  redis.call('HSET', KEYS[4], 'u', ARGV[5])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
  redis.call('PEXPIRE', KEYS[5], ARGV[6])
  redis.call('ZADD', KEYS[6], ARGV[7], ARGV[1])
end
return 1
`;

/** Rewrites the last use of bindings still held by the given keys; returns how many. */
export const TOUCH = `
-- ARGV: 1 prefix, 2 now, 3 collect after (ms), 4 when they lapse unused (ms),
--       then pairs of name key and key
local n = 0
for i = 5, #ARGV, 2 do
  local binding = ARGV[1] .. 'b:' .. ARGV[i]
  if redis.call('HGET', binding, 'k') == ARGV[i + 1] then
    redis.call('HSET', binding, 'u', ARGV[2])
    redis.call('PEXPIRE', binding, ARGV[3])
    redis.call('PEXPIRE', ARGV[1] .. 'pk:' .. ARGV[i], ARGV[3])
    redis.call('ZADD', ARGV[1] .. 'log:due', ARGV[4], ARGV[i])
    n = n + 1
  end
end
return n
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

/**
 * Removes the users of instances whose heartbeat expired; returns how many.
 * Their bindings keep the last use their instance last wrote, as after a
 * crash of a single process.
 */
export const SWEEP = `
-- KEYS: 1 instances, 2 online; ARGV: 1 prefix, 2 collect after (ms), 3 this instance
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

// Key transparency (docs/protocol.md §15.5).

/**
 * Logs the lapse of a binding decided lapsed, if the facts are unchanged:
 * the log's length after ('' when nothing was logged: the log did not say
 * it was bound), or 'retry'.
 */
export const LAPSE: string = FACTS + `
-- ARGV: 1 prefix, 2 name key, 3 skeleton, 4 version, 5 the log's head after, 6... the entry
if facts(ARGV[1], ARGV[2], ARGV[3]) ~= ARGV[4] then return 'retry' end
redis.call('ZREM', ARGV[1] .. 'log:due', ARGV[2])
return logged(ARGV[1], ARGV[2], ARGV[5], 6)
`;

/**
 * Logs a binding made before the log existed as its first bind, unless the
 * log says something of the name already or the binding changed: the log's
 * length after, or 0.
 */
export const ADOPT = `
-- ARGV: 1 prefix, 2 name key, 3 key (base64) the binding must hold, 4 the log's head after,
--       5 when the binding lapses unused (ms), 6 the entry
if redis.call('HEXISTS', ARGV[1] .. 'log:h', ARGV[2]) == 1 then return 0 end
if redis.call('HGET', ARGV[1] .. 'b:' .. ARGV[2], 'k') ~= ARGV[3] then return 0 end
local length = redis.call('RPUSH', ARGV[1] .. 'log:e', ARGV[6])
redis.call('HSET', ARGV[1] .. 'log:h', ARGV[2], ARGV[4])
redis.call('ZADD', ARGV[1] .. 'log:due', ARGV[5], ARGV[2])
return length
`;

/**
 * Seals a batch if the sealed size is still the one it extends: stores its
 * nodes, the new size and checkpoint, and tells every instance; 1, or 0
 * when another instance sealed first.
 */
export const SEAL = `
-- KEYS: 1 sealed size, 2 nodes, 3 checkpoint, 4 entries
-- ARGV: 1 the size it extends, 2 the new size, 3 the checkpoint, 4 the channel,
--       then pairs of node id and hash
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
if redis.call('LLEN', KEYS[4]) < tonumber(ARGV[2]) then return 0 end
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('PUBLISH', ARGV[4], 'log ' .. ARGV[2])
return 1
`;
