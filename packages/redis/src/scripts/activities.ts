/** Scripts for activity work items: lock, complete, abandon. */

/**
 * ARGV: max, leaseMs, token base, redelivered ('0': fresh items only),
 * version filter (LockOptions.version JSON, '' = none) →
 * { items, nextVisibleInMs | -1, redelivered waiting 1 | 0 }, each item
 * { item JSON, token, deliveries, canceled 1|0 }. With a filter, items of
 * rejected instances are parked (versions.ts), never leased or charged. One redelivered item alone when there is
 * one (given back with its handout counted, or its lease expired: its
 * holder died) and the caller allows it, else up to max fresh items in
 * enqueue order. nextVisibleInMs: when the earliest lease in 'alease'
 * expires (leases made at birth by eager dispatch included).
 */
export const LOCK_ACTIVITIES = `
local max, lease_ms, base, allow = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4] ~= '0'
set_version_filter(ARGV[5])
local items = {}

-- Whether the filter accepts the work item's instance (an item whose instance is gone passes).
local function item_ok(wid)
  local inst = redis.call('HGET', P .. 'a:' .. wid, 'inst')
  return not inst or version_ok(inst)
end

-- fresh: 'dl' must be 0 (a queued id handed out before is redelivered work and moves to 'aredo').
local function take(wid, fresh)
  local key = P .. 'a:' .. wid
  local f = redis.call('HMGET', key, 'item', 'lt', 'le', 'dl', 'cx')
  if not f[1] or (f[2] and num(f[3]) > NOW) then return end
  if fresh and num(f[4]) > 0 then
    redis.call('RPUSH', P .. 'aredo', wid)
    return
  end
  local token = base .. '.' .. (#items + 1)
  local expires = NOW + lease_ms
  -- 'ls': when this holder took it (the step view); progress ('pg') is tagged with its holder's token, so a new lease starts without.
  redis.call('HSET', key, 'lt', token, 'le', expires, 'ls', NOW)
  local dl = redis.call('HINCRBY', key, 'dl', 1)
  redis.call('ZADD', P .. 'alease', expires, wid)
  items[#items + 1] = { f[1], token, dl, f[5] and 1 or 0 }
end

local function take_redelivered()
  while #items == 0 do
    local wid = redis.call('LPOP', P .. 'aredo')
    if not wid then break end
    if item_ok(wid) then take(wid, false) else park_activity(wid) end
  end
  if #items > 0 then return end
  local expired = redis.call('ZRANGEBYSCORE', P .. 'alease', '-inf', NOW, 'LIMIT', 0, CHUNK)
  for _, wid in ipairs(expired) do
    -- A stale entry (the item is gone) must not come up again; another version's is parked.
    if redis.call('EXISTS', P .. 'a:' .. wid) == 0 then
      redis.call('ZREM', P .. 'alease', wid)
    elseif item_ok(wid) then
      take(wid, false)
    else
      redis.call('ZREM', P .. 'alease', wid)
      park_activity(wid)
    end
    if #items > 0 then return end
  end
end

-- Whether take_redelivered would find an item; drops the stale heads it would drop.
local function redelivered_waiting()
  for _ = 1, CHUNK do
    local wid = redis.call('LINDEX', P .. 'aredo', 0)
    if not wid then break end
    local f = redis.call('HMGET', P .. 'a:' .. wid, 'item', 'lt', 'le')
    local free = f[1] and not (f[2] and num(f[3]) > NOW)
    if free and item_ok(wid) then return true end
    redis.call('LPOP', P .. 'aredo')
    if free then park_activity(wid) end
  end
  for _ = 1, CHUNK do
    local head = redis.call('ZRANGEBYSCORE', P .. 'alease', '-inf', NOW, 'LIMIT', 0, 1)
    if #head == 0 then return false end
    local exists = redis.call('EXISTS', P .. 'a:' .. head[1]) == 1
    if exists and item_ok(head[1]) then return true end
    redis.call('ZREM', P .. 'alease', head[1])
    if exists then park_activity(head[1]) end
  end
  return false
end

-- Parked items of the versions this call may accept (every version without a filter), as fresh candidates.
local function take_parked()
  for _, suffix in ipairs(accepted_parking('apkv')) do
    if #items >= max then return end
    local key = P .. 'apk:' .. suffix
    while #items < max do
      local wid = redis.call('LPOP', key)
      if not wid then break end
      if item_ok(wid) then take(wid, true) elseif redis.call('EXISTS', P .. 'a:' .. wid) == 1 then park_activity(wid) end
    end
    if redis.call('LLEN', key) == 0 then redis.call('SREM', P .. 'apkv', suffix) end
  end
end

if allow then take_redelivered() end
if #items == 0 then
  while #items < max do
    local wid = redis.call('LPOP', P .. 'aq')
    if not wid then break end
    -- Another version's item is parked, not dropped: it waits for a lock call that accepts it.
    if item_ok(wid) then take(wid, true) elseif redis.call('EXISTS', P .. 'a:' .. wid) == 1 then park_activity(wid) end
  end
  if #items < max then take_parked() end
  if allow then take_redelivered() end
end

local next_visible = -1
if #items == 0 then
  local l1 = redis.call('ZRANGE', P .. 'alease', 0, 0, 'WITHSCORES')
  if l1[2] then next_visible = math.max(0, math.ceil(tonumber(l1[2]) - NOW)) end
end
local waiting = (not allow and redelivered_waiting()) and 1 or 0
return { items, next_visible, waiting }
`;

/**
 * ARGV: workItemId, token, message (11 fields), eagerLeaseMs ('' = none),
 * eagerToken, log count, log entries (JSON)... → { 1 } or { 1, locked
 * instance }, or 0 when the lease is not held. The activity's log lines go
 * to its instance's log in the same step. Eager dispatch: with eagerLeaseMs, when the message's instance
 * exists, has no live lease and has visible messages (its due timers made
 * visible first), it is leased to the caller here, as lockInstances leases
 * one (the reply item in its encoding), and no orchestration-work notice
 * goes out for the message; the lease is announced ('O<ms>') when it is the
 * earliest in 'ilease'.
 */
export const COMPLETE_ACTIVITY = `
local wid, token = ARGV[1], ARGV[2]
local key = P .. 'a:' .. wid
local f = redis.call('HMGET', key, 'lt', 'le', 'inst')
if not f[3] or f[1] ~= token or num(f[2]) <= NOW then return 0 end
redis.call('DEL', key)
redis.call('ZREM', P .. 'alease', wid)
redis.call('SREM', P .. 'ia:' .. f[3], wid)
local nlogs = tonumber(ARGV[16] or '0') or 0
if nlogs > 0 then call_many('RPUSH', P .. 'lg:' .. f[3], ARGV, 17, 16 + nlogs) end
local id, visible_at = ARGV[3], ARGV[5]
enqueue(id, ARGV[4], visible_at, ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13])

if ARGV[14] ~= '' then
  local ikey = P .. 'i:' .. id
  local r = redis.call('HMGET', ikey, 'row', 'lt', 'le', 'dl')
  -- Never a redelivered instance (dl > 0): a lock call hands that out alone.
  if r[1] and not (r[2] and num(r[3]) > NOW) and num(r[4]) == 0 then
    promote_due(id)
    local lease_ms = tonumber(ARGV[14])
    local earliest = earliest_lease('ilease', NOW + lease_ms)
    local locked = lease_instance(id, r[1], lease_ms, ARGV[15])
    if locked then
      if earliest then LEASED_O = lease_ms end
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

/**
 * ARGV: workItemId, token, refund ('1': the handout does not count) → 1
 * abandoned, 0 not held (nothing changes). An item still handed out before
 * goes to 'aredo', a fresh one back to the head of 'aq'.
 */
export const ABANDON_ACTIVITY = `
local wid = ARGV[1]
local key = P .. 'a:' .. wid
if redis.call('HGET', key, 'lt') ~= ARGV[2] then return 0 end
redis.call('HDEL', key, 'lt', 'le')
redis.call('ZREM', P .. 'alease', wid)
local dl = num(redis.call('HGET', key, 'dl'))
if ARGV[3] == '1' and dl > 0 then
  dl = dl - 1
  redis.call('HSET', key, 'dl', dl)
end
if dl > 0 then redis.call('RPUSH', P .. 'aredo', wid) else redis.call('LPUSH', P .. 'aq', wid) end
WORK_A = true
publish(nil, nil)
return 1
`;

/**
 * ARGV: workItemId, token, progress JSON → 1, or 0 when the lease is not
 * held (nothing changes). The value is stored as '<token>|<json>': it is
 * the current holder's only while that token still holds the item.
 */
export const REPORT_PROGRESS = `
local key = P .. 'a:' .. ARGV[1]
local f = redis.call('HMGET', key, 'lt', 'le')
if f[1] ~= ARGV[2] or num(f[2]) <= NOW then return 0 end
redis.call('HSET', key, 'pg', ARGV[2] .. '|' .. ARGV[3])
return 1
`;

/**
 * ARGV: instanceId → { NOW, { { item JSON, running 0/1, startedAt | '', progress JSON | '' }... } }
 * for the instance's work items (read-only; the server's clock judges the leases).
 */
export const ACTIVITY_STATES = `
local out = {}
for _, wid in ipairs(redis.call('SMEMBERS', P .. 'ia:' .. ARGV[1])) do
  local f = redis.call('HMGET', P .. 'a:' .. wid, 'item', 'lt', 'le', 'ls', 'pg')
  if f[1] then
    local running = f[2] and num(f[3]) > NOW
    local progress = ''
    if f[2] and f[5] and string.sub(f[5], 1, #f[2] + 1) == f[2] .. '|' then progress = string.sub(f[5], #f[2] + 2) end
    -- 'le' stays after a lease runs out (until the next lease or a give-back): ActivityState.leaseExpiresAt.
    out[#out + 1] = { f[1], running and 1 or 0, (running and f[4]) or '', progress, (f[2] and f[3]) or '' }
  end
end
return out
`;
