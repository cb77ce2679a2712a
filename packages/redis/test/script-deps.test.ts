/**
 * Each script carries only the prelude helpers it uses (issue 20): its
 * dependency list in the registry must name every helper its body calls
 * (and no other), the linked text must define every helper it calls, and
 * every linked script must load on a real server. The scripts run by
 * EVALSHA, with EVAL when the server has not cached them.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { lockAll, startInstance } from '@reprise/testing/conformance';
import { redisStorage } from '../src/index.js';
import { hubKeys } from '../src/keys.js';
import { SCRIPTS, SOURCES } from '../src/scripts/index.js';
import { HELPERS, preludeFor, referencedHelpers } from '../src/scripts/link.js';
import { useRedisServer } from './server-fixture.js';

const binary = inject('redisServerBinary');

/** Helpers the text calls but does not define (a script that would fail with "nonexistent global variable"). */
const undefinedHelpers = (lua: string) => referencedHelpers(lua).filter((name) => !new RegExp(`^local function ${name}\\(`, 'm').test(lua));

describe('redis: each script links only the helpers it uses', () => {
  it("names in each script's list exactly the helpers its body calls", () => {
    for (const [name, { body, uses }] of Object.entries(SCRIPTS)) {
      expect({ name, uses: [...uses].sort() }).toEqual({ name, uses: referencedHelpers(body).sort() });
    }
  });

  it('defines, in every linked script, each helper it calls, before the body', () => {
    for (const [name, lua] of Object.entries(SOURCES)) expect({ name, missing: undefinedHelpers(lua) }).toEqual({ name, missing: [] });
  });

  it('finds a helper a list leaves out, and carries fewer helpers than the whole prelude', () => {
    const { body } = SCRIPTS.commitOrchestration;
    expect(undefinedHelpers(preludeFor(['publish']) + body)).toContain('put_row');
    const helpers = (lua: string) => HELPERS.filter((h) => new RegExp(`^local function ${h}\\(`, 'm').test(lua)).length;
    expect(helpers(SOURCES.commitOrchestration)).toBeLessThan(HELPERS.length);
    expect(helpers(SOURCES.renewLeases)).toBe(1);
  });

  describe.skipIf(!binary)('on a real server', () => {
    const fixture = useRedisServer(binary);

    it('loads every linked script', async () => {
      for (const lua of Object.values(SOURCES)) expect(await fixture.admin.script('LOAD', lua)).toMatch(/^[0-9a-f]{40}$/);
    });

    it("runs its scripts again after the server's script cache is emptied (EVALSHA falls back to EVAL)", async () => {
      const storage = redisStorage({ url: fixture.server.url, onUnsafeServer: 'ignore' });
      const hub = `flush-${randomUUID()}`;
      try {
        await startInstance(storage, hub, 'i1');
        await fixture.admin.script('FLUSH');
        await startInstance(storage, hub, 'i2');
        expect([...(await lockAll(storage, hub)).keys()].sort()).toEqual(['i1', 'i2']);
      } finally {
        await storage.close();
      }
    });

    it("puts a caller's client keyPrefix before the keys the scripts write", async () => {
      const client = new Redis(fixture.server.url, { keyPrefix: 'app:', autoResendUnfulfilledCommands: false });
      const storage = redisStorage({ client, onUnsafeServer: 'ignore' });
      const hub = `prefix-${randomUUID()}`;
      try {
        await startInstance(storage, hub, 'i1');
        expect(await fixture.admin.exists('app:' + hubKeys(hub).instance('i1'))).toBe(1);
        expect(await fixture.admin.exists(hubKeys(hub).instance('i1'))).toBe(0);
        expect((await storage.getInstance(hub, 'i1'))?.instanceId).toBe('i1');
      } finally {
        await storage.close();
        client.disconnect();
      }
    });
  });
});
