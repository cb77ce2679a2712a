/**
 * Key layout. Every key of a task hub starts with `reprise:{<hub>}:`, where
 * `<hub>` is the hub name percent-encoded (encodeURIComponent), so a hub name
 * can never contain `{`, `}` or `:` once encoded and the hash tag `{<hub>}`
 * puts all of a hub's keys in one Redis Cluster slot. The empty hub name is
 * written `%`, which no encoded name can be.
 *
 * The Lua scripts receive one declared key, the hub's `seq` counter, and
 * derive every other key from its prefix: all of them share its slot.
 */
import { InvalidArgumentError } from '@reprise/core';

/** The lone surrogate U+D800, which encodeURIComponent refuses: it marks a partition's internal hub name. */
export const PARTITION_MARK = 0xd800;

export function hubTag(hub: string): string {
  if (typeof hub !== 'string') throw new InvalidArgumentError('the task hub name must be a string');
  // A partition's key space (partitions/placement.ts): `{<hub>:<p>}`; no user's hub name can start with a lone surrogate.
  if (hub.charCodeAt(0) === PARTITION_MARK) {
    const end = hub.indexOf(String.fromCharCode(PARTITION_MARK), 1);
    return `${hubTag(hub.slice(end + 1)).slice(0, -1)}:${hub.slice(1, end)}}`;
  }
  try {
    return `{${hub === '' ? '%' : encodeURIComponent(hub)}}`;
  } catch (error) {
    throw new InvalidArgumentError(`the task hub name ${JSON.stringify(hub)} is not valid Unicode`, { cause: error });
  }
}

export interface HubKeys {
  /** `reprise:{<hub>}:` */
  prefix: string;
  /** The key every script declares (the message sequence counter). */
  anchor: string;
  /** The pub/sub channel the scripts publish notices on. */
  channel: string;
  /** The channel of instance updates that are neither terminal nor beside work (subscriber.ts). */
  updatesChannel: string;
  instance(instanceId: string): string;
  history(instanceId: string): string;
  logs(instanceId: string): string;
}

const cache = new Map<string, HubKeys>();

export function hubKeys(hub: string): HubKeys {
  let keys = cache.get(hub);
  if (keys) return keys;
  const prefix = `reprise:${hubTag(hub)}:`;
  keys = {
    prefix,
    anchor: `${prefix}seq`,
    channel: `${prefix}notices`,
    updatesChannel: `${prefix}notices:u`,
    instance: (id) => `${prefix}i:${id}`,
    history: (id) => `${prefix}h:${id}`,
    logs: (id) => `${prefix}lg:${id}`,
  };
  if (cache.size > 1000) cache.clear();
  cache.set(hub, keys);
  return keys;
}

