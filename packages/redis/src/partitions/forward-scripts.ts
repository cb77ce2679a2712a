/**
 * The Lua of outbox forwarding (outbox.ts). Every partition P keeps:
 *   P..'out'        list    envelopes for other partitions, oldest first
 *   P..'outn'       string  the drain token counter: each drain step takes a new token
 *   P..'outdone'    list    '<target>|<envelope id>': dedupe records to delete (entries already removed)
 *   P..'fw:'..id    string  dedupe record of a forwarded envelope; no expiry: deleted once its entry left the outbox
 *   P..'fwf:'..src  string  the newest drain token seen from partition src (the fence)
 * A forward from a drain whose token is older than the fence is refused:
 * a newer drain has forwarded to this partition since, so it holds every
 * entry the old one still has in flight, and only the newest drain removes
 * entries; once removed, their records can go, as no drain that still holds
 * them can get through the fence.
 */

/**
 * After the prelude. ARGV: source partition, drain token, envelope id, the message (messagesArgs), then the
 * placement token of its instance here ('' = home; location-scripts.ts) → 1 | 0 (a stale drain, refused) |
 * 2 (a create-if-missing message routed where its id is no longer placed: not applied, to be routed again).
 */
export const FORWARD_MESSAGES = `
local fence = P .. 'fwf:' .. ARGV[1]
local token = tonumber(ARGV[2])
local seen = tonumber(redis.call('GET', fence) or '0')
if token < seen then return 0 end
if token > seen then redis.call('SET', fence, ARGV[2]) end
local record = P .. 'fw:' .. ARGV[3]
if redis.call('EXISTS', record) == 1 then return 1 end
local gid, gt = ARGV[5], ARGV[#ARGV]
if ARGV[8] ~= '' and redis.call('EXISTS', P .. 'i:' .. gid) == 0 then
  if gt == '' then
    if redis.call('HEXISTS', P .. 'loc', gid) == 1 then return 2 end
  elseif redis.call('HEXISTS', P .. 'here', gid .. '|' .. gt) == 0 then
    return 2
  end
end
enqueue_argv(4)
redis.call('SET', record, '1')
publish(nil, nil)
return 1
`;

/** KEYS[1]: the partition's anchor; ARGV[1]: batch size → { token (0: nothing to do), envelopes, records to delete }. */
export const TAKE = `
local P = string.sub(KEYS[1], 1, -4)
local n = tonumber(ARGV[1])
if redis.call('LLEN', P .. 'out') == 0 and redis.call('LLEN', P .. 'outdone') == 0 then return { 0, {}, {} } end
local token = redis.call('INCR', P .. 'outn')
return { token, redis.call('LRANGE', P .. 'out', 0, n - 1), redis.call('LRANGE', P .. 'outdone', 0, n - 1) }
`;

/**
 * KEYS[1]: the partition's anchor; ARGV: drain token, then pairs (envelope, '<target>|<id>') → 1, or 0 when a
 * newer drain exists (it holds these envelopes too, and removes them).
 */
export const ACK = `
local P = string.sub(KEYS[1], 1, -4)
if redis.call('GET', P .. 'outn') ~= ARGV[1] then return 0 end
for i = 2, #ARGV, 2 do
  if redis.call('LREM', P .. 'out', 1, ARGV[i]) > 0 then redis.call('RPUSH', P .. 'outdone', ARGV[i + 1]) end
end
return 1
`;

/** KEYS[1]: the partition's anchor; ARGV: '<target>|<id>' entries whose records were deleted. */
export const CLEARED = `
local P = string.sub(KEYS[1], 1, -4)
for i = 1, #ARGV do redis.call('LREM', P .. 'outdone', 1, ARGV[i]) end
return 1
`;
