/**
 * Which partitions a lock call should visit: one read-only script per
 * partition (all sent at once) says whether it may hold fresh or redelivered
 * work and when its next timer or lease falls due, so an idle hub costs one
 * round trip per node rather than K lock scripts.
 */
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';

export interface Probe {
  fresh: boolean;
  redelivered: boolean;
  /** ms until the earliest timer or lease falls due; -1: none. */
  nextMs: number;
}

const HEAD = `
local P = string.sub(KEYS[1], 1, -4)
local T = redis.call('TIME')
local NOW = tonumber(T[1]) * 1000 + math.floor(tonumber(T[2]) / 1000)
local function first(key)
  local h = redis.call('ZRANGE', P .. key, 0, 0, 'WITHSCORES')
  if h[2] then return tonumber(h[2]) end
  return nil
end
local function until_ms(...)
  local best = nil
  for i = 1, select('#', ...) do
    local at = select(i, ...)
    if at and (best == nil or at < best) then best = at end
  end
  if best == nil then return -1 end
  return math.max(0, math.ceil(best - NOW))
end
`;

// Due timers and expired leases count as both: the lock script's sweep turns them into work.
const INSTANCES = `${HEAD}
local due = redis.call('ZCOUNT', P .. 'timers', '-inf', NOW) + redis.call('ZCOUNT', P .. 'ilease', '-inf', NOW)
local fresh = redis.call('ZCARD', P .. 'ready') + redis.call('SCARD', P .. 'pkv') + due
local redo = redis.call('ZCARD', P .. 'redo') + due
return { fresh, redo, until_ms(first('timers'), first('ilease')) }
`;

const ACTIVITIES = `${HEAD}
local due = redis.call('ZCOUNT', P .. 'alease', '-inf', NOW)
local fresh = redis.call('LLEN', P .. 'aq') + redis.call('SCARD', P .. 'apkv') + due
local redo = redis.call('LLEN', P .. 'aredo') + due
return { fresh, redo, until_ms(first('alease')) }
`;

export function probe(redis: Connections, kind: 'instances' | 'activities', partitionHub: string): Promise<Probe> {
  const anchor = hubKeys(partitionHub).anchor;
  return redis
    .read((client) => client.eval(kind === 'instances' ? INSTANCES : ACTIVITIES, 1, anchor) as Promise<[number, number, number]>)
    .then(([fresh, redo, nextMs]) => ({ fresh: fresh > 0, redelivered: redo > 0, nextMs: Number(nextMs) }));
}
