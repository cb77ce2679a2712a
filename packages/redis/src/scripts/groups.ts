/**
 * Concurrency groups: the Lua helpers the prelude includes (admission in the
 * create script and in createIfMissing messages, slot release and FIFO
 * promotion in the commit that makes an instance terminal and wherever an
 * instance is removed) and the group scripts (queue position, cancelQueued).
 *
 * Per group g of a hub (P = `reprise:{<hub>}:`):
 *   P..'g:'..g    hash  limit, mq (maxQueued, absent = unbounded): the settings of
 *                       the start that found the group empty, kept while it has members
 *   P..'gr:'..g   set   admitted (slot-holding) instance ids
 *   P..'gq:'..g   zset  queued instance ids by message sequence (FIFO)
 * Per instance, in its 'i:' hash: cg (its group, while it holds a slot or a
 * queue place), hm / hv (a queued instance's held start message id and
 * visibleAt: the message is in 'm:' but in neither 'ib' nor 'timers').
 * A slot belongs to the instance, never to a worker: only the instance
 * becoming terminal (or being removed) gives it back.
 */
export const GROUP_HELPERS = `
local function group_keys(g)
  return P .. 'g:' .. g, P .. 'gr:' .. g, P .. 'gq:' .. g
end

-- Decides admission for a new instance into group g (nothing written):
-- 'admitted', 'queued', 'limit' or 'queueFull', and the settings in force.
-- force (sub-orchestrations, whose parent already runs): queue, never refuse.
local function judge_admission(g, limit, max_queued, on_full, force)
  local gs, gr, gq = group_keys(g)
  local running, queued = redis.call('SCARD', gr), redis.call('ZCARD', gq)
  local fresh = running + queued == 0
  if not fresh then
    local s = redis.call('HMGET', gs, 'limit', 'mq')
    limit, max_queued = num(s[1]), s[2] or ''
  end
  if running < limit and queued == 0 then return 'admitted', fresh, limit, max_queued end
  if force then return 'queued', fresh, limit, max_queued end
  if on_full == 'reject' then return 'limit', fresh, limit, max_queued end
  if max_queued ~= '' and queued >= tonumber(max_queued) then return 'queueFull', fresh, limit, max_queued end
  return 'queued', fresh, limit, max_queued
end

-- Records id's admission decided by judge_admission. A queued instance's
-- start message (event, visible_at) is held; an admitted one's is enqueued by the caller.
local function join_group(id, g, verdict, fresh, limit, max_queued, event, visible_at)
  local gs, gr, gq = group_keys(g)
  if fresh then
    redis.call('DEL', gs)
    redis.call('HSET', gs, 'limit', limit)
    if max_queued ~= '' then redis.call('HSET', gs, 'mq', max_queued) end
  end
  local key = P .. 'i:' .. id
  redis.call('HSET', key, 'cg', g)
  if verdict == 'admitted' then
    redis.call('SADD', gr, id)
    return
  end
  local seq = redis.call('INCR', KEYS[1])
  local mid = string.format('%d', seq)
  redis.call('HSET', P .. 'm:' .. id, mid, event)
  redis.call('HSET', key, 'hm', mid, 'hv', visible_at)
  redis.call('ZADD', gq, seq, id)
end

-- A queued instance's place in its group's queue (1 = next), 0 when not queued.
local function queue_rank(id)
  local g = redis.call('HGET', P .. 'i:' .. id, 'cg')
  if not g then return 0 end
  local rank = redis.call('ZRANK', P .. 'gq:' .. g, id)
  return rank and rank + 1 or 0
end

-- Makes a promoted instance's held start message visible (or a timer).
local function release_held(id)
  local key = P .. 'i:' .. id
  local h = redis.call('HMGET', key, 'hm', 'hv')
  if not h[1] then return end
  redis.call('HDEL', key, 'hm', 'hv')
  if h[2] ~= '' and tonumber(h[2]) > NOW then
    redis.call('ZADD', P .. 'timers', h[2], h[1] .. '|' .. id)
  else
    redis.call('ZADD', P .. 'ib:' .. id, tonumber(h[1]), h[1])
    if not instance_leased(id) then mark_ready(id) end
  end
  WORK_O = true
end

-- Gives back id's slot or queue place (a queued instance's held start is
-- dropped) and promotes the oldest queued instances into the free slots.
local function leave_group(id)
  local key = P .. 'i:' .. id
  local g = redis.call('HGET', key, 'cg')
  if not g then return end
  redis.call('HDEL', key, 'cg')
  local gs, gr, gq = group_keys(g)
  redis.call('SREM', gr, id)
  if redis.call('ZREM', gq, id) == 1 then
    local hm = redis.call('HGET', key, 'hm')
    if hm then
      redis.call('HDEL', P .. 'm:' .. id, hm)
      redis.call('HDEL', key, 'hm', 'hv')
    end
  end
  local limit = num(redis.call('HGET', gs, 'limit'))
  while redis.call('SCARD', gr) < limit do
    local popped = redis.call('ZPOPMIN', gq)
    if #popped == 0 then break end
    redis.call('SADD', gr, popped[1])
    release_held(popped[1])
  end
  if redis.call('SCARD', gr) == 0 and redis.call('ZCARD', gq) == 0 then redis.call('DEL', gs) end
end
`;

/** ARGV: id → { group, position } for a queued instance, else {}. */
export const QUEUE_POSITION = `
local rank = queue_rank(ARGV[1])
if rank == 0 then return {} end
return { redis.call('HGET', P .. 'i:' .. ARGV[1], 'cg'), rank }
`;

/**
 * ARGV: id, the row as read (JSON), the new row and its 7 columns, nHistory,
 * events..., messages (11 fields each) → 1 canceled, 0 not queued (nothing
 * changes), -1 the row changed since it was read (read it again). Drops
 * the queue place, the held start and every pending message, ends any
 * lease (its holder's commit is then refused), writes the row, appends the
 * history and enqueues the messages (the parent's answer), atomically.
 */
export const CANCEL_QUEUED = `
local id = ARGV[1]
local key = P .. 'i:' .. id
local f = redis.call('HMGET', key, 'row', 'cg')
if not f[1] or not f[2] or not redis.call('ZSCORE', P .. 'gq:' .. f[2], id) then return 0 end
if f[1] ~= ARGV[2] then return -1 end
leave_group(id)
for _, mid in ipairs(redis.call('HKEYS', P .. 'm:' .. id)) do redis.call('ZREM', P .. 'timers', mid .. '|' .. id) end
redis.call('DEL', P .. 'm:' .. id, P .. 'ib:' .. id)
redis.call('HDEL', key, 'lt', 'le', 'dl')
redis.call('ZREM', P .. 'ready', id)
redis.call('ZREM', P .. 'redo', id)
redis.call('ZREM', P .. 'ilease', id)
put_row(id, ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9])
local n = tonumber(ARGV[10])
call_many('RPUSH', P .. 'h:' .. id, ARGV, 11, 10 + n)
enqueue_argv(11 + n)
publish(ARGV[4], id)
return 1
`;
