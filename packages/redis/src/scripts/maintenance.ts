/** Scripts for lease renewal, purge and the query scan. */

/**
 * ARGV: leaseMs, nInstances, (instanceId, token)..., nActivities,
 * (workItemId, token)... → { lost instance tokens, lost activity tokens }.
 */
export const RENEW_LEASES = `
local lease_ms = tonumber(ARGV[1])
local expires = NOW + lease_ms
local lost_i, lost_a = {}, {}
local function renew(kind, zset, id, token, lost)
  local key = P .. kind .. id
  local f = redis.call('HMGET', key, 'lt', 'le')
  if f[1] == token and num(f[2]) > NOW then
    redis.call('HSET', key, 'le', expires)
    redis.call('ZADD', P .. zset, expires, id)
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
return { lost_i, lost_a }
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
    remove_instance(id)
    deleted = deleted + 1
  end
end
remember_result(ARGV[1], deleted)
return deleted
`;

/**
 * One bounded step of a query: scans up to \`limit\` index entries with
 * createdAt in [min, max] (Redis score syntax, '(' = exclusive), always
 * finishing the last createdAt group so a page boundary never splits one,
 * and filters them.
 * ARGV: min, max, limit, what ('row' | 'id'), kind, statuses (',' list),
 * updatedFrom, updatedTo, idPrefix, name; an optional filter is '' when
 * absent, else '=' followed by its value.
 * → { exhausted 0|1, last score scanned | '', { row or id ... } }
 */
export const QUERY_SCAN = `
local limit = tonumber(ARGV[3])
local entries = redis.call('ZRANGEBYSCORE', P .. 'idx', ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', 0, limit)
local ids = {}
for i = 1, #entries, 2 do ids[#ids + 1] = entries[i] end
local exhausted = #ids < limit
local last = ''
if #ids > 0 then
  last = entries[#entries]
  if not exhausted then
    while #entries > 0 and entries[#entries] == last do
      entries[#entries] = nil
      entries[#entries] = nil
      ids[#ids] = nil
    end
    local group = redis.call('ZRANGEBYSCORE', P .. 'idx', last, last)
    for _, id in ipairs(group) do ids[#ids + 1] = id end
  end
end

local function opt(s) if s == '' then return nil end return string.sub(s, 2) end
local kind, statuses = opt(ARGV[5]), opt(ARGV[6])
local upd_from, upd_to = opt(ARGV[7]), opt(ARGV[8])
local prefix, name = opt(ARGV[9]), opt(ARGV[10])
local status_set = nil
if statuses then
  status_set = {}
  for s in string.gmatch(statuses, '[^,]+') do status_set[s] = true end
end
upd_from = upd_from and tonumber(upd_from)
upd_to = upd_to and tonumber(upd_to)

local out = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', P .. 'i:' .. id, 'k', 'st', 'n', 'ua')
  local ok = f[1] ~= false
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
return { exhausted and 1 or 0, last, out }
`;
