/**
 * Lua shared by every script: the hub's key prefix, the server's clock, and
 * the helpers that enqueue messages, mark instances ready, remove instances
 * and publish notices. Each script is this prelude followed by its body, run
 * atomically by EVALSHA.
 *
 * KEYS[1] is the hub's `seq` key; every other key is derived from its
 * prefix and so lives in the same Cluster slot (the `{<hub>}` hash tag).
 *
 * Per-hub keys (P = `reprise:{<hub>}:`):
 *   P..'seq'          string  message sequence (message ids)
 *   P..'idx'          zset    instanceId by createdAt (queries, purge)
 *   P..'ready'        zset    instances with visible messages and no live lease, by ready time
 *   P..'redo'         zset    redelivered instances (handed out since their last commit, lease ended), by ready time
 *   P..'ilease'       zset    leased instances by lease expiry
 *   P..'timers'       zset    '<messageId>|<instanceId>' of invisible messages, by visibleAt
 *   P..'aq'           list    fresh activity work item ids ready to hand out
 *   P..'aredo'        list    redelivered work item ids given back (expired ones are found in 'alease')
 *   P..'alease'       zset    leased work item ids by lease expiry
 *   P..'notices'      channel pub/sub notices (work, terminal updates, updates beside work)
 *   P..'notices:u'    channel the other instance updates (../subscriber.ts)
 *   P..'rq:'..rid     string  the first result of an idempotent write (create, send, purge), for REQUEST_TTL_MS
 *   P..'out'          list    a partition's outbox: messages for other partitions (../partitions/outbox.ts)
 * Per instance:
 *   P..'i:'..id       hash    row (JSON), st, k, n, ca, ua, v (version, absent = ''); lease: lt, le, dl (deliveries since
 *                             the last commit, minus refunded give-backs; > 0 = handed out before)
 *   P..'h:'..id       list    history events (JSON)
 *   P..'lg:'..id      list    log entries (JSON)
 *   P..'m:'..id       hash    messageId -> event JSON, every pending message
 *   P..'ib:'..id      zset    visible message ids by sequence
 *   P..'ia:'..id      set     the instance's activity work item ids
 * Per activity work item:
 *   P..'a:'..wid      hash    item (JSON), inst; lease: lt, le, dl; cx ('1': marked canceled);
 *                             ls (when the holder took it), pg ('<token>|<progress JSON>': its last progress)
 * Namespaces and groups (per hub):
 *   P..'schema'       string  '4' once the status, version and name indexes below cover rows written before them
 *   P..'xs:'..k..':'..st          zset  instance ids of kind k in status st, by createdAt
 *   P..'xn:'..k..':'..st..':'..ns zset  the same within namespace ns ('' = default)
 *   P..'xm:'..k..':'..n           zset  instance ids of kind k named n, by createdAt (name queries and counts)
 * Versions (per hub; see versions.ts):
 *   P..'xv:'..v       zset    instance ids of version v ('' = unversioned, entities too), by createdAt
 *   P..'pk:'..s       zset    instances a filtered lockInstances left (parked), by ready time, one set per
 *                             (version v, orchestrator name): s = '<#v>:<v>:<name>' (#v: v's length)
 *   P..'pkv'          set     the suffixes s with a 'pk:'..s
 *   P..'apk:'..s      list    activity work item ids a filtered lockActivities left, by their instance's s
 *   P..'apkv'         set     the suffixes s with an 'apk:'..s
 *   P..'g:' / 'gr:' / 'gq:'..group       concurrency groups (see groups.ts)
 * The instance hash also holds ns (namespace; absent = ''), and for group
 * members cg, hm, hv (groups.ts).
 */
import { RUNTIME_STATUSES, isTerminal } from '@reprise/core';
import { GROUP_HELPERS } from './groups.js';
import { VERSION_HELPERS } from './versions.js';

/**
 * How long a request id of an idempotent write is remembered. The adapter
 * retries a call whose connection dropped for at most RETRY_WINDOW_MS (see
 * ../connection.ts), well inside it.
 */
export const REQUEST_TTL_MS = 10 * 60_000;

/** Core's terminal statuses as a Lua set, so the scripts never keep a list of their own. */
const TERMINAL_SET = RUNTIME_STATUSES.filter(isTerminal)
  .map((status) => `${status} = true`)
  .join(', ');

export const PRELUDE = `
-- Effects replication (TIME before writes): the only mode from Redis 7 on (REDIS_VERSION_NUM is new in 7).
if not redis.REDIS_VERSION_NUM and redis.replicate_commands then pcall(redis.replicate_commands) end
local P = string.sub(KEYS[1], 1, -4)
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
local TERMINAL = { ${TERMINAL_SET} }
local WORK_O, WORK_A = false, false
-- A lease made without a lock call (eager dispatch) that became the earliest of its kind: its
-- duration in ms, announced so workers asleep lock again by then (its holder may die).
local LEASED_O, LEASED_A = false, false
local CHUNK = 1000

-- Run redis.call(cmd, key, <list[a..b]>) in chunks (Lua's unpack has a limit).
local function call_many(cmd, key, list, a, b)
  local i = a
  while i <= b do
    local j = math.min(i + CHUNK - 1, b)
    redis.call(cmd, key, unpack(list, i, j))
    i = j + 1
  end
end

local function hmget_many(key, fields)
  local out = {}
  local i = 1
  while i <= #fields do
    local j = math.min(i + CHUNK - 1, #fields)
    local part = redis.call('HMGET', key, unpack(fields, i, j))
    for _, v in ipairs(part) do out[#out + 1] = v end
    i = j + 1
  end
  return out
end

local function num(s) return tonumber(s) or 0 end

-- exists: the instance has a row; leased: its lease is live.
local function instance_state(id)
  local l = redis.call('HMGET', P .. 'i:' .. id, 'ca', 'lt', 'le')
  return l[1] ~= false, (l[2] and num(l[3]) > NOW) and true or false
end

local function instance_leased(id)
  local _, leased = instance_state(id)
  return leased
end

-- Makes instance id's due timers visible, as lockInstances' sweep does.
-- Its pending messages are 'm' (all) minus 'ib' (visible): the rest wait in
-- 'timers'. O(1) when it has none, else O(its pending messages).
local function promote_due(id)
  local mkey, ibkey = P .. 'm:' .. id, P .. 'ib:' .. id
  if redis.call('HLEN', mkey) <= redis.call('ZCARD', ibkey) then return end
  for _, mid in ipairs(redis.call('HKEYS', mkey)) do
    local member = mid .. '|' .. id
    local at = redis.call('ZSCORE', P .. 'timers', member)
    if at and tonumber(at) <= NOW then
      redis.call('ZREM', P .. 'timers', member)
      redis.call('ZADD', ibkey, tonumber(mid), mid)
    end
  end
end

-- Leases instance id (row: its row JSON; no live lease, checked by the
-- caller) with token until NOW + lease_ms, when it has visible messages.
-- Returns the lockInstances reply item { id, token, deliveries, row,
-- { messageId, event, ... } } (messages in enqueue order), or nil when it has
-- no visible message. The caller takes it out of 'ready'.
local function lease_instance(id, row, lease_ms, token)
  local mids = redis.call('ZRANGE', P .. 'ib:' .. id, 0, -1)
  if #mids == 0 then return nil end
  local key = P .. 'i:' .. id
  local expires = NOW + lease_ms
  redis.call('HSET', key, 'lt', token, 'le', expires)
  local dl = redis.call('HINCRBY', key, 'dl', 1)
  redis.call('ZADD', P .. 'ilease', expires, id)
  local bodies = hmget_many(P .. 'm:' .. id, mids)
  local msgs = {}
  for j = 1, #mids do
    msgs[#msgs + 1] = mids[j]
    msgs[#msgs + 1] = bodies[j] or ''
  end
  return { id, token, dl, row, msgs }
end

${VERSION_HELPERS}
-- The status indexes of a row (createdAt scores): hub-wide by kind and
-- status, and per namespace (counts and namespace queries read these).
local function status_keys(k, st, ns)
  return P .. 'xs:' .. k .. ':' .. st, P .. 'xn:' .. k .. ':' .. st .. ':' .. ns
end

local function index_row(id, k, st, ns, ca)
  local xs, xn = status_keys(k, st, ns)
  redis.call('ZADD', xs, ca, id)
  redis.call('ZADD', xn, ca, id)
end

local function unindex_row(id, k, st, ns)
  local xs, xn = status_keys(k, st, ns)
  redis.call('ZREM', xs, id)
  redis.call('ZREM', xn, id)
end

-- Writes the row; the indexes only change when a column they key on does.
-- A row written before namespaces has no 'ns' field: its namespace is ''.
-- A new row's version ('v', absent = '') is read from its JSON once: only
-- setInstanceVersion changes it afterwards. Only the columns that changed
-- are written (a commit changes row and ua, and st now and then).
local function put_row(id, row, st, k, n, ca, ua, ns)
  local key = P .. 'i:' .. id
  local o = redis.call('HMGET', key, 'st', 'k', 'ns', 'ca', 'v', 'n')
  local old_ns = o[3] or ''
  if not o[4] then
    redis.call('HSET', key, 'row', row, 'st', st, 'k', k, 'n', n, 'ca', ca, 'ua', ua, 'ns', ns)
  else
    local set = { 'row', row, 'ua', ua }
    if o[1] ~= st then set[#set + 1] = 'st'; set[#set + 1] = st end
    if o[2] ~= k then set[#set + 1] = 'k'; set[#set + 1] = k end
    if o[6] ~= n then set[#set + 1] = 'n'; set[#set + 1] = n end
    if o[4] ~= ca then set[#set + 1] = 'ca'; set[#set + 1] = ca end
    if o[3] ~= ns then set[#set + 1] = 'ns'; set[#set + 1] = ns end
    redis.call('HSET', key, unpack(set))
  end
  if not o[4] then
    -- The first row of a hub: nothing to migrate, so its indexes are complete from the start (reads never write).
    if redis.call('ZCARD', P .. 'idx') == 0 then redis.call('SET', P .. 'schema', '4') end
    local v = row_version(row)
    if v ~= '' then redis.call('HSET', key, 'v', v) end
    redis.call('ZADD', P .. 'xv:' .. v, ca, id)
  elseif o[4] ~= ca then
    redis.call('ZADD', P .. 'xv:' .. (o[5] or ''), ca, id)
  end
  if o[4] ~= ca then redis.call('ZADD', P .. 'idx', ca, id) end
  if o[2] ~= k or o[6] ~= n or o[4] ~= ca then
    if o[6] then redis.call('ZREM', P .. 'xm:' .. o[2] .. ':' .. o[6], id) end
    redis.call('ZADD', P .. 'xm:' .. k .. ':' .. n, ca, id)
  end
  if o[1] ~= st or o[2] ~= k or old_ns ~= ns or o[4] ~= ca then
    if o[1] then unindex_row(id, o[2], o[1], old_ns) end
    index_row(id, k, st, ns, ca)
  end
end

local function mark_ready(id)
  redis.call('ZADD', P .. 'ready', 'NX', NOW, id)
  WORK_O = true
end
${GROUP_HELPERS}
-- Deliver one message. A message to a missing instance is dropped unless a
-- row to create comes with it, admitted into a group when adm is
-- '<limit>:<maxQueued>:<group>' (queued: the message is held). Invisible
-- messages wait in 'timers'.
local function enqueue(id, event, visible_at, row, st, k, n, ca, ua, ns, adm)
  -- A message for another partition (id ''; see ../partitions/outbox.ts): into this partition's outbox, with the commit.
  if id == '' then
    redis.call('RPUSH', P .. 'out', event)
    return
  end
  local exists, leased = instance_state(id)
  if not exists then
    if row == '' then return end
    put_row(id, row, st, k, n, ca, ua, ns)
    if adm and adm ~= '' then
      local limit, mq, g = string.match(adm, '^(%d+):(%d*):(.*)$')
      local verdict, fresh, lim, max_queued = judge_admission(g, tonumber(limit), mq, 'queue', true)
      join_group(id, g, verdict, fresh, lim, max_queued, event, visible_at)
      if verdict == 'queued' then
        WORK_O = true
        return
      end
    end
  end
  local seq = redis.call('INCR', KEYS[1])
  local mid = string.format('%d', seq)
  redis.call('HSET', P .. 'm:' .. id, mid, event)
  if visible_at ~= '' and tonumber(visible_at) > NOW then
    redis.call('ZADD', P .. 'timers', visible_at, mid .. '|' .. id)
  else
    redis.call('ZADD', P .. 'ib:' .. id, seq, mid)
    if not leased then mark_ready(id) end
  end
  -- A new visible message, or a new due time sleeping workers must learn.
  WORK_O = true
end

-- ARGV[i..] holds n messages of 11 fields each; returns the index after them.
local function enqueue_argv(i)
  local n = tonumber(ARGV[i])
  i = i + 1
  for _ = 1, n do
    enqueue(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], ARGV[i + 9], ARGV[i + 10])
    i = i + 11
  end
  return i
end

local function remove_instance(id)
  local mids = redis.call('HKEYS', P .. 'm:' .. id)
  for _, mid in ipairs(mids) do redis.call('ZREM', P .. 'timers', mid .. '|' .. id) end
  local wids = redis.call('SMEMBERS', P .. 'ia:' .. id)
  for _, wid in ipairs(wids) do
    redis.call('DEL', P .. 'a:' .. wid)
    redis.call('ZREM', P .. 'alease', wid)
  end
  local f = redis.call('HMGET', P .. 'i:' .. id, 'st', 'k', 'ns', 'v', 'n')
  if f[1] then unindex_row(id, f[2], f[1], f[3] or '') end
  if f[5] then redis.call('ZREM', P .. 'xm:' .. f[2] .. ':' .. f[5], id) end
  redis.call('ZREM', P .. 'xv:' .. (f[4] or ''), id)
  redis.call('ZREM', P .. 'pk:' .. park_suffix(f[4] or '', f[5] or ''), id)
  redis.call('DEL', P .. 'i:' .. id, P .. 'h:' .. id, P .. 'lg:' .. id, P .. 'm:' .. id, P .. 'ib:' .. id, P .. 'ia:' .. id)
  redis.call('ZREM', P .. 'idx', id)
  redis.call('ZREM', P .. 'ready', id)
  redis.call('ZREM', P .. 'ilease', id)
end

-- Idempotent writes (create, send, purge) carry a request id made once per
-- storage call: the first run stores its result under it, and a repeat of
-- the same call (a retry after a lost reply, or a client's re-send) returns
-- that result without applying anything again. '' = no id.
local function first_result(rid)
  if rid == '' then return false end
  return redis.call('GET', P .. 'rq:' .. rid)
end

local function remember_result(rid, result)
  if rid ~= '' then redis.call('SET', P .. 'rq:' .. rid, result, 'PX', ${REQUEST_TTL_MS}) end
end

-- True when a lease expiring at 'expires' would expire before every live lease in zset: workers
-- asleep wake by the earliest lease they were told of, so only a new earliest one is announced.
local function earliest_lease(zset, expires)
  local head = redis.call('ZRANGE', P .. zset, 0, 0, 'WITHSCORES')
  return head[2] == nil or tonumber(head[2]) > expires
end

-- One message per script: '<flags>' or '<flags>\\n<status>\\n<instanceId>',
-- flags 'o' (orchestration work) and 'a' (activity work), or 'O<ms>' / 'A<ms>'
-- (no work now, but a lease made without a lock call expires in <ms>). An
-- update alone with a status that is not terminal goes to 'notices:u', heard
-- only by listeners of every update (waitForCompletion's runtime is not one).
local function publish(status, id)
  local msg = (WORK_O and 'o' or '') .. (WORK_A and 'a' or '')
  if LEASED_O and not WORK_O then msg = msg .. string.format('O%d', math.ceil(LEASED_O)) end
  if LEASED_A and not WORK_A then msg = msg .. string.format('A%d', math.ceil(LEASED_A)) end
  local channel = 'notices'
  if status then
    if msg == '' and not TERMINAL[status] then channel = 'notices:u' end
    msg = msg .. '\\n' .. status .. '\\n' .. id
  end
  if msg ~= '' then redis.call('PUBLISH', P .. channel, msg) end
end
`;
