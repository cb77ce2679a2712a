/**
 * The Lua of instance placement (locations.ts). Per partition P:
 *   P..'loc'    hash  id -> '<token>|<partition>': in the id's home partition only, for an id placed away from
 *                     home (absent: it lives at home). The authority on where the id lives.
 *   P..'here'   hash  '<id>|<token>' -> '1': in the partition an id is placed in (away from home), the token of
 *                     its placement. A create there must carry that token: one routed by a placement that has
 *                     moved on finds no such field and is refused.
 * A create at home is refused when the home partition's 'loc' places the id away.
 */

/**
 * Before CREATE_INSTANCE (prelude + guard + body): ARGV[1] the id, ARGV[#ARGV] the placement token ('' = home).
 * Refused ({ 3 }) when no instance exists here and this is not where the id is placed.
 */
export const CREATE_GUARD = `
do
  local gid, gt = ARGV[1], ARGV[#ARGV]
  if redis.call('EXISTS', P .. 'i:' .. gid) == 0 then
    if gt == '' then
      if redis.call('HEXISTS', P .. 'loc', gid) == 1 then return { 3 } end
    elseif redis.call('HEXISTS', P .. 'here', gid .. '|' .. gt) == 0 then
      return { 3 }
    end
  end
end
`;

/**
 * After the prelude, in the partition an id leaves. ARGV: id, its placement token there ('' = home), and when
 * it leaves home the new 'loc' value → { 1, row } (a live instance: it stays), { 0 } (placed elsewhere meanwhile),
 * or { 2 }: a finished instance here is removed and the id no longer placed here.
 */
export const MOVE_OUT = `
local id, t = ARGV[1], ARGV[2]
local cur = redis.call('HMGET', P .. 'i:' .. id, 'row', 'st')
if cur[1] and not TERMINAL[cur[2]] then return { 1, cur[1] } end
if t == '' then
  if redis.call('HEXISTS', P .. 'loc', id) == 1 then return { 0 } end
elseif redis.call('HEXISTS', P .. 'here', id .. '|' .. t) == 0 then
  return { 0 }
end
if cur[1] then
  leave_group(id)
  remove_instance(id)
end
if t == '' then redis.call('HSET', P .. 'loc', id, ARGV[3]) else redis.call('HDEL', P .. 'here', id .. '|' .. t) end
return { 2 }
`;

/** KEYS[1]: a home partition's 'loc'; ARGV: id, expected value ('' = absent), new value ('' = remove) → 1 | 0. */
export const LOC_CAS = `
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
`;

/**
 * KEYS[1]: a partition's anchor; ARGV: '<id>|<token>' fields of 'here' → the fields removed: those whose
 * instance does not exist here (purged; or placed and not created yet: that create is refused and re-routed).
 */
export const DROP_PLACEMENTS = `
local P = string.sub(KEYS[1], 1, -4)
local out = {}
for i = 1, #ARGV do
  local f = ARGV[i]
  local id = string.match(f, '^(.*)|[^|]*$')
  if id and redis.call('EXISTS', P .. 'i:' .. id) == 0 and redis.call('HDEL', P .. 'here', f) == 1 then out[#out + 1] = f end
end
return out
`;

/**
 * After the prelude: SEND_MESSAGES with a placement check. ARGV: request id, n, the messages (11 fields each),
 * then each message's placement token here → 1, or 2 (nothing applied) when a message that may create its
 * instance is not where its id is placed.
 */
export const SEND_AT = `
if first_result(ARGV[1]) then return 1 end
local n = tonumber(ARGV[2])
for j = 0, n - 1 do
  local at = 3 + j * 11
  local id = ARGV[at]
  if ARGV[at + 3] ~= '' and redis.call('EXISTS', P .. 'i:' .. id) == 0 then
    local gt = ARGV[3 + n * 11 + j]
    if gt == '' then
      if redis.call('HEXISTS', P .. 'loc', id) == 1 then return 2 end
    elseif redis.call('HEXISTS', P .. 'here', id .. '|' .. gt) == 0 then
      return 2
    end
  end
end
enqueue_argv(2)
remember_result(ARGV[1], '1')
publish(nil, nil)
return 1
`;
