/** Scripts for lease renewal, purge and the query scan. */

/**
 * ARGV: leaseMs, nInstances, (instanceId, token)..., nActivities,
 * (workItemId, token)... → { lost instance tokens, lost activity tokens,
 * tokens of renewed work items marked canceled ('cx', set by a commit with cancelActivities) }.
 */
export const RENEW_LEASES = `
local lease_ms = tonumber(ARGV[1])
local expires = NOW + lease_ms
local lost_i, lost_a, canceled = {}, {}, {}
local function renew(kind, zset, id, token, lost)
  local key = P .. kind .. id
  local f = redis.call('HMGET', key, 'lt', 'le', 'cx')
  if f[1] == token and num(f[2]) > NOW then
    redis.call('HSET', key, 'le', expires)
    redis.call('ZADD', P .. zset, expires, id)
    if f[3] then canceled[#canceled + 1] = token end
  else
    lost[#lost + 1] = token
  end
end
local i = 2
local n = tonumber(ARGV[i])
for _ = 1, n do renew('i:', 'ilease', ARGV[i + 1], ARGV[i + 2], lost_i); i = i + 2 end
i = i + 1
n = tonumber(ARGV[i])
for _ = 1, n do renew('a:', 'alease', ARGV[i + 1], ARGV[i + 2], lost_a); i = i + 2 end
return { lost_i, lost_a, canceled }
`;

/**
 * ARGV: requestId, instanceIds... → number of terminal instances deleted.
 * Idempotent by request id: a repeat returns the first count and deletes
 * nothing, so it cannot purge an instance recreated (and finished) since.
 */
export const PURGE_INSTANCES = `
local seen = first_result(ARGV[1])
if seen then return tonumber(seen) end
local deleted = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local st = redis.call('HGET', P .. 'i:' .. id, 'st')
  if st and TERMINAL[st] then
    leave_group(id)
    remove_instance(id)
    deleted = deleted + 1
  end
end
remember_result(ARGV[1], deleted)
return deleted
`;

/**
 * One bounded step of a query over one or more index sorted sets (createdAt
 * scores; 'idx', or status indexes 'xs:'/'xn:' merged): takes the lowest
 * \`limit\` entries of their union with createdAt in [min, max] (Redis score
 * syntax, '(' = exclusive), always finishing the last createdAt group so a
 * page boundary never splits one, and filters them.
 * ARGV: min, max, limit, what ('row' | 'id'), kind, statuses (',' list),
 * updatedFrom, updatedTo, idPrefix, name, namespace, version, index key
 * suffixes... (or '?idx' then a kind's status sets: see below); an
 * optional filter is '' when absent, else '=' followed by its value.
 * → { exhausted 0|1, last score scanned | '', { row or id ... } }
 */
export const QUERY_SCAN = `
local limit = tonumber(ARGV[3])
local keys = {}
for j = 13, #ARGV do keys[#keys + 1] = ARGV[j] end
-- '?idx' then a kind's status sets: read 'idx' (filtering the kind) when that kind is most of it,
-- one set instead of merging eight; else the status sets.
if keys[1] == '?idx' then
  table.remove(keys, 1)
  local of_kind = 0
  for _, k in ipairs(keys) do of_kind = of_kind + redis.call('ZCARD', P .. k) end
  if 2 * of_kind >= redis.call('ZCARD', P .. 'idx') then keys = { 'idx' } end
end
-- Scores travel as the strings Redis wrote (exact); compared as numbers.
local got, cut, cut_s = {}, nil, nil
for _, key in ipairs(keys) do
  local entries = redis.call('ZRANGEBYSCORE', P .. key, ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, limit)
  got[#got + 1] = entries
  if #entries >= 2 * limit then
    local s = tonumber(entries[#entries])
    if cut == nil or s < cut then cut, cut_s = s, entries[#entries] end
  end
end
local below = {}
for _, entries in ipairs(got) do
  for i = 1, #entries, 2 do
    local s = tonumber(entries[i + 1])
    if cut == nil or s < cut then below[#below + 1] = { s, entries[i], entries[i + 1] } end
  end
end
-- Several sets may bring more than limit below the cut: keep the lowest limit (cut there).
if #below > limit then
  table.sort(below, function(a, b) return a[1] < b[1] end)
  cut, cut_s = below[limit][1], below[limit][3]
end
local ids, top, last_s = {}, nil, ''
for _, e in ipairs(below) do
  if cut == nil or e[1] < cut then
    ids[#ids + 1] = e[2]
    if top == nil or e[1] > top then top, last_s = e[1], e[3] end
  end
end
if cut ~= nil then
  -- The whole createdAt group at the cut, from every set.
  for _, key in ipairs(keys) do
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. key, cut_s, cut_s)) do ids[#ids + 1] = id end
  end
  last_s = cut_s
end
local exhausted = cut == nil

local function opt(s) if s == '' then return nil end return string.sub(s, 2) end
local kind, statuses = opt(ARGV[5]), opt(ARGV[6])
local upd_from, upd_to = opt(ARGV[7]), opt(ARGV[8])
local prefix, name = opt(ARGV[9]), opt(ARGV[10])
local ns, version = opt(ARGV[11]), opt(ARGV[12])
local status_set = nil
if statuses then
  status_set = {}
  for s in string.gmatch(statuses, '[^,]+') do status_set[s] = true end
end
upd_from = upd_from and tonumber(upd_from)
upd_to = upd_to and tonumber(upd_to)

local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'i:' .. id, 'k', 'st', 'n', 'ua', 'ns', 'v')
  local ok = f[1] ~= false
    and (ns == nil or (f[5] or '') == ns)
    and (version == nil or (f[6] or '') == version)
    and (kind == nil or f[1] == kind)
    and (status_set == nil or status_set[f[2]] == true)
    and (name == nil or f[3] == name)
    and (upd_from == nil or num(f[4]) >= upd_from)
    and (upd_to == nil or num(f[4]) <= upd_to)
    and (prefix == nil or string.sub(id, 1, #prefix) == prefix)
  if ok then
    if ARGV[4] == 'row' then out[#out + 1] = redis.call('HGET', P .. 'i:' .. id, 'row') else out[#out + 1] = id end
  end
end
return { exhausted and 1 or 0, last_s, out }
`;

/**
 * ARGV: min, max (createdAt, Redis score syntax), index key suffixes... →
 * the number of entries in them with createdAt in [min, max]: a count is
 * ZCOUNTs over the status indexes, never a scan of the instances.
 */
export const COUNT_INDEXED = `
local total = 0
for j = 3, #ARGV do total = total + redis.call('ZCOUNT', P .. ARGV[j], ARGV[1], ARGV[2]) end
return total
`;

/**
 * Builds the status, version and name indexes ('xs:', 'xn:', 'xv:', 'xm:')
 * of rows written before they existed, one bounded step at a time: ARGV:
 * min (Redis score syntax) over 'idx' → { done 0|1, next min }. Idempotent
 * (ZADD), so steps may repeat or run beside live writes, which keep the
 * indexes themselves. The last step sets 'schema' to 4 (2: status indexes
 * only; 3: and versions, before names), after which steps return at once.
 */
export const MIGRATE_INDEXES = `
if redis.call('GET', P .. 'schema') == '4' then return { 1, '' } end
local entries = redis.call('ZRANGEBYSCORE', P .. 'idx', ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, CHUNK)
local ids = {}
for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
local done = #ids < CHUNK
local last = ''
if not done then
  last = entries[#entries]
  -- Finish the last createdAt group, so the next step can start after it.
  while #entries > 0 and entries[#entries] == last do
    entries[#entries] = nil
    entries[#entries] = nil
    ids[#ids] = nil
  end
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'idx', last, last)) do ids[#ids + 1] = id end
end
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'i:' .. id, 'st', 'k', 'ns', 'ca', 'v', 'n')
  if f[1] then
    index_row(id, f[2], f[1], f[3] or '', f[4])
    redis.call('ZADD', P .. 'xv:' .. (f[5] or ''), f[4], id)
    redis.call('ZADD', P .. 'xm:' .. f[2] .. ':' .. f[6], f[4], id)
  end
end
if done then
  redis.call('SET', P .. 'schema', '4')
  return { 1, '' }
end
return { 0, '(' .. last }
`;
