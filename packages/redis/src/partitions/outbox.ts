/**
 * Cross-partition messages. A commit (or a queued cancellation) addresses
 * messages to other instances; in a partitioned hub they are written, in the
 * same script as the commit, to the sender partition's outbox
 * (`reprise:{<hub>:<p>}:out`, a list): the layer passes each as a message to
 * instance '' whose event is the envelope `{ id, m }`, and the prelude's
 * enqueue pushes that envelope instead of delivering it.
 *
 * Forwarding (forward-scripts.ts): a drain step takes a token (a counter in
 * the sender partition) with the oldest envelopes, sends each to its target's
 * partition, which applies it once (a dedupe record per envelope, without
 * expiry) and refuses drains older than the newest it saw from that sender;
 * then the step removes the envelopes, only if no newer drain started, and
 * deletes their dedupe records. A forwarder that dies between its send and
 * the removal leaves the envelope: the next drain sends it again and the
 * record stops it, however late that is. Envelopes are forwarded in outbox
 * order, each drain sending one only after the ones before it, so one
 * sender's messages to one target keep their order.
 */
import { nanoid } from 'nanoid';
import type { HistoryEvent, NewMessage } from '@reprise/core';
import { messagesArgs } from '../codec.js';
import type { Arg } from '../codec.js';
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';
import type { Locations, Place } from './locations.js';
import { MAX_MOVES } from './locations.js';
import { ACK, CLEARED, TAKE } from './forward-scripts.js';
import { partitionHub } from './placement.js';

interface Envelope {
  id: string;
  m: NewMessage;
}

/** Envelopes one drain step reads. */
const DRAIN_BATCH = 200;
/** Drain steps in a row that a newer drain preempts before this one leaves the rest to it (or to the sweep). */
const MAX_ATTEMPTS = 8;

/** The message that puts `message` in the sender partition's outbox. */
export function toOutbox(message: NewMessage): NewMessage {
  const envelope: Envelope = { id: nanoid(), m: message };
  return { instanceId: '', event: envelope as unknown as HistoryEvent };
}

/** The dedupe records a drain step deletes, by target partition: '<target>|<envelope id>'. */
function recordsByTarget(done: string[]): Map<number, string[]> {
  const by = new Map<number, string[]>();
  for (const entry of done) {
    const bar = entry.indexOf('|');
    const p = Number(entry.slice(0, bar));
    by.set(p, [...(by.get(p) ?? []), entry.slice(bar + 1)]);
  }
  return by;
}

/** What one drain step took: its token, the envelopes (as stored) and the records left to delete. */
export interface Taken {
  token: number;
  raws: string[];
  done: string[];
}

export class Outbox {
  readonly #redis: Connections;
  readonly #locations: Locations;
  /** One drain per partition at a time in this process; a drain asked for meanwhile runs once after it. */
  readonly #running = new Map<string, { run: Promise<void>; rerun?: Promise<void> }>();
  /** Told of each partition a forwarded message landed in (lock calls of this process then ask it again). */
  onForwarded: (hub: string, p: number) => void = () => {};

  constructor(redis: Connections, locations: Locations) {
    this.#redis = redis;
    this.#locations = locations;
  }

  /** Forwards everything in partition p's outbox, oldest first; resolves once it is empty (or left to a newer drain). */
  drain(hub: string, p: number): Promise<void> {
    const key = `${p}:${hub}`;
    const running = this.#running.get(key);
    if (running) return (running.rerun ??= running.run.catch(() => undefined).then(() => this.drain(hub, p)));
    const entry: { run: Promise<void>; rerun?: Promise<void> } = {
      run: this.#drain(hub, p).finally(() => {
        if (this.#running.get(key) === entry) this.#running.delete(key);
      }),
    };
    this.#running.set(key, entry);
    return entry.run;
  }

  async #drain(hub: string, p: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; ) {
      const taken = await this.take(hub, p);
      if (taken.done.length > 0) await this.#clear(hub, p, taken.done);
      if (taken.raws.length === 0) return;
      const done = await this.send(hub, p, taken);
      if (done && (await this.#ack(hub, p, taken, done))) {
        await this.#clear(hub, p, done);
        if (taken.raws.length < DRAIN_BATCH) return;
        attempt = 0;
      } else {
        // A newer drain (another process) holds these envelopes: let it finish, then look again.
        attempt++;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /** One drain step's token and the oldest envelopes of partition p's outbox (exported for the tests: a forwarder that dies). */
  async take(hub: string, p: number): Promise<Taken> {
    const anchor = hubKeys(partitionHub(hub, p)).anchor;
    const [token, raws, done] = await this.#redis.read((client) => client.eval(TAKE, 1, anchor, DRAIN_BATCH) as Promise<[number, string[], string[]]>);
    return { token: Number(token), raws, done };
  }

  /** Sends what a step took; '<target>|<id>' of each envelope, or undefined when a target refused this drain as stale. */
  async send(hub: string, p: number, { token, raws }: Taken): Promise<string[] | undefined> {
    const envelopes = raws.map((raw) => JSON.parse(raw) as Envelope);
    const targets = await this.#target(hub, envelopes);
    const forward = (envelope: Envelope, at: Place) => {
      const args: Arg[] = [p, token, envelope.id];
      messagesArgs([envelope.m], args);
      args.push(at.token);
      return this.#redis.script<number>('forwardMessages', partitionHub(hub, at.p), args, true).then((ok) => {
        if (Number(ok) === 1) this.onForwarded(hub, at.p);
        return ok;
      });
    };
    // Sent without waiting for each other: one connection per node keeps their order per target.
    const sent = await Promise.all(
      envelopes.map(async (envelope, i) => {
        let ok = Number(await forward(envelope, targets[i]!));
        // A create-if-missing message whose id was placed elsewhere meanwhile: routed again (only such a message is refused).
        for (let attempt = 0; ok === 2 && attempt < MAX_MOVES; attempt++) {
          await this.#locations.refused(hub, envelope.m.instanceId, targets[i]!);
          targets[i] = (await this.#target(hub, [envelope]))[0]!;
          ok = Number(await forward(envelope, targets[i]!));
        }
        return ok;
      }),
    );
    return sent.every((ok) => ok === 1) ? envelopes.map((e, i) => `${targets[i]!.p}|${e.id}`) : undefined;
  }

  /** Removes the sent envelopes unless a newer drain started; then their records may go. */
  async #ack(hub: string, p: number, { token, raws }: Taken, done: string[]): Promise<boolean> {
    const anchor = hubKeys(partitionHub(hub, p)).anchor;
    const args: Arg[] = [token];
    raws.forEach((raw, i) => args.push(raw, done[i]!));
    return Number(await this.#redis.read((client) => client.eval(ACK, 1, anchor, ...args))) === 1;
  }

  async #clear(hub: string, p: number, done: string[]): Promise<void> {
    const anchor = hubKeys(partitionHub(hub, p)).anchor;
    await Promise.all(
      [...recordsByTarget(done)].map(([target, ids]) => {
        const prefix = hubKeys(partitionHub(hub, target)).prefix;
        return this.#redis.read((client) => client.del(...ids.map((id) => `${prefix}fw:${id}`)));
      }),
    );
    await this.#redis.read((client) => client.eval(CLEARED, 1, anchor, ...done));
  }
  /** Each envelope's placement: a start into a group goes where the group lives, unless a live instance is elsewhere. */
  async #target(hub: string, envelopes: Envelope[]): Promise<Place[]> {
    const where = await this.#locations.locate(hub, envelopes.map((e) => e.m.instanceId));
    for (let i = 0; i < envelopes.length; i++) {
      const { m } = envelopes[i]!;
      if (!m.createIfMissing || !m.admission) continue;
      const at = await this.#locations.forCreate(hub, m.instanceId, this.#locations.groupPartition(m.admission.group));
      where[i] = { p: at.p, token: at.token };
    }
    return where;
  }
}
