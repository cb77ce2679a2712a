/**
 * Versioning on a real redis-server: the Lua port of the version rule
 * agrees with core's (the rolling deploy of two versions is a conformance
 * clause, runtime-rolling-deploy.ts), work parked by one version goes back to the queues when an instance migrates,
 * and `reprise check-compat --redis` changes no key.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, inject, it } from 'vitest';
import { InvalidArgumentError, compareVersions } from '@reprise/core';
import type { HistoryEvent, LockOptions, Storage } from '@reprise/core';
import { redisStorage } from '../src/index.js';
import { VERSION_HELPERS } from '../src/scripts/versions.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');

const VERSIONS = [
  '1.0.0', '1.0.0-rc.1', '1.0.0-rc.2', '1.0.0-rc.10', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2',
  '1.0.0-beta.11', '1.0.0+build.1', '1.0.0-rc.1+b', 'v1.0.0', 'V1.0.0', 'vv1.0.0', '1.10.0', '1.9.0', '2.0.0', '10.20.30', '01.0.0', '1.0.0-01',
  '1.0', '1.0.0-', '1.0.0+', '1.0.0-rc..1', '1.0.0+build+x', 'blue', 'Blue', '', '1.0.0-a-b', '1.0.0-A', '1.0.0-a', '1.0.0-0', '1.0.0-1a',
  '1.0.0-x.7.z.92', '1.0.0--', '1.2.3-rc.1+build-7', '99999999999999999999.0.0', '99999999999999999998.0.0',
];

describe.skipIf(!binary)('redis: versions', () => {
  const redis = useRedisServer(binary);

  it("the Lua rule orders every pair of versions as core's compareVersions does", async () => {
    const pairs = VERSIONS.flatMap((a) => VERSIONS.map((b) => [a, b] as const));
    const lua = `local P = ''\n${VERSION_HELPERS}\nlocal out = {}\nfor i = 1, #ARGV, 2 do\n  local c = compare_versions(ARGV[i], ARGV[i + 1])\n  out[#out + 1] = c == nil and 'none' or tostring(c)\nend\nreturn out`;
    const got = (await redis.admin.eval(lua, 0, ...pairs.flat())) as string[];
    const mismatches = pairs
      .map(([a, b], i) => ({ a, b, lua: got[i], core: String(compareVersions(a, b) ?? 'none') }))
      .filter((r) => r.lua !== r.core);
    expect(mismatches).toEqual([]);
    expect(pairs.length).toBe(VERSIONS.length ** 2);
  });

  it('an instance parked by a runtime of another version goes back to the queues when it migrates', async () => {
    const storage = redisStorage({ url: redis.server.url });
    await storage.open();
    try {
      const hub = `park-${randomUUID()}`;
      const now = Date.now();
      const started: HistoryEvent = { EventType: 'ExecutionStarted', Timestamp: new Date(now).toISOString(), Name: 'Flow', ExecutionId: 'e' };
      await storage.createInstance(hub, { instanceId: 'i1', kind: 'orchestration', name: 'Flow', executionId: 'e', status: 'Pending', createdAt: now, updatedAt: now, historyLength: 0, version: '1.0.0' }, { instanceId: 'i1', event: started });
      // As a runtime filters: its schedules exempt.
      const v2: LockOptions = { max: 10, leaseMs: 60_000, version: { match: 'strict', version: '2.0.0', exempt: ['reprise.schedule'] } };
      expect((await storage.lockInstances(hub, v2)).items).toEqual([]);
      // Parked: out of 'ready', under its version and name, judged as a whole by the next call.
      const prefix = `reprise:{${hub}}:`;
      expect(await redis.admin.zrange(`${prefix}pk:5:1.0.0:Flow`, 0, -1)).toEqual(['i1']);
      expect(await redis.admin.smembers(`${prefix}pkv`)).toEqual(['5:1.0.0:Flow']);
      expect(await redis.admin.zcard(`${prefix}ready`)).toBe(0);
      await redis.admin.config('RESETSTAT');
      expect((await storage.lockInstances(hub, v2)).items).toEqual([]);
      // The rejected instance's row is not read again: the set is judged by its key.
      expect((await redis.admin.info('commandstats')).includes('cmdstat_hmget:')).toBe(false);
      expect(await storage.setInstanceVersion!(hub, 'i1', { version: '2.0.0', historyLength: 0 })).toBe(true);
      expect(await redis.admin.exists(`${prefix}pk:5:1.0.0:Flow`)).toBe(0);
      expect((await storage.lockInstances(hub, v2)).items.map((i) => [i.instance.instanceId, i.instance.version, i.deliveries])).toEqual([['i1', '2.0.0', 1]]);
      expect(await storage.countInstances(hub, { version: '2.0.0' })).toBe(1);
      // A filter the scripts could not read is refused before anything is sent.
      await expect(storage.lockInstances(hub, { max: 1, leaseMs: 1000, version: { match: 'newest', version: '2.0.0' } as unknown as LockOptions['version'] })).rejects.toBeInstanceOf(InvalidArgumentError);
    } finally {
      await storage.close();
    }
  });

  it('reprise check-compat --redis prints the diverging instances, exits 1 and changes no key', async () => {
    const hub = `cli-${randomUUID()}`;
    const storage: Storage = redisStorage({ url: redis.server.url });
    await storage.open();
    const at = new Date(Date.UTC(2024, 0, 1)).toISOString();
    const diverging: string[] = [];
    try {
      for (let i = 0; i < 30; i += 1) {
        const instanceId = `order-${String(i).padStart(2, '0')}`;
        const started: HistoryEvent = { EventType: 'ExecutionStarted', Timestamp: at, Name: 'Order', ExecutionId: 'e' };
        const now = Date.now();
        await storage.createInstance(hub, { instanceId, kind: 'orchestration', name: 'Order', executionId: 'e', status: 'Pending', createdAt: now, updatedAt: now, historyLength: 0, version: '1.0.0' }, { instanceId, event: started });
        const locked = (await storage.lockInstances(hub, { max: 1, leaseMs: 60_000 })).items[0]!;
        const second = i % 7 === 0 ? 'Ship' : 'Charge';
        if (second === 'Ship') diverging.push(instanceId);
        const history: HistoryEvent[] = [
          started,
          { EventType: 'TaskScheduled', Timestamp: at, EventId: 0, Name: 'Reserve' },
          { EventType: 'TaskCompleted', Timestamp: at, TaskScheduledId: 0 },
          { EventType: 'TaskScheduled', Timestamp: at, EventId: 1, Name: second },
        ];
        await storage.commitOrchestration(hub, {
          instanceId,
          lockToken: locked.lockToken,
          instance: { ...locked.instance, status: 'Running', historyLength: history.length },
          history: { append: history },
          consumedMessageIds: locked.messages.map((m) => m.id),
          messages: [],
          activities: [],
          logs: [],
        });
      }
    } finally {
      await storage.close();
    }

    /** Every key of the server with its type, TTL-free DUMP (values) — what "no key changed" compares. */
    const snapshot = async (): Promise<Map<string, string>> => {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, batch] = await redis.admin.scan(cursor, 'COUNT', 1000);
        cursor = next;
        keys.push(...batch);
      } while (cursor !== '0');
      const out = new Map<string, string>();
      for (const key of keys.sort()) out.set(key, ((await redis.admin.dumpBuffer(key)) ?? Buffer.alloc(0)).toString('base64'));
      return out;
    };
    const before = await snapshot();
    expect([...before.keys()].some((key) => key.startsWith(`reprise:{${hub}}:h:`))).toBe(true);

    const cli = fileURLToPath(new URL('../../testing/src/cli.ts', import.meta.url));
    const module = fileURLToPath(new URL('../../sqlite/test/fixtures/order-workflows.ts', import.meta.url));
    const result = spawnSync(process.execPath, ['--conditions=@reprise/source', '--import', 'tsx', cli, 'check-compat', '--redis', redis.server.url, '--module', module, '--hub', hub], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(1);
    expect(result.stdout).toContain(`checked 30 in-flight instance(s): ${30 - diverging.length} compatible, ${diverging.length} diverged`);
    expect(result.stdout).toContain("instance 'order-00' (Order) diverges at #1:");
    const after = await snapshot();
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, value] of before) expect(after.get(key), key).toBe(value);
  }, 60_000);
});
