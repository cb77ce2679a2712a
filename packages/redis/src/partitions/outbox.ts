/**
 * Cross-partition messages. A commit (or a queued cancellation) addresses
 * messages to other instances; in a partitioned hub they are written, in the
 * same script as the commit, to the sender partition's outbox
 * (`reprise:{<hub>:<p>}:out`, a list): the layer passes each as a message to
 * instance '' whose event is the envelope `{ id, m }`, and the prelude's
 * enqueue pushes that envelope instead of delivering it.
 *
 * Forwarding: each envelope is sent to its target's partition by the
 * sendMessages script with the envelope id as its request id, then removed
 * from the outbox. A forwarder that dies between the send and the removal
 * leaves the envelope; the next one sends it again and the target partition
 * finds the request id and applies nothing (request ids live REQUEST_TTL_MS,
 * 10 minutes; workers sweep outboxes every second). Envelopes are forwarded
 * in outbox order, each forwarder sending one only after the ones before it,
 * so one sender's messages to one target keep their order.
 */
import { nanoid } from 'nanoid';
import type { HistoryEvent, NewMessage } from '@reprise/core';
import { messagesArgs } from '../codec.js';
import type { Arg } from '../codec.js';
import type { Connections } from '../connection.js';
import { hubKeys } from '../keys.js';
import type { Directory } from './directory.js';
import { partitionHub } from './placement.js';

interface Envelope {
  id: string;
  m: NewMessage;
}

/** Envelopes one drain step reads. */
const DRAIN_BATCH = 200;

/** The message that puts `message` in the sender partition's outbox. */
export function toOutbox(message: NewMessage): NewMessage {
  const envelope: Envelope = { id: nanoid(), m: message };
  return { instanceId: '', event: envelope as unknown as HistoryEvent };
}

export class Outbox {
  readonly #redis: Connections;
  readonly #directory: Directory;

  constructor(redis: Connections, directory: Directory) {
    this.#redis = redis;
    this.#directory = directory;
  }

  /** Forwards everything in partition p's outbox, oldest first; resolves once it is empty (or held by another drain). */
  async drain(hub: string, p: number): Promise<void> {
    const key = `${hubKeys(partitionHub(hub, p)).prefix}out`;
    for (;;) {
      const raws = await this.#redis.read((client) => client.lrange(key, 0, DRAIN_BATCH - 1));
      if (raws.length === 0) return;
      const envelopes = raws.map((raw) => JSON.parse(raw) as Envelope);
      const targets = await this.#target(hub, envelopes);
      // Sent without waiting for each other: one connection per node keeps their order per target.
      await Promise.all(
        envelopes.map((envelope, i) => {
          const args: Arg[] = [`ob:${envelope.id}`];
          messagesArgs([envelope.m], args);
          return this.#redis.script('sendMessages', partitionHub(hub, targets[i]!), args, true);
        }),
      );
      await Promise.all(raws.map((raw) => this.#redis.read((client) => client.lrem(key, 1, raw))));
      if (raws.length < DRAIN_BATCH) return;
    }
  }

  /** Each envelope's partition: a start into a group goes where the group lives, unless the instance exists elsewhere. */
  async #target(hub: string, envelopes: Envelope[]): Promise<number[]> {
    const where = await this.#directory.locate(hub, envelopes.map((e) => e.m.instanceId));
    for (let i = 0; i < envelopes.length; i++) {
      const { m } = envelopes[i]!;
      if (m.createIfMissing && m.admission) where[i] = await this.#directory.placeIfNew(hub, m.instanceId, this.#directory.groupPartition(m.admission.group));
    }
    return where;
  }
}
