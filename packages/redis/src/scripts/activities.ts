/** Scripts for activity work items: lock, complete, abandon. */

/**
 * ARGV: max, leaseMs, token base → { items, nextVisibleInMs | -1 }, each item
 * { item JSON, token, deliveries }. Ready items first, in enqueue order,
 * then items whose lease expired (their holder died).
 */
export const LOCK_ACTIVITIES = `
local max, lease_ms, base = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local items = {}

local function take(wid)
  local key = P .. 'a:' .. wid
  local f = redis.call('HMGET', key, 'item', 'lt', 'le')
  if not f[1] or (f[2] and num(f[3]) > NOW) then return end
  local token = base .. '.' .. (#items + 1)
  local expires = NOW + lease_ms
  redis.call('HSET', key, 'lt', token, 'le', expires)
  local dl = redis.call('HINCRBY', key, 'dl', 1)
  redis.call('ZADD', P .. 'alease', expires, wid)
  items[#items + 1] = { f[1], token, dl }
end

while #items < max do
  local wid = redis.call('LPOP', P .. 'aq')
  if not wid then break end
  take(wid)
end
if #items < max then
  local expired = redis.call('ZRANGEBYSCORE', P .. 'alease', '-inf', NOW, 'LIMIT', 0, max - #items)
  for _, wid in ipairs(expired) do take(wid) end
end

local next_visible = -1
if #items == 0 then
  local l1 = redis.call('ZRANGE', P .. 'alease', 0, 0, 'WITHSCORES')
  if l1[2] then next_visible = math.max(0, math.ceil(tonumber(l1[2]) - NOW)) end
end
return { items, next_visible }
`;

/**
 * ARGV: workItemId, token, message (9 fields), eagerLeaseMs ('' = none),
 * eagerToken → { 1 } or { 1, locked instance }, or 0 when the lease is not
 * held. Eager dispatch: with eagerLeaseMs, when the message's instance
 * exists, has no live lease and has visible messages (its due timers made
 * visible first), it is leased to the caller here, as lockInstances leases
 * one (the reply item in its encoding), and no orchestration-work notice
 * goes out for the message.
 */
export const COMPLETE_ACTIVITY = `
local wid, token = ARGV[1], ARGV[2]
local key = P .. 'a:' .. wid
local f = redis.call('HMGET', key, 'lt', 'le', 'inst')
if not f[3] or f[1] ~= token or num(f[2]) <= NOW then return 0 end
redis.call('DEL', key)
redis.call('ZREM', P .. 'alease', wid)
redis.call('SREM', P .. 'ia:' .. f[3], wid)
local id, visible_at = ARGV[3], ARGV[5]
enqueue(id, ARGV[4], visible_at, ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11])

if ARGV[12] ~= '' then
  local ikey = P .. 'i:' .. id
  local r = redis.call('HMGET', ikey, 'row', 'lt', 'le')
  if r[1] and not (r[2] and num(r[3]) > NOW) then
    promote_due(id)
    local locked = lease_instance(id, r[1], tonumber(ARGV[12]), ARGV[13])
    if locked then
      redis.call('ZREM', P .. 'ready', id)
      -- The caller has the message; a delayed one still tells sleepers its due time.
      if visible_at == '' or tonumber(visible_at) <= NOW then WORK_O = false end
      publish(nil, nil)
      return { 1, locked }
    end
  end
end
publish(nil, nil)
return { 1 }
`;

/** ARGV: workItemId, token → 1 abandoned, 0 not held (nothing changes). */
export const ABANDON_ACTIVITY = `
local wid = ARGV[1]
local key = P .. 'a:' .. wid
if redis.call('HGET', key, 'lt') ~= ARGV[2] then return 0 end
redis.call('HDEL', key, 'lt', 'le')
redis.call('ZREM', P .. 'alease', wid)
redis.call('LPUSH', P .. 'aq', wid)
WORK_A = true
publish(nil, nil)
return 1
`;
