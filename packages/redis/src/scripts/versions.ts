/**
 * Versions (`capabilities.versioning`) in Lua: the port of core's rule
 * (packages/core/src/versioning/versions.ts: semver precedence when both
 * versions parse as semver, else exact; '' = unversioned, which only ''
 * accepts), the lock calls' filter (`LockOptions.version`), and the parking
 * sets that keep rejected work out of the queues a filtered lock call reads.
 *
 * Parking: work a filtered lock call rejects moves out of 'ready'/'redo'
 * (instances) or 'aq'/'aredo'/'alease' (activity items) into the parking set
 * of its instance's version and orchestrator name, 'pk:'..s (zset, by ready
 * time) or 'apk:'..s (list), s = '<#v>:<v>:<name>', and s into 'pkv' /
 * 'apkv'. A filter's verdict depends only on the version and the name, so a
 * runtime of one version never rescans the waiting work of another, and a
 * lock call reads only the parking sets it accepts (all without a filter).
 */

export const VERSION_HELPERS = `
-- Byte order, whatever the server's locale (Lua's < on strings uses strcoll); JS compares ASCII the same.
local function bytes_less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

-- A numeric identifier without a leading zero.
local function semver_num(s)
  return string.match(s, '^%d+$') ~= nil and (s == '0' or string.sub(s, 1, 1) ~= '0')
end

-- Dot-separated identifiers of [0-9A-Za-z-], none empty; nil when not so.
local function semver_ids(s)
  local ids = {}
  for id in string.gmatch(s .. '.', '([^.]*)%.') do
    if not string.match(id, '^[0-9A-Za-z%-]+$') then return nil end
    ids[#ids + 1] = id
  end
  return ids
end

-- core's SEMVER: v?MAJOR.MINOR.PATCH(-pre)?(+build)? → { major, minor, patch }, pre ids; nil when not semver.
local function parse_semver(s)
  if string.sub(s, 1, 1) == 'v' then s = string.sub(s, 2) end
  local plus = string.find(s, '+', 1, true)
  if plus then
    if not semver_ids(string.sub(s, plus + 1)) then return nil end
    s = string.sub(s, 1, plus - 1)
  end
  local pre = {}
  local dash = string.find(s, '-', 1, true)
  if dash then
    pre = semver_ids(string.sub(s, dash + 1))
    if not pre then return nil end
    for _, id in ipairs(pre) do
      if string.match(id, '^%d+$') and not semver_num(id) then return nil end
    end
    s = string.sub(s, 1, dash - 1)
  end
  local a, b, c = string.match(s, '^(%d+)%.(%d+)%.(%d+)$')
  if not (a and semver_num(a) and semver_num(b) and semver_num(c)) then return nil end
  return { tonumber(a), tonumber(b), tonumber(c) }, pre
end

-- core's compareVersions: -1, 0 or 1 by semver precedence, 0 when equal, nil when they cannot be ordered.
local function compare_versions(a, b)
  if a == b then return 0 end
  local ca, pa = parse_semver(a)
  local cb, pb = parse_semver(b)
  if not ca or not cb then return nil end
  for i = 1, 3 do
    if ca[i] ~= cb[i] then return ca[i] < cb[i] and -1 or 1 end
  end
  -- A pre-release is older than its release.
  if #pa == 0 or #pb == 0 then
    if #pa == #pb then return 0 end
    return #pa == 0 and 1 or -1
  end
  for i = 1, math.min(#pa, #pb) do
    local x, y = pa[i], pb[i]
    if x ~= y then
      local nx, ny = string.match(x, '^%d+$') ~= nil, string.match(y, '^%d+$') ~= nil
      if nx and ny then
        local dx, dy = tonumber(x), tonumber(y)
        if dx == dy then return 0 end
        return dx < dy and -1 or 1
      end
      if nx ~= ny then return nx and -1 or 1 end
      return bytes_less(x, y) and -1 or 1
    end
  end
  if #pa == #pb then return 0 end
  return #pa < #pb and -1 or 1
end

-- core's versionAccepts.
local function version_accepts(match, version, theirs)
  if match == 'strict' then return theirs == version end
  if match == 'currentOrOlder' then
    local order = compare_versions(theirs, version)
    return order ~= nil and order <= 0
  end
  return true
end

-- The version of a row JSON at its creation ('' = unversioned); decoded only when it names one.
local function row_version(row)
  if not string.find(row, '"version":', 1, true) then return '' end
  local v = cjson.decode(row).version
  return type(v) == 'string' and v or ''
end

-- The lock call's filter (LockOptions.version as JSON; '' = none).
local VF = false
local function set_version_filter(json)
  if json == nil or json == '' then return end
  local f = cjson.decode(json)
  local exempt = {}
  if type(f.exempt) == 'table' then for _, name in ipairs(f.exempt) do exempt[name] = true end end
  local by = type(f.byOrchestrator) == 'table' and f.byOrchestrator or {}
  VF = { match = f.match, version = f.version, by = by, exempt = exempt, wide = next(exempt) ~= nil or next(by) ~= nil }
end

-- core's matchesVersion for an orchestration named name at version v.
local function version_accepts_named(v, name)
  if not VF or VF.exempt[name] then return true end
  local mine = VF.by[name]
  if type(mine) ~= 'string' then mine = VF.version end
  return version_accepts(VF.match, mine, v)
end

-- The filter's verdict on instance id: entities and missing instances always pass.
local function version_ok(id)
  if not VF then return true end
  local f = redis.call('HMGET', P .. 'i:' .. id, 'k', 'n', 'v')
  if f[1] ~= 'orchestration' then return true end
  return version_accepts_named(f[3] or '', f[2] or '')
end

-- A parking set holds one (version, orchestrator name), so a lock call judges a whole set at once.
-- Its key suffix '<#v>:<v>:<name>' is unambiguous whatever the version and name hold.
local function park_suffix(v, name)
  return #v .. ':' .. v .. ':' .. name
end

local function park_parts(suffix)
  local len = string.match(suffix, '^(%d+):')
  local from = #len + 2
  return string.sub(suffix, from, from + tonumber(len) - 1), string.sub(suffix, from + tonumber(len) + 1)
end

local function park_instance(id, score)
  local f = redis.call('HMGET', P .. 'i:' .. id, 'n', 'v')
  local suffix = park_suffix(f[2] or '', f[1] or '')
  redis.call('ZADD', P .. 'pk:' .. suffix, 'NX', score, id)
  redis.call('SADD', P .. 'pkv', suffix)
end

local function park_activity(wid)
  local inst = redis.call('HGET', P .. 'a:' .. wid, 'inst')
  local f = inst and redis.call('HMGET', P .. 'i:' .. inst, 'n', 'v') or {}
  local suffix = park_suffix(f[2] or '', f[1] or '')
  redis.call('RPUSH', P .. 'apk:' .. suffix, wid)
  redis.call('SADD', P .. 'apkv', suffix)
end

-- The parking sets (suffixes of 'pkv' or 'apkv') of the work this lock call accepts: all of them without a filter.
local function accepted_parking(set)
  local out = {}
  for _, suffix in ipairs(redis.call('SMEMBERS', P .. set)) do
    local v, name = park_parts(suffix)
    if version_accepts_named(v, name) then out[#out + 1] = suffix end
  end
  return out
end
`;

/**
 * ARGV: instanceId, the row as read, the row with its new version, version
 * → 1 moved, 0 refused (missing, an entity, terminal or leased), -1 the row
 * changed since it was read (the caller reads again; it checked the history
 * length on the row it read). Work parked under the old version goes back
 * to the queues every lock call reads.
 */
export const SET_INSTANCE_VERSION = `
local id, version = ARGV[1], ARGV[4]
local key = P .. 'i:' .. id
local f = redis.call('HMGET', key, 'row', 'k', 'st', 'lt', 'le', 'v', 'ca', 'dl', 'n')
if not f[1] or f[2] ~= 'orchestration' or TERMINAL[f[3]] or (f[4] and num(f[5]) > NOW) then return 0 end
if f[1] ~= ARGV[2] then return -1 end
local old = f[6] or ''
local parked = park_suffix(old, f[9] or '')
redis.call('HSET', key, 'row', ARGV[3], 'v', version)
redis.call('ZREM', P .. 'xv:' .. old, id)
redis.call('ZADD', P .. 'xv:' .. version, f[7], id)
if redis.call('ZREM', P .. 'pk:' .. parked, id) == 1 then
  if num(f[8]) > 0 then redis.call('ZADD', P .. 'redo', 'NX', NOW, id); WORK_O = true else mark_ready(id) end
end
for _, wid in ipairs(redis.call('SMEMBERS', P .. 'ia:' .. id)) do
  if redis.call('LREM', P .. 'apk:' .. parked, 0, wid) > 0 then
    if num(redis.call('HGET', P .. 'a:' .. wid, 'dl')) > 0 then redis.call('RPUSH', P .. 'aredo', wid) else redis.call('RPUSH', P .. 'aq', wid) end
    WORK_A = true
  end
end
publish(nil, nil)
return 1
`;
