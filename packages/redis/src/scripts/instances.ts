/**
 * Scripts for the orchestration side: create, send, lock, commit, release.
 * Message fields in ARGV are always 11: instanceId, event JSON, visibleAt
 * ('' = now), then the row to create if missing ('' = none) and its st, k,
 * n, ca, ua, ns columns, and its admission ('' = none, else
 * '<limit>:<maxQueued>:<group>').
 */

/**
 * ARGV: id, row, st, k, n, ca, ua, ns, event, visibleAt, requestId, then
 * the admission: group ('' = none), limit, maxQueued ('' = unbounded),
 * onFull ('queue' | 'reject') → {1, 'admitted' | 'queued', queue position
 * (0: not queued)}, {0, existingRow} or {2, 'limit' | 'queueFull'} (refused:
 * nothing stored). Only a create
 * that applied is remembered: a refusal changed nothing, so its repeat may
 * judge afresh.
 */
export const CREATE_INSTANCE = `
local id, rid, g = ARGV[1], ARGV[11], ARGV[12]
local seen = first_result(rid)
if seen then return { 1, seen, queue_rank(id) } end
local cur = redis.call('HMGET', P .. 'i:' .. id, 'row', 'st')
if cur[1] and not TERMINAL[cur[2]] then return { 0, cur[1] } end
local verdict, fresh, limit, max_queued = 'admitted', false, 0, ''
if g ~= '' then
  verdict, fresh, limit, max_queued = judge_admission(g, tonumber(ARGV[13]), ARGV[14], ARGV[15])
  if verdict ~= 'admitted' and verdict ~= 'queued' then return { 2, verdict } end
end
if cur[1] then
  leave_group(id)
  remove_instance(id)
end
put_row(id, ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
if g ~= '' then join_group(id, g, verdict, fresh, limit, max_queued, ARGV[9], ARGV[10]) end
if verdict == 'admitted' then enqueue(id, ARGV[9], ARGV[10], '', '', '', '', '', '', '', '') end
remember_result(rid, verdict)
publish(ARGV[3], id)
return { 1, verdict, queue_rank(id) }
`;

/** ARGV: requestId, n, messages... → 1 */
export const SEND_MESSAGES = `
if first_result(ARGV[1]) then return 1 end
enqueue_argv(2)
remember_result(ARGV[1], '1')
publish(nil, nil)
return 1
`;

/**
 * ARGV: max, leaseMs, token base, redelivered ('0': fresh items only),
 * version filter (LockOptions.version JSON, '' = none) →
 * { items, nextVisibleInMs | -1, redelivered waiting 1 | 0 }, each item
 * { instanceId, token, deliveries, row, { messageId, event, ... } }.
 * With a filter, rejected instances are parked (versions.ts), never leased
 * or charged; parked ones of accepted versions are fresh candidates.
 * First makes due timers visible and takes back expired leases (bounded per
 * call: their instances are redelivered, in 'redo'), then hands out one
 * redelivered instance alone when the caller allows it, or else pops up to
 * max fresh ones from 'ready' (one handed out before, found there, moves to
 * 'redo'). nextVisibleInMs: the earliest timer or lease in 'ilease' (leases
 * made by eager dispatch included).
 */
export const LOCK_INSTANCES = `
local max, lease_ms, base, allow = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4] ~= '0'
set_version_filter(ARGV[5])
local revived = false

local due = redis.call('ZRANGEBYSCORE', P .. 'timers', '-inf', NOW, 'LIMIT', 0, CHUNK)
for _, m in ipairs(due) do
  redis.call('ZREM', P .. 'timers', m)
  local sep = string.find(m, '|', 1, true)
  local mid, id = string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
  if redis.call('HEXISTS', P .. 'm:' .. id, mid) == 1 then
    redis.call('ZADD', P .. 'ib:' .. id, tonumber(mid), mid)
    if not instance_leased(id) then mark_ready(id); revived = true end
  end
end

local expired = redis.call('ZRANGEBYSCORE', P .. 'ilease', '-inf', NOW, 'LIMIT', 0, CHUNK)
for _, id in ipairs(expired) do
  redis.call('ZREM', P .. 'ilease', id)
  if not instance_leased(id) then
    redis.call('HDEL', P .. 'i:' .. id, 'lt', 'le')
    -- Its holder died: redelivered work (a step commit's kept lease, with no handout counted, leaves it fresh).
    if redis.call('ZCARD', P .. 'ib:' .. id) > 0 then
      if num(redis.call('HGET', P .. 'i:' .. id, 'dl')) > 0 then redis.call('ZADD', P .. 'redo', 'NX', NOW, id) else mark_ready(id) end
      revived = true
    end
  end
end

local items = {}

-- The row of id when nobody holds a live lease on it, and its deliveries.
local function free_row(id)
  local f = redis.call('HMGET', P .. 'i:' .. id, 'row', 'lt', 'le', 'dl')
  if f[1] and not (f[2] and num(f[3]) > NOW) then return f[1], num(f[4]) end
  return nil, 0
end

local function take_redelivered()
  while #items == 0 do
    local popped = redis.call('ZPOPMIN', P .. 'redo')
    if #popped == 0 then break end
    local id = popped[1]
    local row = free_row(id)
    if row and not version_ok(id) then
      park_instance(id, popped[2])
    elseif row then
      local item = lease_instance(id, row, lease_ms, base .. '.1')
      if item then
        redis.call('ZREM', P .. 'ready', id)
        items[1] = item
      end
    end
  end
end

-- Whether take_redelivered would find an instance; drops the stale heads it would drop.
local function redelivered_waiting()
  for _ = 1, CHUNK do
    local head = redis.call('ZRANGE', P .. 'redo', 0, 0)
    if #head == 0 then return false end
    if free_row(head[1]) and redis.call('ZCARD', P .. 'ib:' .. head[1]) > 0 then
      if version_ok(head[1]) then return true end
      park_instance(head[1], NOW)
    end
    redis.call('ZREM', P .. 'redo', head[1])
  end
  return false
end

-- A fresh candidate (from 'ready' or a parking set) the filter accepts: leased, or to 'redo' when handed out before.
local function take_fresh(id)
  local row, dl = free_row(id)
  if row and dl > 0 then
    redis.call('ZADD', P .. 'redo', 'NX', NOW, id)
  elseif row then
    local item = lease_instance(id, row, lease_ms, base .. '.' .. (#items + 1))
    if item then
      redis.call('ZREM', P .. 'ready', id)
      items[#items + 1] = item
    end
  end
end

-- Parked instances of the versions this call may accept (every version without a filter).
local function take_parked()
  for _, suffix in ipairs(accepted_parking('pkv')) do
    if #items >= max then return end
    local key = P .. 'pk:' .. suffix
    while #items < max do
      local popped = redis.call('ZPOPMIN', key, max - #items)
      if #popped == 0 then break end
      -- Every entry of an accepted set passes, unless its instance changed since (re-parked where it belongs now).
      for i = 1, #popped, 2 do
        if version_ok(popped[i]) then take_fresh(popped[i]) elseif free_row(popped[i]) then park_instance(popped[i], popped[i + 1]) end
      end
    end
    if redis.call('ZCARD', key) == 0 then redis.call('SREM', P .. 'pkv', suffix) end
  end
end

if allow then take_redelivered() end
if #items == 0 then
  while #items < max do
    local popped = redis.call('ZPOPMIN', P .. 'ready', max - #items)
    if #popped == 0 then break end
    for i = 1, #popped, 2 do
      -- Another version's work is parked, not dropped: it waits for a lock call that accepts it.
      if version_ok(popped[i]) then take_fresh(popped[i]) elseif free_row(popped[i]) then park_instance(popped[i], popped[i + 1]) end
    end
  end
  if #items < max then take_parked() end
  if allow then take_redelivered() end
end

local next_visible = -1
if #items == 0 then
  local best = nil
  local t1 = redis.call('ZRANGE', P .. 'timers', 0, 0, 'WITHSCORES')
  if t1[2] then best = tonumber(t1[2]) end
  local l1 = redis.call('ZRANGE', P .. 'ilease', 0, 0, 'WITHSCORES')
  if l1[2] and (best == nil or tonumber(l1[2]) < best) then best = tonumber(l1[2]) end
  if best then next_visible = math.max(0, math.ceil(best - NOW)) end
end
-- Work this call made visible and left for others: wake the other workers.
if revived and redis.call('ZCARD', P .. 'ready') + redis.call('ZCARD', P .. 'redo') > 0 then
  publish(nil, nil)
end
local waiting = (not allow and redelivered_waiting()) and 1 or 0
return { items, next_visible, waiting }
`;

/**
 * ARGV: id, token, row, st, k, n, ca, ua, ns, 'a'|'r', nEvents, events...,
 * nConsumed, ids..., nMessages, messages..., eagerMax, eagerLeaseMs,
 * eagerTokenBase, nActivities, (wid, instanceId, item JSON)..., nLogs,
 * logs..., cancelActivities ('1' | '0'), keepLeaseMs ('' = none),
 * keepToken, (wid, token) of each work item it completes..., their count →
 * { 1, { leased item... }, kept 1 | 0 }, or 0 when the lease of the
 * instance or of a completed item is not held (nothing changes).
 * Step commit: the completed items are deleted; with keepLeaseMs, when an
 * item was leased eagerly and no visible message is left, the instance stays
 * leased under keepToken (deliveries cleared: when it runs out it is fresh),
 * announced ('O<ms>') when it is the earliest in 'ilease'. A terminal row gives back the instance's
 * group slot or queue place and promotes the next queued instances.
 * Eager dispatch: the first eagerMax (0 = none) new work items are leased
 * to the committer here, as lockActivities leases an item (reply items in
 * its encoding), and never enter 'aq'; the rest are queued. Their leases are
 * announced ('A<ms>') when they are the earliest in 'alease'.
 */
export const COMMIT_ORCHESTRATION = `
local id, token = ARGV[1], ARGV[2]
local key = P .. 'i:' .. id
local f = redis.call('HMGET', key, 'lt', 'le', 'ca')
if not f[3] or f[1] ~= token or num(f[2]) <= NOW then return 0 end
local nc = tonumber(ARGV[#ARGV])
local tail = #ARGV - 2 * nc - 3
for k = tail + 3, tail + 1 + 2 * nc, 2 do
  local a = redis.call('HMGET', P .. 'a:' .. ARGV[k], 'lt', 'le')
  if a[1] ~= ARGV[k + 1] or num(a[2]) <= NOW then return 0 end
end
for k = tail + 3, tail + 1 + 2 * nc, 2 do
  redis.call('DEL', P .. 'a:' .. ARGV[k])
  redis.call('ZREM', P .. 'alease', ARGV[k])
  redis.call('SREM', P .. 'ia:' .. id, ARGV[k])
end

local i = 11
local n = tonumber(ARGV[i])
local hkey = P .. 'h:' .. id
if ARGV[10] == 'r' then redis.call('DEL', hkey) end
call_many('RPUSH', hkey, ARGV, i + 1, i + n)
i = i + n + 1

n = tonumber(ARGV[i])
call_many('ZREM', P .. 'ib:' .. id, ARGV, i + 1, i + n)
call_many('HDEL', P .. 'm:' .. id, ARGV, i + 1, i + n)
i = i + n + 1

put_row(id, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
if TERMINAL[ARGV[4]] then leave_group(id) end
-- Cancel delivery: the work items the instance has so far (not this commit's) are marked.
if ARGV[tail] == '1' then
  for _, wid in ipairs(redis.call('SMEMBERS', P .. 'ia:' .. id)) do redis.call('HSET', P .. 'a:' .. wid, 'cx', '1') end
end
i = enqueue_argv(i)

local eager_max, eager_ms, eager_base = tonumber(ARGV[i]), tonumber(ARGV[i + 1]), ARGV[i + 2]
i = i + 3
n = tonumber(ARGV[i])
i = i + 1
local leased, queued = {}, {}
if n > 0 and eager_max > 0 and earliest_lease('alease', NOW + eager_ms) then LEASED_A = eager_ms end
for _ = 1, n do
  local wid, inst, item = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local akey = P .. 'a:' .. wid
  redis.call('SADD', P .. 'ia:' .. inst, wid)
  if #leased < eager_max then
    -- Leased at birth, as lockActivities leases an item: a token, deliveries 1, expiry in 'alease'.
    local token = eager_base .. '.' .. (#leased + 1)
    local expires = NOW + eager_ms
    redis.call('HSET', akey, 'item', item, 'inst', inst, 'lt', token, 'le', expires, 'dl', 1, 'ls', NOW)
    redis.call('ZADD', P .. 'alease', expires, wid)
    leased[#leased + 1] = { item, token, 1 }
  else
    redis.call('HSET', akey, 'item', item, 'inst', inst)
    queued[#queued + 1] = wid
  end
  i = i + 3
end
if #queued > 0 then
  call_many('RPUSH', P .. 'aq', queued, 1, #queued)
  WORK_A = true
end

n = tonumber(ARGV[i])
call_many('RPUSH', P .. 'lg:' .. id, ARGV, i + 1, i + n)

local keep_ms, kept = tonumber(ARGV[tail + 1]), 0
if keep_ms and #leased > 0 then
  promote_due(id)
  if redis.call('ZCARD', P .. 'ib:' .. id) == 0 then kept = 1 end
end
if kept == 1 then
  if earliest_lease('ilease', NOW + keep_ms) then LEASED_O = keep_ms end
  redis.call('HSET', key, 'lt', ARGV[tail + 2], 'le', NOW + keep_ms)
  redis.call('HDEL', key, 'dl')
  redis.call('ZADD', P .. 'ilease', NOW + keep_ms, id)
else
  redis.call('HDEL', key, 'lt', 'le', 'dl')
  redis.call('ZREM', P .. 'ilease', id)
  if redis.call('ZCARD', P .. 'ib:' .. id) > 0 then mark_ready(id) end
end
publish(ARGV[4], id)
return { 1, leased, kept }
`;

/**
 * ARGV: id, token, refund ('1': the handout does not count) → 1 released,
 * 0 not held (nothing changes). An instance still handed out before goes to
 * 'redo', a fresh one to 'ready'.
 */
export const RELEASE_INSTANCE = `
local id = ARGV[1]
local key = P .. 'i:' .. id
if redis.call('HGET', key, 'lt') ~= ARGV[2] then return 0 end
redis.call('HDEL', key, 'lt', 'le')
redis.call('ZREM', P .. 'ilease', id)
local dl = num(redis.call('HGET', key, 'dl'))
if ARGV[3] == '1' and dl > 0 then
  dl = dl - 1
  if dl > 0 then redis.call('HSET', key, 'dl', dl) else redis.call('HDEL', key, 'dl') end
end
if redis.call('ZCARD', P .. 'ib:' .. id) > 0 then
  if dl > 0 then redis.call('ZADD', P .. 'redo', 'NX', NOW, id) else mark_ready(id) end
end
WORK_O = true
publish(nil, nil)
return 1
`;
