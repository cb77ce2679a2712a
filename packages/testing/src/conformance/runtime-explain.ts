/**
 * `client.explain` on the store under test: every kind of wait and every
 * hint, read from what the store holds and from the registry the runtimes
 * keep. Where a state needs a runtime that is not running (a queued activity
 * nobody serves, a lease that ran out), the test plays the worker by hand
 * with the store's own calls, and explains through the client of a runtime
 * that is not started (it registers nothing and takes no work).
 */
import { describe, expect, it } from 'vitest';
import { createRuntime, entityId, isRepriseError } from '@reprise/core';
import type { EntityContext, EntityLock, HistoryEvent, NewActivity, OrchestrationContext, OrchestratorFunction, Runtime } from '@reprise/core';
import { activity, commitFor, ev, message, orchestrationRecord } from './builders.js';
import type { ConformanceContext } from './context.js';
import { PAST_EXPIRY, SHORT_LEASE, lockAllActivities, lockOne, startInstance } from './context.js';
import { eventually, runtimeStarter } from './runtime-helpers.js';

const orchestrators = {
  Order: function* (ctx: OrchestrationContext) {
    yield ctx.callActivity('Charge', 1);
    yield ctx.callActivity('Ship', 2);
  },
  Approval: function* (ctx: OrchestrationContext) {
    return yield ctx.waitForExternalEvent('Approve');
  },
  Later: function* (ctx: OrchestrationContext) {
    yield ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + 3_600_000));
  },
  Parent: function* (ctx: OrchestrationContext) {
    return yield ctx.callSubOrchestrator('Approval', undefined, `${ctx.instanceId}-child`);
  },
  CallCounter: function* (ctx: OrchestrationContext) {
    return yield ctx.callEntity(entityId('Counter', 'c1'), 'add', 1);
  },
  HoldLock: function* (ctx: OrchestrationContext) {
    const lock = (yield ctx.lock([entityId('Counter', 'shared')])) as EntityLock;
    yield ctx.waitForExternalEvent('Release');
    lock.release();
  },
} satisfies Record<string, OrchestratorFunction>;

const entities = {
  Counter: (ctx: EntityContext<number>) => {
    ctx.setState((ctx.getState(() => 0) ?? 0) + (ctx.getInput<number>() ?? 0));
  },
};

export function describeRuntimeExplain(ctx: ConformanceContext): void {
  describe('client.explain', () => {
    const startRuntime = runtimeStarter(ctx);
    /** A runtime that is never started: its client explains, it registers nothing and runs nothing. */
    const idle = (hub: string, names: Partial<typeof orchestrators> = orchestrators): Runtime => createRuntime({ storage: ctx.storage, taskHub: hub, orchestrators: names, logger: () => {} });

    /** Creates `instanceId` of `name` and commits its first episode by hand: `events` after ExecutionStarted, `activities` queued. */
    async function episodeByHand(hub: string, instanceId: string, name: string, events: HistoryEvent[], activities: (executionId: string) => NewActivity[] = () => []) {
      const s = ctx.storage;
      const record = await startInstance(s, hub, instanceId, { name });
      const locked = await lockOne(s, hub, instanceId);
      await s.commitOrchestration(hub, commitFor(locked, { append: [locked.messages[0]!.event, ...events], activities: activities(record.executionId) }));
      return record;
    }
    const chargeQueued = (hub: string, instanceId = 'o1') =>
      episodeByHand(hub, instanceId, 'Order', [ev.scheduled(0, 'Charge', '1')], (executionId) => [activity(instanceId, executionId, 0, 'Charge', '1')]);

    it('undefined for an unknown instance; a bad id is an InvalidArgumentError', async () => {
      const client = idle(ctx.hub()).client;
      expect(await client.explain('nobody')).toBeUndefined();
      const error = await client.explain('').catch((e: unknown) => e);
      expect(isRepriseError(error, 'INVALID_ARGUMENT')).toBe(true);
    });

    it('a queued activity with no runtime at all: "no running runtime has activity \'Charge\' registered"', async () => {
      const hub = ctx.hub();
      await chargeQueued(hub);
      const explained = await idle(hub).client.explain('o1');
      expect(explained!.status).toBe('Running');
      expect(explained!.waitingFor).toEqual([{ kind: 'activity', name: 'Charge', sequence: 0, since: expect.any(Date), attempt: 1, state: 'queued' }]);
      expect(explained!.hints).toContain("no running runtime has activity 'Charge' registered (no runtime is running on this task hub)");
    });

    it('a queued activity while other runtimes run: the hint says nobody running serves it', async () => {
      const hub = ctx.hub();
      await chargeQueued(hub);
      // A runtime of another process that serves other names (its registry entry, as it would write it).
      await ctx.storage.heartbeatRuntime(hub, { runtimeId: 'elsewhere', orchestrators: ['Order'], activities: ['Ship'], entities: [], startedAt: Date.now() }, 60_000);
      const explained = await idle(hub).client.explain('o1');
      expect(explained!.hints).toContain("no running runtime has activity 'Charge' registered");
      await ctx.storage.heartbeatRuntime(hub, { runtimeId: 'elsewhere', orchestrators: ['Order'], activities: ['Ship', 'Charge'], entities: [], startedAt: Date.now() }, 60_000);
      expect((await idle(hub).client.explain('o1'))!.hints.filter((h) => h.includes("activity 'Charge'"))).toEqual([]);
    });

    it('the only runtime that had the activity registered stopped', async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators, activities: { Charge: () => 'charged', Ship: () => 'shipped' } });
      const [entry] = await ctx.storage.listRuntimes(hub);
      expect(entry).toMatchObject({ orchestrators: expect.arrayContaining(['Order']), activities: expect.arrayContaining(['Charge', 'Ship']) });
      expect(entry!.stoppedAt).toBeUndefined();
      await runtime.stop();
      const [stopped] = await ctx.storage.listRuntimes(hub);
      expect(stopped!.runtimeId).toBe(entry!.runtimeId);
      expect(stopped!.stoppedAt).toBeDefined();

      await chargeQueued(hub);
      const explained = await runtime.client.explain('o1');
      const hint = explained!.hints.find((h) => h.startsWith("no running runtime has activity 'Charge' registered"));
      expect(hint).toMatch(new RegExp(`: the only runtime that had it \\('${entry!.runtimeId}' on .+\\) stopped \\d+ s ago$`));
    });

    it('a runtime that died (no heartbeat within its lease) counts as gone', async () => {
      const hub = ctx.hub();
      await ctx.storage.heartbeatRuntime(hub, { runtimeId: 'dead', orchestrators: ['Order'], activities: ['Charge'], entities: [], startedAt: Date.now() }, SHORT_LEASE);
      await chargeQueued(hub);
      await new Promise((resolve) => setTimeout(resolve, PAST_EXPIRY));
      const explained = await idle(hub).client.explain('o1');
      expect(explained!.hints).toContainEqual(expect.stringMatching(/^no running runtime has activity 'Charge' registered: the only runtime that had it \('dead'\) stopped sending heartbeats \d+ s ago$/));
    });

    it('a running activity: state, lease expiry and progress; a lease that ran out: "expired ... and nobody took it over"', async () => {
      const hub = ctx.hub();
      await chargeQueued(hub);
      const [item] = await lockAllActivities(ctx.storage, hub, SHORT_LEASE);
      await ctx.storage.reportProgress(hub, item!.id, item!.lockToken, { percent: 40, message: 'card authorized', at: Date.now() });
      const running = await idle(hub).client.explain('o1');
      expect(running!.waitingFor).toEqual([
        { kind: 'activity', name: 'Charge', sequence: 0, since: expect.any(Date), attempt: 1, state: 'running', leaseExpiresAt: expect.any(Date), progress: { percent: 40, message: 'card authorized', at: expect.any(Date) } },
      ]);
      expect(running!.hints.filter((h) => h.includes('lease'))).toEqual([]);

      await new Promise((resolve) => setTimeout(resolve, PAST_EXPIRY));
      const expired = await idle(hub).client.explain('o1');
      expect(expired!.waitingFor[0]).toMatchObject({ kind: 'activity', state: 'queued', leaseExpiresAt: expect.any(Date) });
      expect(expired!.hints).toContainEqual(expect.stringMatching(/^the lease of the worker running 'Charge' expired \d+ s ago and nobody took it over$/));
    });

    it('an event wait: since when, buffered events, the wrong-case hint; a raised event clears it', async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators });
      const id = await runtime.client.startNew('Approval');
      await eventually(async () => (await runtime.client.explain(id))!.waitingFor.length > 0);
      const waiting = await runtime.client.explain(id);
      expect(waiting!.waitingFor).toEqual([{ kind: 'event', name: 'Approve', since: expect.any(Date), bufferedEvents: [] }]);
      const since = (waiting!.waitingFor[0] as { since: Date }).since;
      expect(since.getTime()).toBe(Date.parse((await ctx.storage.getHistory(hub, id))[0]!.Timestamp));
      expect(waiting!.hints).toContainEqual(expect.stringMatching(/^waiting for event 'Approve' since \d+ s ago: raise it to continue$/));

      await runtime.client.raiseEvent(id, 'approve', 'lower case');
      await runtime.client.raiseEvent(id, 'Other', 1);
      await eventually(async () => (await runtime.client.explain(id))!.waitingFor.some((w) => w.kind === 'event' && w.bufferedEvents.length === 2));
      const wrong = await runtime.client.explain(id);
      expect(wrong!.waitingFor).toEqual([{ kind: 'event', name: 'Approve', since, bufferedEvents: ['approve', 'Other'] }]);
      expect(wrong!.hints).toContain("waiting for event 'Approve', but an event named 'approve' arrived: event names are case-sensitive");
      expect(wrong!.hints).toContain("event 'Other' arrived but the orchestration has not waited for it");

      await runtime.client.raiseEvent(id, 'Approve', 'yes');
      await runtime.client.waitForCompletion(id, { timeoutMs: 10_000 });
      expect(await runtime.client.explain(id)).toEqual({ status: 'Completed', waitingFor: [], hints: ['the instance is Completed: it waits for nothing'] });
    });

    it('an event in the inbox with no runtime serving the orchestrator says so', async () => {
      const hub = ctx.hub();
      await episodeByHand(hub, 'a1', 'Approval', []);
      await ctx.storage.sendMessages(hub, [message('a1', ev.raised('Approve', '"yes"'))]);
      const explained = await idle(hub).client.explain('a1');
      expect(explained!.waitingFor).toEqual([{ kind: 'event', name: 'Approve', since: expect.any(Date), bufferedEvents: [] }]);
      expect(explained!.hints).toContain("1 message (event 'Approve') waits in the inbox: no running runtime has orchestrator 'Approval' registered (no runtime is running on this task hub)");
      // Not "raise it": it has been raised.
      expect(explained!.hints.some((h) => h.includes('raise it'))).toBe(false);
    });

    it('event waits need the orchestrator in this process: without it the hint says so', async () => {
      const hub = ctx.hub();
      await episodeByHand(hub, 'a1', 'Approval', []);
      const explained = await idle(hub, {}).client.explain('a1');
      expect(explained!.waitingFor).toEqual([]);
      expect(explained!.hints).toContain("orchestrator 'Approval' is not registered in this process, so the events it waits for cannot be read");
    });

    it('a timer: its fire time; an overdue one nobody fires gets a hint', async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators });
      const id = await runtime.client.startNew('Later');
      await eventually(async () => (await runtime.client.explain(id))!.waitingFor.length > 0);
      const [timer] = (await runtime.client.explain(id))!.waitingFor;
      expect(timer).toEqual({ kind: 'timer', sequence: 0, fireAt: expect.any(Date) });
      expect(timer!.kind === 'timer' && timer!.fireAt.getTime() - Date.now()).toBeGreaterThan(3_000_000);

      await runtime.stop();
      const due = Date.now() - 60_000;
      await episodeByHand(hub, 't1', 'Later', [ev.timerCreated(0, due)]);
      await ctx.storage.sendMessages(hub, [message('t1', ev.timerFired(0, due), { visibleAt: due })]);
      const overdue = await idle(hub).client.explain('t1');
      expect(overdue!.waitingFor).toEqual([{ kind: 'timer', sequence: 0, fireAt: new Date(due) }]);
      expect(overdue!.hints).toContainEqual(expect.stringMatching(/^timer 0 was due \d+ s ago and has not fired yet$/));
      expect(overdue!.hints).toContainEqual(expect.stringMatching(/^1 message \(TimerFired\) waits in the inbox: no running runtime has orchestrator 'Later' registered: the only runtime that had it/));
    });

    it("a sub-orchestration: the child's id and status; a suspended child gets a hint", async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators });
      const id = await runtime.client.startNew('Parent', { instanceId: 'p1' });
      await eventually(async () => (await runtime.client.getStatus('p1-child'))?.runtimeStatus === 'Running');
      await eventually(async () => (await runtime.client.explain(id))!.waitingFor.length > 0);
      expect((await runtime.client.explain(id))!.waitingFor).toEqual([{ kind: 'subOrchestration', instanceId: 'p1-child', status: 'Running' }]);
      await runtime.client.suspend('p1-child', 'audit');
      await eventually(async () => (await runtime.client.getStatus('p1-child'))?.runtimeStatus === 'Suspended');
      const explained = await runtime.client.explain(id);
      expect(explained!.waitingFor).toEqual([{ kind: 'subOrchestration', instanceId: 'p1-child', status: 'Suspended' }]);
      expect(explained!.hints).toContain("sub-orchestration 'p1-child' is suspended");
    });

    it('a sub-orchestration queued in its group: Pending, and a hint naming the group', async () => {
      const hub = ctx.hub();
      const s = ctx.storage;
      await episodeByHand(hub, 'p1', 'Parent', [
        { EventType: 'SubOrchestrationInstanceCreated', Timestamp: new Date().toISOString(), EventId: 0, Name: 'Approval', InstanceId: 'p1-child' },
      ]);
      const admission = { group: 'approvals', limit: 1, onFull: 'queue' as const };
      for (const id of ['holder', 'p1-child']) {
        const record = orchestrationRecord(id, { name: 'Approval', concurrency: { group: 'approvals', limit: 1 }, ...(id === 'p1-child' && { parentInstanceId: 'p1' }) });
        await s.createInstance(hub, record, message(id, ev.started('Approval')), admission);
      }
      const explained = await idle(hub).client.explain('p1');
      expect(explained!.waitingFor).toEqual([{ kind: 'subOrchestration', instanceId: 'p1-child', status: 'Pending' }]);
      expect(explained!.hints).toContain("sub-orchestration 'p1-child' waits for a slot in group 'approvals'");
      const child = await idle(hub).client.explain('p1-child');
      expect(child!.waitingFor).toEqual([{ kind: 'queue', group: 'approvals', position: 1 }]);
    });

    it('suspended: the reason, and a hint to resume', async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators });
      const id = await runtime.client.startNew('Approval');
      await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Running');
      await runtime.client.suspend(id, 'fraud check');
      await eventually(async () => (await runtime.client.getStatus(id))?.runtimeStatus === 'Suspended');
      const explained = await runtime.client.explain(id);
      expect(explained!.status).toBe('Suspended');
      expect(explained!.waitingFor[0]).toEqual({ kind: 'suspended', reason: 'fraud check' });
      expect(explained!.hints).toContain('the instance is suspended: resume it to continue');
    });

    it('an entity call: the entity and operation; nobody serving the entity gets a hint', async () => {
      const hub = ctx.hub();
      await episodeByHand(hub, 'e1', 'CallCounter', [
        { EventType: 'EntityRequestSent', Timestamp: new Date().toISOString(), EventId: 0, Kind: 'call', EntityId: '@counter@c1', Operation: 'add', Input: '1', RequestId: 'e1#0' },
      ]);
      const explained = await idle(hub).client.explain('e1');
      expect(explained!.waitingFor).toEqual([{ kind: 'entity', entity: { name: 'counter', key: 'c1' }, operation: 'add' }]);
      expect(explained!.hints).toContain("no running runtime has entity 'counter' registered (no runtime is running on this task hub)");
    });

    it('a lock held by another instance: the lock set and the holder', async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators, entities });
      const holder = await runtime.client.startNew('HoldLock', { instanceId: 'holder' });
      await eventually(async () => (await runtime.client.explain(holder))!.waitingFor.some((w) => w.kind === 'event'));
      const waiter = await runtime.client.startNew('HoldLock', { instanceId: 'waiter' });
      await eventually(async () => (await runtime.client.explain(waiter))!.waitingFor.some((w) => w.kind === 'lock' && w.heldBy !== undefined));
      const explained = await runtime.client.explain(waiter);
      expect(explained!.waitingFor).toEqual([{ kind: 'lock', entities: [{ name: 'counter', key: 'shared' }], heldBy: 'holder' }]);
      expect(explained!.hints).toContain("an entity of the lock set is locked by instance 'holder'");
      await runtime.client.raiseEvent(holder, 'Release');
      await eventually(async () => (await runtime.client.explain(waiter))!.waitingFor.some((w) => w.kind === 'event'));
    });

    it("queued in a concurrency group: the group and the place", async () => {
      const hub = ctx.hub();
      const runtime = await startRuntime({ taskHub: hub, orchestrators });
      const concurrency = { group: 'approvals', limit: 1 };
      await runtime.client.startNew('Approval', { instanceId: 'first', concurrency });
      const second = await runtime.client.startNew('Approval', { instanceId: 'second', concurrency });
      const explained = await runtime.client.explain(second);
      expect(explained!.status).toBe('Pending');
      expect(explained!.waitingFor).toEqual([{ kind: 'queue', group: 'approvals', position: 1 }]);
      expect(explained!.hints).toContain("queued in concurrency group 'approvals' at position 1: it starts when a running member of the group ends");
    });

    it('a delayed start: when it starts', async () => {
      const hub = ctx.hub();
      const at = new Date(Date.now() + 600_000);
      const id = await idle(hub).client.startNew('Approval', { startAt: at });
      const explained = await idle(hub).client.explain(id);
      expect(explained!.status).toBe('Pending');
      expect(explained!.waitingFor).toEqual([{ kind: 'startAt', at }]);
      expect(explained!.hints).toContainEqual(expect.stringMatching(new RegExp(`^the instance starts at ${at.toISOString().replace(/[.]/g, '\\.')} \\(in \\d+ (s|min)\\)$`)));
    });
  });
}
