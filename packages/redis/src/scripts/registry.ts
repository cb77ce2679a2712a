/**
 * What `client.explain` reads beyond the instance: its pending inbox, and
 * the registry of runtimes, `P..'rt'` (hash: runtimeId → entry JSON), with
 * heartbeats and stops stamped by the server's clock.
 */

/**
 * ARGV: instanceId → { id, event JSON, visibleAt or '' } in enqueue order.
 * A message in 'timers' due later carries its due time; one in 'ib' (or
 * whose due time has come) is visible; one in neither is a queued member's
 * held start and is left out.
 */
export const PENDING_MESSAGES = `
local id = ARGV[1]
local all = redis.call('HGETALL', P .. 'm:' .. id)
local out = {}
for i = 1, #all, 2 do
  local mid, event = all[i], all[i + 1]
  local due = redis.call('ZSCORE', P .. 'timers', mid .. '|' .. id)
  if due then
    out[#out + 1] = { mid, event, (tonumber(due) > NOW) and due or '' }
  elseif redis.call('ZSCORE', P .. 'ib:' .. id, mid) then
    out[#out + 1] = { mid, event, '' }
  end
end
table.sort(out, function(a, b) return tonumber(a[1]) < tonumber(b[1]) end)
return out
`;

/**
 * The registry keeps each registration as the runtime wrote it (`rt`) and its
 * times apart (`rtt`: '<heartbeatAt>|<expiresAt>|<stoppedAt or empty>'), so
 * no script re-encodes JSON (cjson turns an empty list into an object).
 * Drops entries not heard from within the retention (ms).
 */
const PRUNE = `
local function times(raw)
  local hb, ex, st = string.match(raw, '^(%d+)|(%d+)|(%d*)$')
  return tonumber(hb), tonumber(ex), st
end
local function prune(retention)
  local all = redis.call('HGETALL', P .. 'rtt')
  local kept = {}
  for i = 1, #all, 2 do
    local hb, _, st = times(all[i + 1])
    if math.max(hb, tonumber(st) or 0) < NOW - retention then
      redis.call('HDEL', P .. 'rtt', all[i])
      redis.call('HDEL', P .. 'rt', all[i])
    else
      local reg = redis.call('HGET', P .. 'rt', all[i])
      if reg then kept[#kept + 1] = { reg, all[i + 1] } end
    end
  end
  return kept
end
`;

/** ARGV: runtimeId, registration JSON, ttlMs, retentionMs. An upsert: heartbeat now, expiry now + ttl, no stop mark. */
export const HEARTBEAT_RUNTIME = `${PRUNE}
redis.call('HSET', P .. 'rt', ARGV[1], ARGV[2])
redis.call('HSET', P .. 'rtt', ARGV[1], NOW .. '|' .. (NOW + tonumber(ARGV[3])) .. '|')
prune(tonumber(ARGV[4]))
return 1
`;

/** ARGV: runtimeId. Marks it stopped now (and expired by now); unknown ids are ignored. */
export const STOP_RUNTIME = `${PRUNE}
local raw = redis.call('HGET', P .. 'rtt', ARGV[1])
if not raw then return 0 end
local hb, ex = times(raw)
redis.call('HSET', P .. 'rtt', ARGV[1], hb .. '|' .. math.min(ex, NOW) .. '|' .. NOW)
return 1
`;

/** ARGV: retentionMs → { registration JSON, times } of the entries heard from within it (older ones are dropped). */
export const LIST_RUNTIMES = `${PRUNE}
return prune(tonumber(ARGV[1]))
`;
